#!/usr/bin/env python3
"""Instructions per training sample, per function, from the counting plugin's block profile.

    MCU_PROFILE=blocks.txt scripts/mcu-run.sh --count BOARD fw.elf ARGS...   (prints windows=W)
    scripts/mcu-profile.py fw.elf blocks.txt --windows W [--top 30]

Each executed block (start address, instructions, executions inside a window) is credited to
the function symbol (arm-none-eabi-nm -C -S) that holds its start address; blocks in no symbol
are listed as "?". Inlined helpers count for the function they were inlined into.
"""
import argparse
import bisect
import subprocess
import sys


def functions(elf, nm):
    out = subprocess.run([nm, "-C", "-S", "--defined-only", elf], check=True,
                         capture_output=True, text=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[2] in ("T", "t", "W", "w") and int(parts[1], 16) > 0:
            start = int(parts[0], 16) & ~1
            syms.append((start, start + int(parts[1], 16), parts[3]))
    syms.sort()
    return syms


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("elf")
    ap.add_argument("blocks")
    ap.add_argument("--windows", type=int, required=True,
                    help="training samples counted (windows= of mcu-run.sh --count)")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--nm", default="arm-none-eabi-nm")
    args = ap.parse_args()
    if args.windows <= 0:
        sys.exit("mcu-profile: --windows must be positive")
    syms = functions(args.elf, args.nm)
    starts = [s[0] for s in syms]
    per_function = {}
    with open(args.blocks) as f:
        for line_no, line in enumerate(f, 1):
            parts = line.split()
            if len(parts) != 3:
                sys.exit("mcu-profile: %s:%d: expected '<hex start> <insns> <execs>'"
                         % (args.blocks, line_no))
            addr, insns, execs = int(parts[0], 16), int(parts[1]), int(parts[2])
            i = bisect.bisect_right(starts, addr) - 1
            name = syms[i][2] if i >= 0 and addr < syms[i][1] else "?"
            per_function[name] = per_function.get(name, 0) + insns * execs
    total = sum(per_function.values())
    print("%12s %7s  function (instructions per sample; total %.1f)"
          % ("per sample", "share", total / args.windows))
    for name, n in sorted(per_function.items(), key=lambda kv: -kv[1])[:args.top]:
        print("%12.1f %6.1f%%  %s" % (n / args.windows, 100.0 * n / total, name))


if __name__ == "__main__":
    main()
