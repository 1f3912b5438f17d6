#!/usr/bin/env bash
# x86 instructions of one MNIST training step (784-128-64-10, SGD lr 0.01, batch 1; full and
# TinyProp, zero-skipping on and off) with callgrind: bench/step_icount runs STEPS steps inside
# tp_step_measured (the only function collected) after WARMUP steps outside it. Prints, per
# case, the instructions per step and the MACs done per step, then full / TinyProp ratios
# against the MAC bound (F + B_full) / (F + B), and the functions' shares of each step
# (callgrind_annotate, exclusive counts).
#
# Usage: scripts/callgrind-step.sh [build_dir]   (default build/bench; builds the driver)
# Environment: STEPS (1000: every image once), WARMUP (20000: the trained state the timing
# benchmark spends most of its iterations in); data from $TINYPROP_DATA_DIR/mnist or data/mnist.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${1:-build/bench}
STEPS=${STEPS:-1000}
WARMUP=${WARMUP:-20000}
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" >/dev/null
fi
cmake --build "$BUILD" --target step_icount >/dev/null
OUT=$BUILD/callgrind
mkdir -p "$OUT"

declare -A IR FWD BWD
for skip in skip dense; do
  for method in full tinyprop; do
    file=$OUT/callgrind.step.$method.$skip.out
    line=$(valgrind --tool=callgrind --toggle-collect=tp_step_measured \
      --callgrind-out-file="$file" "$BUILD/bench/step_icount" "$method" "$skip" "$STEPS" \
      "$WARMUP" 2>"$file.log")
    IR[$method.$skip]=$(awk '/^totals:/ {print $2}' "$file")
    FWD[$method.$skip]=$(sed -E 's/.* fwd_done=([0-9]+).*/\1/' <<<"$line")
    BWD[$method.$skip]=$(sed -E 's/.* bwd_done=([0-9]+).*/\1/' <<<"$line")
  done
done

echo "Instructions per step (callgrind, $STEPS steps after $WARMUP):"
echo
echo "| zero-skipping | full instr. | TinyProp instr. | instr. ratio | MACs done full / TinyProp | MAC bound | ratio / bound |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for skip in skip dense; do
  awk -v s="$skip" -v f="${IR[full.$skip]}" -v t="${IR[tinyprop.$skip]}" -v n="$STEPS" \
    -v ff="${FWD[full.$skip]}" -v fb="${BWD[full.$skip]}" \
    -v tf="${FWD[tinyprop.$skip]}" -v tb="${BWD[tinyprop.$skip]}" 'BEGIN {
      r = f / t; bound = (ff + fb) / (tf + tb)
      printf "| %s | %d | %d | %.2fx | %d / %d | %.2fx | **%.2f** |\n",
        (s == "skip" ? "on (default)" : "off (dense)"), f / n, t / n, r, ff + fb, tf + tb,
        bound, r / bound }'
done
for method in tinyprop full; do
  echo
  echo "$method, zero-skipping on: instructions per step by function (exclusive, >= 1%)"
  echo
  callgrind_annotate --inclusive=no --threshold=100 "$OUT/callgrind.step.$method.skip.out" 2>/dev/null |
    awk -v n="$STEPS" '/^ *[0-9,]+ \( *[0-9.]+%\)  *[^ P]/ {
      ir = $1; gsub(",", "", ir)
      pct = $0; sub(/^[^(]*\( */, "", pct); sub(/%.*/, "", pct)
      if (pct + 0 < 1) next
      name = $0; sub(/^[^:]*:/, "", name); gsub(/\(anonymous namespace\)::/, "", name)
      sub(/\(.*/, "", name)
      printf "* %s: %d (%.1f%%)\n", name, ir / n, pct }'
done
