#!/usr/bin/env python3
"""Cortex-M4 instructions per training step of a dense-input model: the audio autoencoder.

Builds the whole core (src/**/*.cpp) and bench/m4_step_driver.c for a Cortex-M4F with the core's
flags (arm-none-eabi-g++ -O2 -ffp-contract=off), links them with newlib at 0x1000 and runs the
driver in the unicorn emulator (bench/m4_icount.py's emulator: one count per executed
instruction). The model is the dense autoencoder of the audio scenario,
640-128-128-128-8-128-128-128-640 (ReLU, linear output, MSE against the input), trained with SGD
(lr 0.001) at batch size 1 on standardised inputs x ~ N(0, 1): no input is an exact zero, so
zero-skipping cannot help the first layer (ReLU outputs of the hidden layers still hold zeros).
Per method: WARMUP steps, then the mean over STEPS steps of drv_step (tp_trainer_train_target).

usage: m4_step.py <source_root> <work_dir>
"""
import glob
import os
import random
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from m4_icount import CPU, CXXFLAGS, CODE, RAM, RET, M4  # noqa: E402
from unicorn.arm_const import UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_SP, UC_ARM_REG_LR  # noqa: E402,E501

WARMUP, STEPS = 4, 16
METHODS = [("full", 0), ("tinyprop", 2)]  # tp_method values
ARENA, ARENA_BYTES, X, COUNTERS = RAM, 0x300000, RAM + 0x300000, RAM + 0x301000


def build(root, work, driver):
    objs = []
    sources = sorted(glob.glob(os.path.join(root, "src", "*", "*.cpp"))) + [driver]
    for src in sources:
        obj = os.path.join(work, os.path.relpath(src, root).replace(os.sep, "_") + ".o")
        compiler = "arm-none-eabi-gcc" if src.endswith(".c") else "arm-none-eabi-g++"
        flags = ["-O2", "-ffp-contract=off"] if src.endswith(".c") else CXXFLAGS
        subprocess.run([compiler, *CPU, *flags, "-I" + os.path.join(root, "include"),
                        "-I" + os.path.join(root, "src"), "-c", src, "-o", obj], check=True)
        objs.append(obj)
    elf = os.path.join(work, "step_m4.elf")
    subprocess.run(["arm-none-eabi-gcc", *CPU, "-nostartfiles", "--specs=nosys.specs",
                    f"-Wl,-Ttext={CODE:#x}", f"-Wl,-e,{CODE:#x}", "-Wl,--gc-sections", "-Wl,-u,drv_setup", "-Wl,-u,drv_step", *objs,
                    "-lm", "-o", elf], check=True)
    subprocess.run(["arm-none-eabi-objcopy", "-O", "binary", elf, elf + ".bin"], check=True)
    syms = {}
    nm = subprocess.run(["arm-none-eabi-nm", elf], capture_output=True, text=True).stdout
    for line in nm.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2]] = int(parts[0], 16)
    return open(elf + ".bin", "rb").read(), syms


def call(m4, name, *args):
    for reg, value in zip([UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2], args):
        m4.uc.reg_write(reg, value)
    m4.uc.reg_write(UC_ARM_REG_SP, RAM + 0x3FFF00)
    m4.uc.reg_write(UC_ARM_REG_LR, RET | 1)
    m4.count = 0
    m4.uc.emu_start(m4.syms[name] | 1, RET)
    return m4.count, m4.uc.reg_read(UC_ARM_REG_R0)


def main():
    root, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    driver = os.path.join(os.path.dirname(os.path.abspath(__file__)), "m4_step_driver.c")
    code, syms = build(root, work, driver)
    assert len(code) < 0x3F000, "code does not fit the emulator's code region"
    print("Cortex-M4 instructions per training step, audio autoencoder "
          "640-128-128-128-8-128-128-128-640, SGD batch 1, x ~ N(0, 1) (unicorn, "
          f"arm-none-eabi-g++ -O2; mean of {STEPS} steps after {WARMUP}).\n")
    print("| method | instructions/step | forward MACs done / counted | backward MACs done |")
    print("|---|---:|---:|---:|")
    for label, method in METHODS:
        m4 = M4(code, syms)
        _, status = call(m4, "drv_setup", method, ARENA, ARENA_BYTES)
        assert status == 0, f"drv_setup failed with status {status}"
        rng = random.Random(640)
        total, fwd_done, fwd, bwd_done = 0, 0, 0, 0
        for step in range(WARMUP + STEPS):
            m4.write_f32(X, [rng.gauss(0.0, 1.0) for _ in range(640)])
            count, _ = call(m4, "drv_step", X, COUNTERS)
            c = struct.unpack("<7Q", m4.uc.mem_read(COUNTERS, 56))
            if step >= WARMUP:
                total += count
                fwd += c[0]
                fwd_done += c[5]
                bwd_done += c[6]
        print(f"| {label} | {total / STEPS:,.0f} | {fwd_done / STEPS:,.0f} / {fwd / STEPS:,.0f} | "
              f"{bwd_done / STEPS:,.0f} |")


if __name__ == "__main__":
    main()
