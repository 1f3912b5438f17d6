#!/usr/bin/env bash
# Instruction counts of the conv backward pass with callgrind (exact and repeatable, unlike wall
# time on a shared machine). For every case, bench/bench_conv_icount runs C and then 2C calls
# inside tp_conv_bench_measured() (the only function collected), and
#   instructions per call = (Ir(2C) - Ir(C)) / C
# which cancels the fixed cost of entering the measured region. C = 64 by default.
#
# Usage: bench/bench_conv_callgrind.sh [build_dir]    (default build/bench; builds the driver)
# Prints a markdown table; writes <build_dir>/callgrind-conv/icount.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${1:-build/bench}
CALLS=${CALLS:-64}

if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" >/dev/null
fi
cmake --build "$BUILD" --target bench_conv_icount >/dev/null
DRIVER=$BUILD/bench/bench_conv_icount
OUT=$BUILD/callgrind-conv
mkdir -p "$OUT"

collected_ir() {  # shape mode case calls update
  local file="$OUT/callgrind.$1.$2.$3.$4.$5.out"
  valgrind --tool=callgrind --toggle-collect='*tp_conv_bench_measured*' \
    --callgrind-out-file="$file" "$DRIVER" "$1" "$2" "$3" "$4" "$5" >/dev/null 2>"$file.log"
  awk '/^totals:/ {print $2}' "$file"
}

TSV=$OUT/icount.tsv
printf 'shape\tpart\tmode\tcase\tk\tn\tinstructions_per_call\n' >"$TSV"
echo "| layer | part | mode | case | k / N | instructions per call | vs full |"
echo "|---|---|---|---|---|---|---|"
for shape in 28x28x1-c8k3 13x13x8-c16k3; do
  for part in backward step; do
    for mode in element channel; do
      full_ir=""
      for c in full 0.5 0.2 0.1; do
        line=$("$DRIVER" "$shape" "$mode" "$c" 1 "$part")
        k=$(sed -E 's/.* k=([0-9]+).*/\1/' <<<"$line")
        n=$(sed -E 's/.* n=([0-9]+).*/\1/' <<<"$line")
        ir1=$(collected_ir "$shape" "$mode" "$c" "$CALLS" "$part")
        ir2=$(collected_ir "$shape" "$mode" "$c" $((2 * CALLS)) "$part")
        per_call=$(( (ir2 - ir1) / CALLS ))
        [ -z "$full_ir" ] && full_ir=$per_call
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$shape" "$part" "$mode" "$c" "$k" "$n" \
          "$per_call" >>"$TSV"
        awk -v s="$shape" -v p="$part" -v m="$mode" -v c="$c" -v k="$k" -v n="$n" \
            -v ir="$per_call" -v f="$full_ir" \
          'BEGIN { printf "| %s | %s | %s | %s | %.3f | %d | %.3f |\n", s, p, m, c, k / n, ir, ir / f }'
      done
    done
  done
done
