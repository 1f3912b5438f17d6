#!/usr/bin/env python3
"""Cortex-M55 (Helium) instructions per multiply-add of the dense kernels on dense inputs.

The Cortex-M55 sibling of bench/m4_kernels.py, same kernels, layer shapes and dense inputs
(every x nonzero, all rows). unicorn has no Helium (MVE), so the kernels run under QEMU
mps3-an547 instead: bench/m55/m55_kernels.cpp is built with src/kernels/dense.cpp for
-mcpu=cortex-m55 -mthumb -mfloat-abi=hard -O2 -ffp-contract=off (the Helium variants of
src/kernels/rows4.h, as tests/mcu/helium/run.sh builds them), one QEMU run per kernel and
layer makes one call inside one counting window, and the instruction-counting plugin
(tools/qemu-plugin, built as scripts/mcu-build.sh builds it) counts the instructions of the
kernel itself (bench/m55/phases.txt: every tinyprop:: function, from entry to return). Each
run checks its result bit for bit against the per-row reference of the canonical order on the
device and fails otherwise.

  forward        dense_forward_nz, dense decision: y = b + W x
  SGD row update dense_sgd_update_rows over all rows: W[j, :] += (-lr dy[j]) x (batch 1)
  error          dense_backward_input over all rows: dx = W^T dy
  dW accumulate  dense_accumulate_weight_grad over all rows: dW[j, :] += dy[j] x (batch > 1)

The bound, bench/m4_kernels.py's formula with four float lanes per Helium instruction: per
block of four inputs and R = 4 rows (16 MACs) one VMUL and one VADD per row (no contraction),
one 4-float load per row's weights plus one shared for x, the row update's store per row (the
error's dx load and store once per four rows), and the loop's branch: ARMv8.1-M's low-overhead
loop end (LE: decrement, compare and branch in one instruction, which GCC emits for these loops)
instead of the M4's compare and branch:
  forward (2R + R + 1 + 1) / 4R = 0.875, SGD row update (4R + 1 + 1) / 4R = 1.125,
  error (3R + 2 + 1) / 4R = 0.9375, dW accumulate (4R + 1 + 1) / 4R = 1.125.

usage: m55_kernels.py <source_root> <work_dir>      (needs gcc-arm-none-eabi, qemu-system-arm)
"""
import os
import subprocess
import sys

LAYERS = [(784, 32), (32, 16), (16, 10), (784, 128), (128, 64), (30, 7)]
KERNELS = [("forward", "forward"), ("update", "SGD row update"), ("error", "error"),
           ("dw", "dW accumulate")]
BOUND = {"forward": 14 / 16, "update": 18 / 16, "error": 15 / 16, "dw": 18 / 16}
CPU = ["-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"]
FLAGS = ["-O2", "-ffp-contract=off", "-ffunction-sections", "-fdata-sections", "-Wall",
         "-Wextra", "-Werror"]


def sh(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit("m55_kernels: %s failed (%d):\n%s%s" % (" ".join(cmd[:2]), r.returncode,
                                                         r.stdout, r.stderr))
    return r.stdout


def build(root, work):
    port = os.path.join(root, "port", "cortex-m")
    example = os.path.join(root, "examples", "mcu_finetune")
    objs = []
    for src in ("startup.c", "semihost.c", "markers.c"):
        obj = os.path.join(work, src + ".o")
        sh(["arm-none-eabi-gcc", *CPU, *FLAGS, "-I" + port, "-c", os.path.join(port, src),
            "-o", obj])
        objs.append(obj)
    for src in (os.path.join(root, "src", "kernels", "dense.cpp"),
                os.path.join(root, "bench", "m55", "m55_kernels.cpp"),
                os.path.join(example, "text_line.cpp")):
        obj = os.path.join(work, os.path.basename(src) + ".o")
        sh(["arm-none-eabi-g++", *CPU, *FLAGS, "-std=c++17", "-fno-exceptions", "-fno-rtti",
            "-I" + os.path.join(root, "include"), "-I" + os.path.join(root, "src"), "-I" + port,
            "-I" + example, "-c", src, "-o", obj])
        objs.append(obj)
    elf = os.path.join(work, "m55_kernels.elf")
    sh(["arm-none-eabi-gcc", *CPU, "-nostartfiles", "-Wl,--gc-sections",
        "-Wl,--no-warn-rwx-segments", "-L" + port,
        "-T" + os.path.join(root, "tests", "mcu", "helium", "mps3-an547.ld"), *objs, "-lm",
        "-o", elf])
    plugin = os.path.join(work, "libinsn_phases.so")
    sh([os.environ.get("CC", "cc"), "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror",
        "-o", plugin, os.path.join(root, "tools", "qemu-plugin", "insn_phases.c")])
    phase_map = os.path.join(work, "m55_kernels.map")
    with open(phase_map, "w") as f:
        f.write(sh([sys.executable, os.path.join(root, "scripts", "mcu-phase-map.py"), elf,
                    "--rules", os.path.join(root, "bench", "m55", "phases.txt"), "--require", "begin",
                    "--require", "end", "--require", "forward", "--require", "other"]))
    return elf, plugin, phase_map


def count(elf, plugin, phase_map, work, kernel, n_in, n_out):
    out = os.path.join(work, "counts.txt")
    if os.path.exists(out):
        os.remove(out)
    printed = sh(["timeout", "120", "qemu-system-arm", "-M", "mps3-an547", "-nographic",
                  "-monitor", "none", "-serial", "none", "-semihosting-config",
                  "enable=on,target=native,arg=m55_kernels,arg=%s,arg=%d,arg=%d" % (
                      kernel, n_in, n_out),
                  "-kernel", elf, "-plugin", "%s,map=%s,out=%s" % (plugin, phase_map, out)])
    if "bits=ok" not in printed:
        sys.exit("m55_kernels: %s %dx%d: %s" % (kernel, n_in, n_out, printed.strip()))
    counts = dict(line.split() for line in open(out))
    if counts.get("windows") != "1":
        sys.exit("m55_kernels: %s %dx%d: %s windows, expected 1" % (kernel, n_in, n_out,
                                                                    counts.get("windows")))
    return int(counts["forward"])


def main():
    root, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    elf, plugin, phase_map = build(root, work)
    print("Cortex-M55 instructions per multiply-add, dense inputs (QEMU mps3-an547, the "
          "instruction-counting plugin; arm-none-eabi-g++ -mcpu=cortex-m55 -O2 "
          "-ffp-contract=off); bits checked on the device against the canonical order.\n")
    print("| layer | " + " | ".join(label for _, label in KERNELS) + " |")
    print("|---|" + "---:|" * len(KERNELS))
    for n_in, n_out in LAYERS:
        macs = n_in * n_out
        cells = ["%.2f" % (count(elf, plugin, phase_map, work, k, n_in, n_out) / macs)
                 for k, _ in KERNELS]
        print("| %dx%d | %s |" % (n_in, n_out, " | ".join(cells)))
    print("| bound (R = 4) | " + " | ".join("%.2f" % BOUND[k] for k, _ in KERNELS) + " |")


if __name__ == "__main__":
    main()
