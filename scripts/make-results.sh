#!/usr/bin/env bash
# Regenerates docs/RESULTS.md and its plots (docs/img/<scenario>-*.png) from fresh runs of
# `tinyprop compare` on both scenarios. One command: `make results` (which builds first) or
# scripts/make-results.sh with a built binary. About 2 x 3 CPU-minutes on 2 cores.
#
# Environment: TINYPROP_BIN (default build/release/tinyprop), THREADS (default 2),
#              SEEDS (default 3), RESULTS_DIR (default out/results).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${TINYPROP_BIN:-build/release/tinyprop}
THREADS=${THREADS:-2}
SEEDS=${SEEDS:-3}
RESULTS_DIR=${RESULTS_DIR:-out/results}

if [ ! -x "$BIN" ]; then
  echo "make-results: $BIN not found; build first (make build) or set TINYPROP_BIN" >&2
  exit 1
fi
scripts/install-deps.sh plot  # matplotlib for the plots (idempotent)
scripts/get-data.sh           # MNIST into data/ (idempotent: a verified copy is left alone)

mkdir -p "$RESULTS_DIR" docs/img
for scenario in mnist-mlp mnist-shift; do
  echo "make-results: compare --scenario $scenario (seeds $SEEDS, threads $THREADS)" >&2
  "$BIN" compare --scenario "$scenario" --seeds "$SEEDS" --threads "$THREADS" \
    --out-dir "$RESULTS_DIR/$scenario" | tee "$RESULTS_DIR/$scenario.txt"
  for plot in accuracy_vs_backward ratio_trace accuracy_curve; do
    cp "$RESULTS_DIR/$scenario/$plot.png" "docs/img/$scenario-$plot.png"
  done
done

cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || true)
machine="$(nproc) cores${cpu:+ ($cpu)}, $(uname -sr)"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git diff --quiet HEAD -- 2>/dev/null; then commit="$commit + local changes"; fi
/usr/bin/python3 scripts/results_md.py "$RESULTS_DIR" docs/RESULTS.md --machine "$machine" --commit "$commit"
echo "make-results: wrote docs/RESULTS.md and docs/img/*.png" >&2
