#!/usr/bin/env bash
# Fails when a firmware links double-precision floating point: a soft-double helper of libgcc
# (__aeabi_d*, __aeabi_*2d, __*df*), or, on cores with a double-precision FPU, a .f64
# instruction. The core's training path and RunCounters are float and integer only, so a
# firmware that only trains and sums counters must pass.
#
#   tests/mcu/check-no-double.sh <firmware.elf>     exit 0: none; 1: found (listed); 2: usage
set -uo pipefail
elf="${1:-}"
[ -f "$elf" ] || { echo "usage: $0 <firmware.elf>" >&2; exit 2; }
helpers="$(arm-none-eabi-nm --defined-only "$elf" | awk '{ print $NF }' |
  grep -E '^(__aeabi_(d[a-z0-9]+|[a-z0-9]+2d)|__[a-z]+df[a-z0-9]*)$' |
  sort -u)"
insns="$(arm-none-eabi-objdump -d "$elf" | grep -cE '\.f64|vcvt\.f64|vcvt\.f32\.f64')"
if [ -n "$helpers" ] || [ "$insns" -gt 0 ]; then
  echo "double precision in $elf:"
  [ -n "$helpers" ] && echo "$helpers" | sed 's/^/  helper /'
  [ "$insns" -gt 0 ] && echo "  $insns double-precision FPU instructions"
  exit 1
fi
exit 0
