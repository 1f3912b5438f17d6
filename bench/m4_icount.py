#!/usr/bin/env python3
"""Cortex-M4 instruction counts of the dense backward kernels, full against sparse.

Compiles src/kernels/dense.cpp and src/sparsity/select.cpp for a Cortex-M4F with the core's flags
(arm-none-eabi-g++ -O2 -ffp-contract=off ...), links them with newlib (memset) at 0x1000, and
runs the functions in the unicorn emulator, counting executed instructions with a per-
instruction hook. On a Cortex-M4 (no cache, no branch predictor, single issue) the instruction
count is a close proxy for cycles; flash wait states and multi-cycle loads are not modelled.

One backward call = select_top_k (skipped when k = N) + dense_backward_input (dx) +
dense_accumulate_weight_grad (dW), the "kernels" variant of bench/dense_backward_case.h.
The dx and dW counts depend only on k; the selection's is the mean over CALLS fresh error
vectors dy ~ N(0, 0.1^2) (seeded, so the numbers repeat exactly).

usage: m4_icount.py <source_root> <work_dir>      (needs python3-unicorn and gcc-arm-none-eabi)
"""
import os
import random
import struct
import subprocess
import sys

from unicorn import Uc, UC_ARCH_ARM, UC_MODE_THUMB, UC_MODE_MCLASS, UC_HOOK_CODE
from unicorn.arm_const import (UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3,
                               UC_ARM_REG_SP, UC_ARM_REG_LR)

LAYERS = [(784, 128), (128, 64)]
RATIOS = [1.0, 0.5, 0.2, 0.1, 0.05]
CALLS = 64
CPU = ["-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"]
CXXFLAGS = ["-std=c++17", "-O2", "-fno-exceptions", "-fno-rtti", "-ffp-contract=off"]
CODE, RAM, RET = 0x1000, 0x20000000, 0xF000


def build(root, work):
    objs = []
    for src in ["src/kernels/dense.cpp", "src/sparsity/select.cpp"]:
        obj = os.path.join(work, os.path.basename(src) + ".o")
        subprocess.run(["arm-none-eabi-g++", *CPU, *CXXFLAGS, "-I" + os.path.join(root, "include"),
                        "-I" + os.path.join(root, "src"),
                        "-c", os.path.join(root, src), "-o", obj], check=True)
        objs.append(obj)
    elf = os.path.join(work, "kernels_m4.elf")
    subprocess.run(["arm-none-eabi-gcc", *CPU, "-nostartfiles", "--specs=nosys.specs",
                    f"-Wl,-Ttext={CODE:#x}", f"-Wl,-e,{CODE:#x}", *objs, "-o", elf], check=True)
    subprocess.run(["arm-none-eabi-objcopy", "-O", "binary", elf, elf + ".bin"], check=True)
    syms = {}
    nm = subprocess.run(["arm-none-eabi-nm", "-C", elf], capture_output=True, text=True).stdout
    for line in nm.splitlines():
        addr, _, name = line.split(" ", 2)
        syms[name.split("(")[0]] = int(addr, 16)
    return open(elf + ".bin", "rb").read(), syms


def k_for_ratio(r, n):  # the float rule of src/sparsity/select.cpp (decimal r * n floors exactly)
    return n if r >= 1.0 else max(1, min(n, int(r * n + 1e-6 * r * n)))


class M4:
    def __init__(self, code, syms):
        self.syms = syms
        self.uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
        self.uc.mem_map(0, 0x40000)
        self.uc.mem_write(CODE, code)
        self.uc.mem_write(RET, b"\x00\xbf\x00\xbf")  # nop; nop: where calls return
        self.uc.mem_map(RAM, 0x400000)
        self.count = 0
        self.uc.hook_add(UC_HOOK_CODE, self._tick)

    def _tick(self, uc, address, size, data):
        self.count += 1

    def write_f32(self, addr, values):
        self.uc.mem_write(addr, struct.pack(f"<{len(values)}f", *values))

    def call(self, name, *args):
        """Runs tinyprop::<name>(args) (all 32-bit; the fifth and sixth on the stack)."""
        regs = [UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3]
        for reg, value in zip(regs, args):
            self.uc.reg_write(reg, value)
        sp = RAM + 0x3FFF00
        if len(args) > 4:
            self.uc.mem_write(sp, struct.pack(f"<{len(args) - 4}I", *args[4:]))
        self.uc.reg_write(UC_ARM_REG_SP, sp)
        self.uc.reg_write(UC_ARM_REG_LR, RET | 1)
        self.count = 0
        self.uc.emu_start(self.syms["tinyprop::" + name] | 1, RET)
        return self.count


def main():
    root, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    m4 = M4(*build(root, work))
    rng = random.Random(20240601)
    W, DW, X, DX, DY, IDX = RAM, RAM + 0x100000, RAM + 0x200000, RAM + 0x201000, RAM + 0x202000, RAM + 0x203000
    print("Cortex-M4 instructions per backward call (kernels variant; unicorn, "
          "arm-none-eabi-g++ -O2); ratio = sparse / full.\n")
    print("| layer | case | k | k/N | select | dx | dW | total | ratio |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    checks = []
    for n_in, n_out in LAYERS:
        m4.write_f32(W, [rng.uniform(-0.1, 0.1) for _ in range(n_in * n_out)])
        m4.write_f32(X, [rng.random() for _ in range(n_in)])
        full = None
        for r in RATIOS:
            k = k_for_ratio(r, n_out)
            sel = 0.0
            if k < n_out:
                for _ in range(CALLS):
                    dy = [rng.gauss(0.0, 0.1) for _ in range(n_out)]
                    m4.write_f32(DY, dy)
                    sel += m4.call("select_top_k", DY, n_out, k, IDX)
                    got = list(struct.unpack(f"<{k}I", m4.uc.mem_read(IDX, 4 * k)))
                    want = sorted(sorted(range(n_out), key=lambda i: (-abs(dy[i]), i))[:k])
                    assert got == want, "select_top_k on the M4 disagrees with a sort (set or order)"
                sel /= CALLS
            rows = IDX if k < n_out else 0  # null = all rows, the dense path
            dx = m4.call("dense_backward_input", DX, W, DY, rows, k, n_in)
            dw = m4.call("dense_accumulate_weight_grad", DW, X, DY, rows, k, n_in)
            total = sel + dx + dw
            full = full or total
            label = "full" if k == n_out else f"r={r:.2f}"
            print(f"| {n_in}x{n_out} | {label} | {k} | {k / n_out:.3f} | {sel:,.0f} | {dx:,} | "
                  f"{dw:,} | {total:,.0f} | {total / full:.4f} |")
            if r == 0.1:
                checks.append((f"{n_in}x{n_out}", total / full))
    print()
    for name, ratio in checks:
        verdict = "holds" if ratio <= 0.15 else "MISSED"
        print(f"target (Cortex-M4 instructions, r=0.1): {name} kernels: {ratio:.4f} x full -> {verdict}")


if __name__ == "__main__":
    main()
