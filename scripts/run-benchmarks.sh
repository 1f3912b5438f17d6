#!/usr/bin/env bash
# Benchmarks of the dense backward pass, full against sparse (docs/BENCHMARKS.md).
#
#   1. builds a release tree (-O2, the core's own flags incl. -ffp-contract=off) in build/bench
#   2. checks the optimised kernels against their plain reference loops, bit for bit
#   3. wall time: bench/dense_backward_bench, every case REPS times in one process with random
#      interleaving (so slow phases of a shared machine hit all cases alike); medians, and
#      sparse/full ratios of medians from that same run (bench/summarize.py timing)
#   4. instructions: scripts/callgrind-dense.sh (exact counts, ratios to full)
#   5. Cortex-M4 instructions of the same kernels: bench/m4_icount.py (unicorn emulator; skipped
#      when python3-unicorn or arm-none-eabi-g++ is missing)
#   6. zero-skipping against the dense loops: bench/zero_skip_bench (wall time, interleaved; its
#      training steps need data/mnist, and give full / TinyProp against the MAC bound) and
#      bench/m4_zero_skip.py (Cortex-M4 instructions); the same training steps under callgrind
#      (scripts/callgrind-step.sh: instructions per step and per function)
#   7. PyTorch side by side: bench/torch_side_by_side.py (needs python3-torch; skipped without)
#
# Usage: scripts/run-benchmarks.sh [build_dir]
# Environment: REPS (default 15), MIN_TIME seconds per repetition (0.1), SKIP_CALLGRIND=1,
# SKIP_M4=1, SKIP_TORCH=1, TORCH_ROUNDS (11).
# Output: <build_dir>/results/{timing.json,timing.md,icount.md,m4.md,zero_skip.json,
# zero_skip.md,m4_zero_skip.md,step_icount.md,torch.md,machine.txt}; tables on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${1:-build/bench}
REPS=${REPS:-15}
MIN_TIME=${MIN_TIME:-0.1}
PY=/usr/bin/python3
OUT=$BUILD/results
DATA=${TINYPROP_DATA_DIR:-data}  # MNIST for the training-step cases: $DATA/mnist
mkdir -p "$OUT"

cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" >/dev/null
cmake --build "$BUILD" -j 2 --target dense_backward_bench dense_backward_icount \
  kernels_reference_check zero_skip_bench step_icount torch_side_by_side_step >/dev/null

"$BUILD/bench/kernels_reference_check"

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
  echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "compiler: $(g++ --version | head -1), flags -O2 -DNDEBUG -ffp-contract=off"
  echo "benchmark: libbenchmark $(dpkg-query -W -f='${Version}' libbenchmark-dev 2>/dev/null || echo '?')"
  echo "valgrind: $(valgrind --version)"
  echo "load average before timing: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/machine.txt"

# gbench BINARY OUT_JSON: every case REPS times, randomly interleaved, medians into OUT_JSON.
gbench() {
  "$1" --benchmark_repetitions="$REPS" \
    --benchmark_enable_random_interleaving=true \
    --benchmark_report_aggregates_only=true \
    --benchmark_min_time="$MIN_TIME" \
    --benchmark_out="$2" --benchmark_out_format=json >/dev/null
}

gbench "$BUILD/bench/dense_backward_bench" "$OUT/timing.json"
echo "load average after timing: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"

cat "$OUT/machine.txt"
echo
"$PY" bench/summarize.py timing "$OUT/timing.json" | tee "$OUT/timing.md"

if [ "${SKIP_CALLGRIND:-0}" != 1 ]; then
  echo
  scripts/callgrind-dense.sh "$BUILD" | tee "$OUT/icount.md"
fi

if [ "${SKIP_M4:-0}" != 1 ]; then
  echo
  if command -v arm-none-eabi-g++ >/dev/null && "$PY" -c "import unicorn" 2>/dev/null; then
    "$PY" bench/m4_icount.py . "$BUILD/m4" | tee "$OUT/m4.md"
  else
    echo "Cortex-M4 counts skipped: needs gcc-arm-none-eabi and python3-unicorn"
  fi
fi

echo
gbench "$BUILD/bench/zero_skip_bench" "$OUT/zero_skip.json"
"$PY" bench/summarize.py zero-skip "$OUT/zero_skip.json" | tee "$OUT/zero_skip.md"
if [ "${SKIP_M4:-0}" != 1 ] && [ -s "$DATA/mnist/t10k-images-idx3-ubyte" ]; then
  echo
  if command -v arm-none-eabi-g++ >/dev/null && "$PY" -c "import unicorn" 2>/dev/null; then
    "$PY" bench/m4_zero_skip.py . "$BUILD/m4" "$DATA/mnist" | tee "$OUT/m4_zero_skip.md"
  fi
fi

if [ "${SKIP_CALLGRIND:-0}" != 1 ] && [ -s "$DATA/mnist/t10k-images-idx3-ubyte" ]; then
  echo
  scripts/callgrind-step.sh "$BUILD" | tee "$OUT/step_icount.md"
fi

if [ "${SKIP_TORCH:-0}" != 1 ]; then
  echo
  if "$PY" -c "import torch" 2>/dev/null; then
    "$PY" bench/torch_side_by_side.py "$BUILD/bench/torch_side_by_side_step" \
      "${TORCH_ROUNDS:-11}" | tee "$OUT/torch.md"
  else
    echo "PyTorch side by side skipped: needs python3-torch (scripts/install-deps.sh refgen)"
  fi
fi
