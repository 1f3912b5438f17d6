#!/usr/bin/env python3
"""Writes the address map the instruction-counting plugin reads (tools/qemu-plugin/insn_phases.c).

    scripts/mcu-phase-map.py firmware.elf [--rules tools/qemu-plugin/phases.txt] > phases.map

Every function symbol of the ELF (arm-none-eabi-nm -C -S) is matched against the rules; the
ones that match become "<start hex> <end hex> <kind>" lines. Fails if a marker or a phase rule
matches nothing, so a renamed core function cannot silently fall out of the counts.
"""
import argparse
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_rules(path):
    rules = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            kind, pattern = line.split(None, 1)
            rules.append((kind, re.compile(pattern), pattern))
    return rules


def function_symbols(elf, nm):
    out = subprocess.run([nm, "-C", "-S", "--defined-only", elf], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split(None, 3)
        if len(parts) != 4 or parts[2] not in ("T", "t", "W", "w"):
            continue
        start = int(parts[0], 16) & ~1  # Thumb symbols may carry bit 0
        size = int(parts[1], 16)
        if size > 0:
            yield start, start + size, parts[3]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("elf")
    ap.add_argument("--rules", default=os.path.join(REPO, "tools/qemu-plugin/phases.txt"))
    ap.add_argument("--nm", default="arm-none-eabi-nm")
    ap.add_argument("--require", action="append",
                    help="a kind that must match at least one function (repeatable; default: "
                    "begin, end, forward, selection, backward, update)")
    args = ap.parse_args()
    if not args.require:
        args.require = ["begin", "end", "forward", "selection", "backward", "update"]

    rules = read_rules(args.rules)
    matched = {}
    lines = []
    for start, end, name in sorted(function_symbols(args.elf, args.nm)):
        for kind, regex, pattern in rules:
            if regex.search(name):
                lines.append("%x %x %s  # %s" % (start, end, kind, name))
                matched.setdefault(kind, []).append(name)
                break
    missing = [k for k in args.require if k not in matched]
    if missing:
        sys.exit("mcu-phase-map: no function of %s matches the %s rules (renamed?)"
                 % (args.elf, ", ".join(missing)))
    print("# phase map of %s (scripts/mcu-phase-map.py)" % args.elf)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
