#!/usr/bin/env bash
# Builds tests/mcu/helium/helium_check.cpp with the core's kernels for a Cortex-M55
# (arm-none-eabi-g++ -mcpu=cortex-m55 -O2 -ffp-contract=off: the Helium variants of
# src/kernels/rows4.h) and runs it under QEMU mps3-an547. Exits with the firmware's status
# (0: every Helium result has the scalar reference's bits).
#   tests/mcu/helium/run.sh [build_dir]        (default build/mcu/helium)
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../../.." && pwd)"
OUT="${1:-$REPO/build/mcu/helium}"
mkdir -p "$OUT"
CPU=(-mcpu=cortex-m55 -mthumb -mfloat-abi=hard)
FLAGS=(-O2 -ffp-contract=off -ffunction-sections -fdata-sections -Wall -Wextra -Werror)
PORT="$REPO/port/cortex-m"
objs=()
for src in "$PORT/startup.c" "$PORT/semihost.c" "$PORT/markers.c"; do
  o="$OUT/$(basename "$src").o"
  arm-none-eabi-gcc "${CPU[@]}" "${FLAGS[@]}" -I"$PORT" -c "$src" -o "$o"
  objs+=("$o")
done
for src in "$REPO/src/kernels/dense.cpp" "$REPO/tests/mcu/helium/helium_check.cpp" \
           "$REPO/examples/mcu_finetune/text_line.cpp"; do
  o="$OUT/$(basename "$src").o"
  arm-none-eabi-g++ "${CPU[@]}" "${FLAGS[@]}" -std=c++17 -fno-exceptions -fno-rtti \
    -I"$REPO/include" -I"$REPO/src" -I"$PORT" -I"$REPO/examples/mcu_finetune" -c "$src" -o "$o"
  objs+=("$o")
done
arm-none-eabi-gcc "${CPU[@]}" -nostartfiles -Wl,--gc-sections -Wl,--no-warn-rwx-segments \
  -L"$PORT" -T"$REPO/tests/mcu/helium/mps3-an547.ld" "${objs[@]}" -lm -o "$OUT/helium_check.elf"
exec timeout 60 qemu-system-arm -M mps3-an547 -nographic -monitor none -serial none \
  -semihosting-config enable=on,target=native -kernel "$OUT/helium_check.elf"
