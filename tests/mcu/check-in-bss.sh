#!/usr/bin/env bash
# Fails unless every named global of a firmware is in .bss: zero-filled at start-up, so it
# costs RAM only, where an object in .data also stores its initial image in flash (and copies
# it at boot). The big core objects a firmware keeps as globals (Model, Trainer, ModelSpec)
# are all zero bytes when unbound (constexpr constructors) and must stay there. A name is the
# variable's unqualified C++ name (`g_model` also matches `(anonymous namespace)::g_model`);
# every defined object of that name must be in .bss, and at least one must exist.
#
#   tests/mcu/check-in-bss.sh <firmware.elf> NAME...   exit 0: all in .bss; 1: not (listed); 2: usage
set -uo pipefail
elf="${1:-}"
[ -f "$elf" ] && [ $# -ge 2 ] || { echo "usage: $0 <firmware.elf> NAME..." >&2; exit 2; }
shift
# objdump -t -C: "ADDRESS FLAGS SECTION SIZE NAME"; objects (O) only. The demangled name may
# contain spaces ("(anonymous namespace)::g_model"): it is everything after the size.
table="$(arm-none-eabi-objdump -t -C "$elf" |
  awk '$3 == "O" || $2 == "O" { sec = ($3 == "O") ? $4 : $3; n = ($3 == "O") ? 6 : 5;
         name = $n; for (i = n + 1; i <= NF; ++i) name = name " " $i; print sec "\t" name }')"
status=0
for want in "$@"; do
  rows="$(awk -F'\t' -v w="$want" '$2 == w || substr($2, length($2) - length(w) - 1) == "::" w' <<<"$table")"
  if [ -z "$rows" ]; then
    echo "$elf: no object named $want"; status=1; continue
  fi
  while IFS=$'\t' read -r sec name; do
    if [ "$sec" = ".bss" ]; then
      echo "$name: .bss"
    else
      echo "$name: $sec, not .bss"; status=1
    fi
  done <<<"$rows"
done
exit $status
