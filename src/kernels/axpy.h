// y[i] += a x[i], inline, for the kernels that call it on short runs (dense.cpp's axpy, the
// convolutions' window runs). Internal header.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "kernels/rows4.h"  // TINYPROP_ARM_VFP_ROWS4

namespace tinyprop {

// y[i] += a x[i]: every element independent, so the 4-element unroll (SSE through SLP on x86,
// less loop overhead on a Cortex-M) gives the same bits as the plain loop.
inline void axpy_inline(float* __restrict y, float a, const float* __restrict x, uint32_t n) {
  size_t i = 0;
#if defined(TINYPROP_ARM_VFP_ROWS4)
  // Cortex-M with a single-precision FPU: the same four products and sums per block, in the
  // C operand order (a x, then y + a x), from one VLDM of x and of y and one VSTM of y: 13
  // instructions per four elements where GCC's code for the loop below takes 23.
  if (n >= 4) {
    uint32_t blocks = n / 4u;
    float* py = y;
    const float* px = x;
    __asm__ volatile(
        "1:\n\t"
        "vldmia %[x]!, {s8-s11}\n\t"
        "vldmia %[y], {s12-s15}\n\t"
        "vmul.f32 s8, %[a], s8\n\t"
        "vmul.f32 s9, %[a], s9\n\t"
        "vmul.f32 s10, %[a], s10\n\t"
        "vmul.f32 s11, %[a], s11\n\t"
        "vadd.f32 s12, s12, s8\n\t"
        "vadd.f32 s13, s13, s9\n\t"
        "vadd.f32 s14, s14, s10\n\t"
        "vadd.f32 s15, s15, s11\n\t"
        "vstmia %[y]!, {s12-s15}\n\t"
        "subs %[blocks], %[blocks], #1\n\t"
        "bne 1b\n\t"
        : [x] "+r"(px), [y] "+r"(py), [blocks] "+r"(blocks)
        : [a] "t"(a)
        : "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15", "cc", "memory");
    i = n - n % 4u;
  }
#endif
  for (; i + 4 <= n; i += 4) {
    y[i] += a * x[i];
    y[i + 1] += a * x[i + 1];
    y[i + 2] += a * x[i + 2];
    y[i + 3] += a * x[i + 3];
  }
  for (; i < n; ++i) y[i] += a * x[i];
}

}  // namespace tinyprop
