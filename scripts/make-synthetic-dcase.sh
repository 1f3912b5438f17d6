#!/usr/bin/env bash
# Writes a SYNTHETIC stand-in for the DCASE2020 Task 2 development set (same folder layout and
# file names, 16 kHz 16-bit mono WAV) with SoX, deterministically from a seed. See docs/AUDIO.md.
#
# Usage: scripts/make-synthetic-dcase.sh [--out DIR] [--seed N] [--quick] [extra options]
#   --out DIR   target folder (default: $TINYPROP_DATA_DIR/dcase-synthetic, else data/dcase-synthetic)
#   --seed N    default 1; the same seed writes the same bytes
#   --quick     a miniature set (1 type, 2 IDs, 12 train + 8 + 8 test clips of 1 s) for smoke tests
#   extra options go to scripts/synthetic_dcase.py: --types, --ids, --train, --test-normal,
#   --test-anomaly, --seconds, --jobs
# Default size: 3 types x 3 IDs x (40 train + 24 normal + 24 anomalous test) clips of 2 s,
# 792 clips, about 50 MB, generated in about 25 s on 2 shared cores.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
out="${TINYPROP_DATA_DIR:-$repo/data}/dcase-synthetic"
seed=1
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --quick) extra+=(--types synth_pump --ids 2 --train 12 --test-normal 8 --test-anomaly 8 --seconds 1); shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) extra+=("$1"); shift ;;
  esac
done
command -v sox >/dev/null || { echo "make-synthetic-dcase: sox not found (scripts/install-deps.sh cli)" >&2; exit 1; }
# A previous run's clips would mix with this one's: start from an empty folder.
if [ -d "$out" ]; then
  [ -f "$out/SYNTHETIC.txt" ] || [ -z "$(ls -A "$out")" ] || {
    echo "make-synthetic-dcase: $out exists and is not a synthetic set; refusing to overwrite" >&2; exit 1; }
  rm -rf "$out"
fi
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
exec "$PY" "$here/synthetic_dcase.py" --out "$out" --seed "$seed" "${extra[@]}"
