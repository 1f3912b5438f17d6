#!/usr/bin/env python3
"""Cortex-M4 instructions per multiply-add of the dense kernels on dense inputs, with their bits.

Uses the build and emulator of bench/m4_icount.py (src/kernels/dense.cpp compiled for a
Cortex-M4F with the core's flags, arm-none-eabi-g++ -O2 -ffp-contract=off, run in unicorn with
one count per executed instruction). Kernels, every input nonzero (no block can be skipped):

  forward        dense_forward_nz, dense decision: y = b + W x
  SGD row update dense_sgd_update_rows over all rows: W[j, :] += (-lr dy[j]) x (batch 1)
                 (a source root without it: one axpy call per row, the former update)
  error          dense_backward_input over all rows: dx = W^T dy
  dW accumulate  dense_accumulate_weight_grad over all rows: dW[j, :] += dy[j] x (batch > 1)

Each result is compared bit for bit with numpy float32 in the canonical order (four lane sums
over i mod 4 combined as (s0 + s1) + (s2 + s3), then the tail; every axpy element y + a x).
The bound: a Cortex-M4 needs one VMUL and one VADD per MAC (no contraction), so
instructions/MAC >= 2 + (loads + stores + loop overhead) / MAC; with four rows sharing each
four-float input load (one VLDM) the forward pass needs 5 VLDM per 16 MACs and the row update
5 VLDM + 4 VSTM, i.e. >= 2.31 and >= 2.56 before the loop's compare and branch.

usage: m4_kernels.py <source_root> <work_dir>
"""
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from m4_icount import M4, RAM, build  # noqa: E402
from unicorn.arm_const import UC_ARM_REG_S0  # noqa: E402

LAYERS = [(784, 32), (32, 16), (16, 10), (784, 128), (128, 64), (30, 7)]
F32 = np.float32


def dot_canonical(w, x):
    n = len(x)
    whole = n - n % 4
    lanes = [F32(0.0)] * 4
    for i in range(0, whole, 4):
        for lane in range(4):
            lanes[lane] = F32(lanes[lane] + F32(w[i + lane] * x[i + lane]))
    s = F32(F32(lanes[0] + lanes[1]) + F32(lanes[2] + lanes[3]))
    for i in range(whole, n):
        s = F32(s + F32(w[i] * x[i]))
    return s


def forward_ref(w, x, b):
    return np.array([F32(b[j] + dot_canonical(w[j], x)) for j in range(w.shape[0])], dtype=F32)


def call_with_float(m4, name, value, *int_args):
    """Hard-float ABI: the one float argument in s0, the others in r0.. and on the stack."""
    m4.uc.reg_write(UC_ARM_REG_S0, struct.unpack("<I", F32(value).tobytes())[0])
    return m4.call(name, *int_args)


def main():
    root, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    code, syms = build(root, work)
    m4 = M4(code, syms)
    has_rows_update = "tinyprop::dense_sgd_update_rows" in syms
    rng = np.random.default_rng(16)
    W, B, X, Y, DY, DX, DW, NZ = (RAM, RAM + 0x100000, RAM + 0x101000, RAM + 0x102000,
                                  RAM + 0x103000, RAM + 0x104000, RAM + 0x200000, RAM + 0x105000)
    ROWS = RAM + 0x106000
    lr = F32(0.01)
    print("Cortex-M4 instructions per multiply-add, dense inputs (unicorn, arm-none-eabi-g++ -O2 "
          "-ffp-contract=off); bits checked against the canonical order.\n")
    print("| layer | forward | SGD row update | error | dW accumulate |")
    print("|---|---:|---:|---:|---:|")
    for n_in, n_out in LAYERS:
        w = rng.uniform(-0.1, 0.1, (n_out, n_in)).astype(F32)
        b = rng.uniform(-0.1, 0.1, n_out).astype(F32)
        x = rng.uniform(0.05, 1.0, n_in).astype(F32)  # no zero: the dense path everywhere
        dy = rng.normal(0.0, 0.1, n_out).astype(F32)
        macs = n_in * n_out
        m4.uc.mem_write(W, w.tobytes())
        m4.uc.mem_write(B, b.tobytes())
        m4.uc.mem_write(X, x.tobytes())
        m4.uc.mem_write(DY, dy.tobytes())
        m4.uc.mem_write(NZ, b"\x00" * 8)  # skip = false: the dense decision

        fwd = m4.call("dense_forward_nz", Y, X, W, B, n_in, n_out, NZ)
        got = np.frombuffer(bytes(m4.uc.mem_read(Y, 4 * n_out)), dtype=F32)
        assert got.tobytes() == forward_ref(w, x, b).tobytes(), f"forward bits {n_in}x{n_out}"

        a = (-lr * dy).astype(F32)
        want = (w + (a[:, None] * x[None, :]).astype(F32)).astype(F32)
        if has_rows_update:
            upd = call_with_float(m4, "dense_sgd_update_rows", lr, W, X, DY, 0, n_out, n_in, NZ)
        else:  # the former update: one axpy per row
            upd = 0
            for j in range(n_out):
                upd += call_with_float(m4, "axpy", a[j], W + 4 * j * n_in, X, n_in)
        got = np.frombuffer(bytes(m4.uc.mem_read(W, 4 * macs)), dtype=F32).reshape(n_out, n_in)
        assert got.tobytes() == want.tobytes(), f"SGD row update bits {n_in}x{n_out}"
        w = want

        err = m4.call("dense_backward_input", DX, W, DY, 0, n_out, n_in)
        ref = np.zeros(n_in, dtype=F32)
        for j in range(n_out):
            ref = (ref + (dy[j] * w[j]).astype(F32)).astype(F32)
        got = np.frombuffer(bytes(m4.uc.mem_read(DX, 4 * n_in)), dtype=F32)
        assert got.tobytes() == ref.tobytes(), f"error bits {n_in}x{n_out}"

        # A row list of 1 to 7 rows (groups of four and the rest), reversed order.
        listed = list(range(n_out))[::-1][:min(n_out, 7)]
        m4.uc.mem_write(ROWS, struct.pack(f"<{len(listed)}I", *listed))
        m4.call("dense_backward_input", DX, W, DY, ROWS, len(listed), n_in)
        ref = np.zeros(n_in, dtype=F32)
        for j in listed:
            ref = (ref + (dy[j] * w[j]).astype(F32)).astype(F32)
        got = np.frombuffer(bytes(m4.uc.mem_read(DX, 4 * n_in)), dtype=F32)
        assert got.tobytes() == ref.tobytes(), f"error bits, row list {n_in}x{n_out}"
        if has_rows_update:
            call_with_float(m4, "dense_sgd_update_rows", lr, W, X, DY, ROWS, len(listed), n_in,
                            NZ)
            for j in listed:
                w[j] = (w[j] + (a[j] * x).astype(F32)).astype(F32)
            got = np.frombuffer(bytes(m4.uc.mem_read(W, 4 * macs)), dtype=F32)
            assert got.tobytes() == w.tobytes(), f"SGD update bits, row list {n_in}x{n_out}"

        m4.uc.mem_write(DW, bytes(4 * macs))
        dwc = m4.call("dense_accumulate_weight_grad", DW, X, DY, 0, n_out, n_in)
        got = np.frombuffer(bytes(m4.uc.mem_read(DW, 4 * macs)), dtype=F32).reshape(n_out, n_in)
        assert got.tobytes() == (dy[:, None] * x[None, :]).astype(F32).tobytes(), "dW bits"

        print(f"| {n_in}x{n_out} | {fwd / macs:.2f} | {upd / macs:.2f} | {err / macs:.2f} | "
              f"{dwc / macs:.2f} |")


if __name__ == "__main__":
    main()
