#!/usr/bin/env bash
# Runs one firmware image under QEMU with semihosting, wrapped in a timeout, and optionally
# counts its instructions per phase with the plugin.
#
#   scripts/mcu-run.sh [--count] BOARD FIRMWARE.elf [firmware arguments ...]
#
# Prints the firmware's output; with --count, then one line
#   insns windows=<training steps counted> total=<all> forward=.. selection=.. backward=.. update=.. other=..
# Exits with the firmware's status (QEMU passes it on), 124 on timeout.
# Environment: MCU_TIMEOUT seconds (default 1200); MCU_PROFILE=FILE (with --count) also writes
# the plugin's per-block profile there, for scripts/mcu-profile.py.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$REPO/build/mcu"  # the binaryDir of the presets in examples/mcu_finetune
count=0
if [ "${1:-}" = "--count" ]; then count=1; shift; fi
[ $# -ge 2 ] || { echo "usage: scripts/mcu-run.sh [--count] BOARD FIRMWARE.elf [args ...]" >&2; exit 2; }
board="$1"; elf="$2"; shift 2
[ -f "$elf" ] || { echo "mcu-run: no firmware $elf (scripts/mcu-build.sh)" >&2; exit 2; }

# Semihosting arguments; QEMU's option syntax doubles commas inside a value.
semi="enable=on,target=native,arg=$(basename "$elf" .elf)"
# The firmware splits its command line at spaces, so an argument must not contain one.
for a in "$@"; do
  case "$a" in *" "*) echo "mcu-run: argument '$a' contains a space (not supported)" >&2; exit 2 ;; esac
  semi+=",arg=${a//,/,,}"
done

plugin=()
if [ $count = 1 ]; then
  so="$BUILD/plugin/libinsn_phases.so"
  [ -f "$so" ] || { echo "mcu-run: no plugin $so (scripts/mcu-build.sh)" >&2; exit 2; }
  map="$elf.phases.map"
  if [ ! -f "$map" ] || [ "$elf" -nt "$map" ] || [ "$REPO/tools/qemu-plugin/phases.txt" -nt "$map" ]; then
    "$REPO/scripts/mcu-phase-map.py" "$elf" >"$map.tmp" && mv "$map.tmp" "$map"
  fi
  counts="$(mktemp)"
  trap 'rm -f "$counts"' EXIT
  plugin=(-plugin "$so,map=$map,out=$counts${MCU_PROFILE:+,blocks=$MCU_PROFILE}")
fi

status=0
timeout "${MCU_TIMEOUT:-1200}" qemu-system-arm -M "$board" -nographic -monitor none -serial none \
  -semihosting-config "$semi" -kernel "$elf" "${plugin[@]}" || status=$?
if [ $status = 124 ]; then
  echo "mcu-run: timeout after ${MCU_TIMEOUT:-1200} s ($board $elf)" >&2
elif [ $count = 1 ]; then
  if [ -s "$counts" ]; then
    echo "insns $(awk '{printf "%s%s=%s", (NR > 1 ? " " : ""), $1, $2}' "$counts")"
  else
    echo "mcu-run: the plugin wrote no counts" >&2
    [ $status != 0 ] || status=1
  fi
fi
exit $status
