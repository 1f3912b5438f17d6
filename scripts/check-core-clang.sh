#!/usr/bin/env bash
# Builds every core source (src/) with clang, warnings as errors, for the host and for each
# Cortex-M core the port supports: the core must build with "any reasonable MCU toolchain", and
# clang (the LLVM embedded toolchains for Arm are clang) differs from GCC in what it warns about
# and in which registers inline assembly may name (it reserves r7, Thumb's frame pointer).
# Compile only (-c): what a firmware project's build would do with these sources.
#
# Usage: scripts/check-core-clang.sh [clang++]   (default clang++-14, then clang++)
# Needs clang (scripts/install-deps.sh mcu) and, for the Cortex-M targets, newlib's headers
# (gcc-arm-none-eabi / libnewlib-dev) for <string.h> and <math.h>.
set -euo pipefail
cd "$(dirname "$0")/.."

CXX=${1:-}
if [ -z "$CXX" ]; then
  for c in clang++-14 clang++; do command -v "$c" >/dev/null && { CXX=$c; break; }; done
fi
if [ -z "$CXX" ] || ! command -v "$CXX" >/dev/null; then
  echo "check-core-clang: no clang++ (scripts/install-deps.sh mcu installs clang-14)" >&2
  exit 1
fi
NEWLIB=/usr/lib/arm-none-eabi/include
if [ ! -e "$NEWLIB/string.h" ]; then
  echo "check-core-clang: newlib headers not found in $NEWLIB (scripts/install-deps.sh mcu)" >&2
  exit 1
fi

# The core's own flags (cmake/tinyprop_core.cmake): C++17, no exceptions or RTTI, no FMA
# contraction, its warning set, here with -Werror.
COMMON=(-std=c++17 -Os -fno-exceptions -fno-rtti -ffp-contract=off
        -Wall -Wextra -Wshadow -Wconversion -Wdouble-promotion -Wpedantic -Werror
        -Iinclude -Isrc)
ARM=(--target=arm-none-eabi -mthumb -ffreestanding -isystem "$NEWLIB")
# name|flags (the -mcpu/-mfpu/-mfloat-abi pairs of cmake/arm-none-eabi.cmake)
TARGETS=(
  "host|"
  "cortex-m0plus|-mcpu=cortex-m0plus -mfloat-abi=soft"
  "cortex-m3|-mcpu=cortex-m3 -mfloat-abi=soft"
  "cortex-m4|-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard"
  "cortex-m7|-mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard"
  "cortex-m33|-mcpu=cortex-m33 -mfpu=fpv5-sp-d16 -mfloat-abi=hard"
  "cortex-m33-nofp|-mcpu=cortex-m33 -mfloat-abi=soft"
  "cortex-m55|-mcpu=cortex-m55 -mfloat-abi=hard"
)
mapfile -t SOURCES < <(find src -name '*.cpp' | sort)
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

failed=0
for t in "${TARGETS[@]}"; do
  name=${t%%|*}
  read -r -a flags <<< "${t#*|}"
  extra=()
  [ "$name" = host ] || extra=("${ARM[@]}")
  if ! printf '%s\n' "${SOURCES[@]}" |
      xargs -P "${JOBS:-2}" -I{} sh -c '"$0" "$@" -c {} -o "'"$OUT"'/$(echo {} | tr / _).o"' \
        "$CXX" "${COMMON[@]}" "${extra[@]}" "${flags[@]}"; then
    echo "check-core-clang: $name: the core does not build with $CXX (errors above)" >&2
    failed=1
  else
    echo "check-core-clang: $name: ${#SOURCES[@]} core sources build with $CXX -Werror"
  fi
done
exit $failed
