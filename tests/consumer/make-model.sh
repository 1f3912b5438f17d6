#!/usr/bin/env bash
# The exported model of the consumer tests: a CNN pretrained on the host with the tinyprop
# command on synthetic images (domain 0), exported with its convolutional front frozen.
#
#   tests/consumer/make-model.sh TINYPROP_CLI OUT_DIR   -> OUT_DIR/frozen_cnn.h
#
# cnn:12x12x1-c8k3+same-m2-c32k3s2+same-c256k3-d4: the three convolutions hold 76,400 floats
# (305,600 bytes, more than the 128 KB board's RAM), the dense head 1,028.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cli="$1"; out="$2"
mkdir -p "$out"
if [ -f "$out/frozen_cnn.h" ] && [ "$out/frozen_cnn.h" -nt "$cli" ] && [ "$out/frozen_cnn.h" -nt "$0" ]; then
  exit 0
fi
${CC:-cc} -std=c99 -O2 -Wall -Wextra -Werror -o "$out/synth_csv" "$HERE/synth_csv.c"
"$out/synth_csv" 0 0 2000 >"$out/train.csv"
rm -f "$out/frozen_cnn.tpm" "$out/frozen_cnn.h"
"$cli" train --model cnn:12x12x1-c8k3+same-m2-c32k3s2+same-c256k3-d4 --csv "$out/train.csv" \
  --csv-shape 12x12x1 --epochs 3 --seed 7 --out "$out/frozen_cnn.tpm" >"$out/train.log"
"$cli" export --model-in "$out/frozen_cnn.tpm" --freeze 3 --symbol frozen_cnn \
  --out "$out/frozen_cnn.h" >"$out/export.log"
