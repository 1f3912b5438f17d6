#!/usr/bin/env bash
# Regenerates docs/RESULTS.md and its plots (docs/img/<scenario>-*.png) from fresh runs of
# `tinyprop compare` on every scenario available offline. One command: `make results` (which
# builds first) or scripts/make-results.sh with a built binary. About an hour on 2 cores.
#
# Environment: TINYPROP_BIN (default build/release/tinyprop), THREADS (default 2),
#              SEEDS (default 3), RESULTS_DIR (default out/results),
#              ONLY (default all): a space-separated subset of the runs mnist-mlp mnist-shift
#              mnist-drift fmnist-newclass mnist-scratch mnist-scratch-wide mnist-cnn
#              mnist-cnn-channel fmnist-cnn fmnist-cnn-channel cifar10-cnn dcase-ae
#              dcase-ae-others to
#              redo; the others are read back from RESULTS_DIR as they are (each run's commit is
#              in RESULTS_DIR/<run>.commit and printed in RESULTS.md).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${TINYPROP_BIN:-build/release/tinyprop}
THREADS=${THREADS:-2}
SEEDS=${SEEDS:-3}
RESULTS_DIR=${RESULTS_DIR:-out/results}
ONLY=${ONLY:-all}

if [ ! -x "$BIN" ]; then
  echo "make-results: $BIN not found; build first (make build) or set TINYPROP_BIN" >&2
  exit 1
fi
scripts/install-deps.sh plot  # matplotlib for the plots (idempotent)
scripts/install-deps.sh data  # dataset-fashion-mnist and sox (idempotent)
scripts/get-data.sh           # MNIST and Fashion-MNIST into data/ (a verified copy is left alone)

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git diff --quiet HEAD -- 2>/dev/null; then commit="$commit + local changes"; fi

mkdir -p "$RESULTS_DIR" docs/img
# run NAME OUT [EXTRA ARGS...]: one compare run into $RESULTS_DIR/OUT, its table into OUT.txt,
# the commit it ran on into OUT.commit, its plots into docs/img/OUT-<plot>.png.
run() {
  local scenario=$1 out=$2; shift 2
  echo "make-results: compare --scenario $scenario $* (seeds $SEEDS, threads $THREADS)" >&2
  "$BIN" compare --scenario "$scenario" --seeds "$SEEDS" --threads "$THREADS" \
    --out-dir "$RESULTS_DIR/$out" "$@" | tee "$RESULTS_DIR/$out.txt"
  echo "$commit" > "$RESULTS_DIR/$out.commit"
  for png in "$RESULTS_DIR/$out"/*.png; do
    [ -e "$png" ] && cp "$png" "docs/img/$out-$(basename "$png")"
  done
  return 0
}
want() { [ "$ONLY" = all ] || [[ " $ONLY " == *" $1 "* ]]; }

want mnist-mlp && run mnist-mlp mnist-mlp
want mnist-shift && run mnist-shift mnist-shift
# Situations nobody tuned the methods for: a drifted sensor, classes new to the model.
want mnist-drift && run mnist-drift mnist-drift
want fmnist-newclass && run fmnist-newclass fmnist-newclass
# From scratch, the paper authors' own MNIST setup (docs/SCENARIOS.md): both of their MLPs.
want mnist-scratch && run mnist-scratch mnist-scratch
want mnist-scratch-wide && run mnist-scratch-wide mnist-scratch-wide
for scenario in mnist-cnn fmnist-cnn; do
  want "$scenario" && run "$scenario" "$scenario" --conv-selection element
  want "$scenario-channel" && run "$scenario" "$scenario-channel" --conv-selection channel
done
if want cifar10-cnn; then
  if [ -e data/cifar-10-batches-bin/test_batch.bin ]; then
    run cifar10-cnn cifar10-cnn
  else
    echo "make-results: skipping cifar10-cnn (no data/cifar-10-batches-bin; docs/SCENARIOS.md)" >&2
  fi
fi
if want dcase-ae; then
  [ -e data/dcase-synthetic/SYNTHETIC.txt ] || scripts/make-synthetic-dcase.sh --out data/dcase-synthetic
  run dcase-ae dcase-ae
fi
# The held-out-machine variant: each machine's model was pretrained without its own clips.
want dcase-ae-others && run dcase-ae dcase-ae-others --pretrain-pool others

cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || true)
machine="$(nproc) cores${cpu:+ ($cpu)}, $(uname -sr)"
/usr/bin/python3 scripts/results_md.py "$RESULTS_DIR" docs/RESULTS.md --machine "$machine" --commit "$commit"
echo "make-results: wrote docs/RESULTS.md and docs/img/*.png" >&2
