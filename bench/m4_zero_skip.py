#!/usr/bin/env python3
"""Cortex-M4 instruction counts of zero-skipping against the dense loops, on MNIST images.

Uses the build and emulator of bench/m4_icount.py (src/kernels/dense.cpp for a Cortex-M4F with the
core's flags, unicorn, one count per executed instruction). For the first IMAGES MNIST test images
(pixels / 255, as the tools load them) and the first layers of the two MNIST MLPs:

  forward dense  dense_forward_nz with the dense decision (skip = false: the dense dot)
  forward skip   find_nonzero_blocks + dense_forward_nz (the default path of a dense layer)
  dW dense/skip  the same for dense_accumulate_weight_grad(_nz) over all rows (batch > 1 path;
                 the batch-1 plain-SGD update runs the same axpy_nz loop per row)

Also checks that both paths give the same bits on the emulated M4.

usage: m4_zero_skip.py <source_root> <work_dir> <mnist_dir>
"""
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from m4_icount import M4, RAM, build  # noqa: E402

LAYERS = [(784, 32), (784, 128)]
IMAGES = 16


def mnist_images(path, count):
    with open(path, "rb") as f:
        raw = f.read(16 + 784 * count)
    return [[raw[16 + 784 * i + p] / 255.0 for p in range(784)] for i in range(count)]


def main():
    root, work, mnist = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(work, exist_ok=True)
    m4 = M4(*build(root, work))
    images = mnist_images(os.path.join(mnist, "t10k-images-idx3-ubyte"), IMAGES)
    rng = random.Random(7)
    W, B, X, Y, Y2, NZ, DW, DY = (RAM, RAM + 0x100000, RAM + 0x101000, RAM + 0x102000,
                                   RAM + 0x103000, RAM + 0x104000, RAM + 0x200000, RAM + 0x105000)
    # The kernels take a BlockList {bool skip; uint32 count; const uint16* index} (12 bytes on
    # the M4); find_nonzero_blocks fills a NonzeroBlocks {bool skip; uint32 count; uint16
    # index[256]} at NZ. LIST is the BlockList view of it (index -> NZ + 8).
    LIST = RAM + 0x106000

    def list_view():
        m4.uc.mem_write(LIST, bytes(m4.uc.mem_read(NZ, 8)) + struct.pack("<I", NZ + 8))
    print("Cortex-M4 instructions per call, mean over the first %d MNIST test images (unicorn, "
          "arm-none-eabi-g++ -O2); ratio = skip / dense.\n" % IMAGES)
    print("| layer | nonzero blocks | forward dense | forward skip | ratio | "
          "instr./MAC dense | dW dense | dW skip | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n_in, n_out in LAYERS:
        m4.write_f32(W, [rng.uniform(-0.1, 0.1) for _ in range(n_in * n_out)])
        m4.write_f32(B, [rng.uniform(-0.1, 0.1) for _ in range(n_out)])
        m4.write_f32(DY, [rng.gauss(0.0, 0.1) for _ in range(n_out)])
        sums = [0, 0, 0, 0]
        listed = 0
        for img in images:
            m4.write_f32(X, img)
            m4.uc.mem_write(NZ, b"\x00" * 8)  # skip = false: the dense decision
            list_view()
            fd = m4.call("dense_forward_nz", Y, X, W, B, n_in, n_out, LIST)
            dense_y = m4.uc.mem_read(Y, 4 * n_out)
            fs = m4.call("find_nonzero_blocks", X, n_in, NZ)
            skip, = struct.unpack("<?", m4.uc.mem_read(NZ, 1))
            count, = struct.unpack("<I", m4.uc.mem_read(NZ + 4, 4))
            assert skip, "an MNIST image should take the skip path"
            listed += count
            list_view()
            fs += m4.call("dense_forward_nz", Y2, X, W, B, n_in, n_out, LIST)
            assert m4.uc.mem_read(Y2, 4 * n_out) == dense_y, "skip and dense bits differ on the M4"
            m4.write_f32(DW, [0.0] * (n_in * n_out))
            wd = m4.call("dense_accumulate_weight_grad", DW, X, DY, 0, n_out, n_in)
            dense_dw = m4.uc.mem_read(DW, 4 * n_in * n_out)
            m4.write_f32(DW, [0.0] * (n_in * n_out))
            ws = m4.call("find_nonzero_blocks", X, n_in, NZ)
            list_view()
            ws += m4.call("dense_accumulate_weight_grad_nz", DW, X, DY, 0, n_out, n_in, LIST)
            assert m4.uc.mem_read(DW, 4 * n_in * n_out) == dense_dw, "dW bits differ on the M4"
            for i, v in enumerate((fd, fs, wd, ws)):
                sums[i] += v
        fd, fs, wd, ws = (s / IMAGES for s in sums)
        blocks = listed / IMAGES
        print(f"| {n_in}x{n_out} | {blocks:.1f} of {n_in // 4} | {fd:,.0f} | {fs:,.0f} | "
              f"{fs / fd:.3f} | {fd / (n_in * n_out):.2f} | {wd:,.0f} | {ws:,.0f} | {ws / wd:.3f} |")


if __name__ == "__main__":
    main()
