#!/usr/bin/env bash
# Instruction counts of the dense backward pass with callgrind: exact and repeatable, unlike wall
# time on a shared machine. For every case, bench/dense_backward_icount runs C and then 2C calls
# inside tp_bench_measured() (the only function collected, --toggle-collect), and
#   instructions per call = (Ir(2C) - Ir(C)) / C
# which cancels the fixed cost of entering the measured region: the mean over calls C..2C-1,
# which see the same C error vectors in every case (same seed, same stream). C = 128 by default.
#
# Usage: scripts/callgrind-dense.sh [build_dir]      (default build/bench; builds the driver)
# Writes <build_dir>/callgrind/icount.tsv and prints the markdown tables (bench/summarize.py).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${1:-build/bench}
CALLS=${CALLS:-128}
PY=/usr/bin/python3

if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" >/dev/null
fi
cmake --build "$BUILD" --target dense_backward_icount >/dev/null
DRIVER=$BUILD/bench/dense_backward_icount
OUT=$BUILD/callgrind
mkdir -p "$OUT"

# Ir collected inside tp_bench_measured for one run of the driver.
collected_ir() {  # layer mode case calls
  local file="$OUT/callgrind.$1.$2.$3.$4.out"
  valgrind --tool=callgrind --toggle-collect=tp_bench_measured --callgrind-out-file="$file" \
    "$DRIVER" "$1" "$2" "$3" "$4" >/dev/null 2>"$file.log"
  awk '/^totals:/ {print $2}' "$file"
}

TSV=$OUT/icount.tsv
printf 'layer\tmode\tcase\tk\tn\tinstructions_per_call\n' >"$TSV"
for layer in 784x128 128x64; do
  for mode in kernels fused_sgd select; do
    cases="full 1 0.5 0.2 0.1 0.05"
    [ "$mode" = select ] && cases="0.5 0.2 0.1 0.05"
    for c in $cases; do
      line=$("$DRIVER" "$layer" "$mode" "$c" 1)  # k and n of this case
      k=$(sed -E 's/.* k=([0-9]+).*/\1/' <<<"$line")
      n=$(sed -E 's/.* n=([0-9]+).*/\1/' <<<"$line")
      ir1=$(collected_ir "$layer" "$mode" "$c" "$CALLS")
      ir2=$(collected_ir "$layer" "$mode" "$c" $((2 * CALLS)))
      per_call=$(( (ir2 - ir1) / CALLS ))
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$layer" "$mode" "$c" "$k" "$n" "$per_call" >>"$TSV"
      echo "callgrind: $layer $mode $c k=$k: $per_call instructions/call" >&2
    done
  done
done

"$PY" bench/summarize.py icount "$TSV"
