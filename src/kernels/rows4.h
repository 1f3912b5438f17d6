// Row-blocked forms of the core's dense kernels: four output rows per pass, each input block of
// four floats loaded once for all four rows. Internal header.
//
// The canonical summation order (every target, every variant): a row's dot product over n
// inputs keeps four lane sums, lane L summing w[i] x[i] for i = L (mod 4) in increasing i over
// the whole blocks i < n - n % 4, combined as (s0 + s1) + (s2 + s3), then the tail
// i = n - n % 4 .. n - 1 added left to right (dot4.h). Blocking over rows only changes which
// rows' sums are kept in registers at the same time, never a row's order, so the bits are those
// of dot4 row by row. The width of every target's SIMD fits the order:
//   Cortex-M4/M7/M33 (FPv4/FPv5, 32 single registers, no SIMD): 16 lane sums in s0..s15, one
//     VLDM per four weights and per four inputs (inline assembly below; GCC emits one VLDR per
//     float and an address add per row, ~3.7 instructions per MAC against ~2.45 here);
//   x86 SSE: one 128-bit register per row (lane L = s_L); AVX2: two rows per 256-bit register
//     (dense_simd_x86.cpp), the same lanes;
//   Cortex-M55 Helium (MVE, 128-bit Q registers): one Q register per row.
// Products and sums are single IEEE operations (no FMA contraction: -ffp-contract=off, and no
// fused instruction is written here), so every variant gives the scalar loop's bits.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "kernels/dot4.h"

namespace tinyprop {

#if defined(__arm__) && defined(__thumb2__) && defined(__ARM_FP) && ((__ARM_FP & 4) != 0) && \
    !defined(__ARM_FEATURE_MVE)
#define TINYPROP_ARM_VFP_ROWS4 1
#endif
#if defined(__ARM_FEATURE_MVE) && ((__ARM_FEATURE_MVE & 2) != 0)  // Helium with float lanes
#include <arm_mve.h>
#define TINYPROP_ARM_MVE_ROWS4 1
#endif

// A row count as a compile-time constant, for kernels with one unrolled loop per count.
template <uint32_t R>
struct RowCount {
  static constexpr uint32_t value = R;
};

// Calls f(RowCount<n>{}) for n in [1, Max) and f(RowCount<Max>{}) for n >= Max, so that a
// kernel can dispatch a run-time row count to its unrolled loop (R: the count tried next).
template <uint32_t Max, uint32_t R = 1, typename F>
inline void with_row_count(uint32_t n, F f) {
  if constexpr (R == Max) {
    f(RowCount<Max>{});
  } else {
    if (n == R) {
      f(RowCount<R>{});
    } else {
      with_row_count<Max, R + 1>(n, f);
    }
  }
}

// The scalar reference of both functions below (the canonical order written out; the tests
// compare every variant's bits with it).
inline void rows4_lanes_scalar(const float* __restrict w, size_t stride,
                               const float* __restrict x, uint32_t n_blocks,
                               float* __restrict lanes) {
  for (int r = 0; r < 4; ++r) {
    const float* __restrict a = w + static_cast<size_t>(r) * stride;
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    for (size_t i = 0; i < 4 * static_cast<size_t>(n_blocks); i += 4) {
      s0 += a[i] * x[i];
      s1 += a[i + 1] * x[i + 1];
      s2 += a[i + 2] * x[i + 2];
      s3 += a[i + 3] * x[i + 3];
    }
    lanes[4 * r] = s0;
    lanes[4 * r + 1] = s1;
    lanes[4 * r + 2] = s2;
    lanes[4 * r + 3] = s3;
  }
}

inline void rows4_lanes_blocks_scalar(const float* __restrict w, size_t stride,
                                      const float* __restrict x,
                                      const uint16_t* __restrict blocks, uint32_t n_blocks,
                                      float* __restrict lanes) {
  for (int r = 0; r < 4; ++r) {
    const float* __restrict a = w + static_cast<size_t>(r) * stride;
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    for (uint32_t t = 0; t < n_blocks; ++t) {
      const float* __restrict pa = a + static_cast<size_t>(blocks[t]) * 4u;
      const float* __restrict pb = x + static_cast<size_t>(blocks[t]) * 4u;
      s0 += pa[0] * pb[0];
      s1 += pa[1] * pb[1];
      s2 += pa[2] * pb[2];
      s3 += pa[3] * pb[3];
    }
    lanes[4 * r] = s0;
    lanes[4 * r + 1] = s1;
    lanes[4 * r + 2] = s2;
    lanes[4 * r + 3] = s3;
  }
}

#if defined(TINYPROP_FLOAT4)
// x86: the SSE variants (baseline x86-64), and the AVX2 ones (two rows per 256-bit register,
// rows4_x86.cpp), chosen at run time by the CPU (rows4_lanes below).
void rows4_lanes_sse(const float* w, size_t stride, const float* x, uint32_t n_blocks,
                     float* lanes);
void rows4_lanes_blocks_sse(const float* w, size_t stride, const float* x,
                            const uint16_t* blocks, uint32_t n_blocks, float* lanes);
void rows4_lanes_avx2(const float* w, size_t stride, const float* x, uint32_t n_blocks,
                      float* lanes);
void rows4_lanes_blocks_avx2(const float* w, size_t stride, const float* x,
                             const uint16_t* blocks, uint32_t n_blocks, float* lanes);
// True when the CPU runs the AVX2 variants (cpuid, read once by the compiler runtime).
bool cpu_has_avx2();
#endif


#if defined(TINYPROP_ARM_VFP_ROWS4)
// The pieces of the two assembly loops below. s0..s15: lane sums (row r lane L in s(4r+L));
// s16..s19: the x block; s20..s23: a row's four weights, overwritten by their products.
// One row: four VMUL, then the four VADD into its sums (registers A0..A3).
#define TINYPROP_DOT_ROW(A0, A1, A2, A3)                                                    \
  "vmul.f32 s20, s20, s16\n\tvmul.f32 s21, s21, s17\n\t"                                  \
  "vmul.f32 s22, s22, s18\n\tvmul.f32 s23, s23, s19\n\t"                                  \
  "vadd.f32 s" A0 ", s" A0 ", s20\n\tvadd.f32 s" A1 ", s" A1 ", s21\n\t"                     \
  "vadd.f32 s" A2 ", s" A2 ", s22\n\tvadd.f32 s" A3 ", s" A3 ", s23\n\t"
// +0 into the sixteen sums (a core register holding 0 into eight D registers).
#define TINYPROP_ZERO_S0_S15                                                                \
  "vmov d0, %[z], %[z]\n\tvmov d1, %[z], %[z]\n\tvmov d2, %[z], %[z]\n\t"                 \
  "vmov d3, %[z], %[z]\n\tvmov d4, %[z], %[z]\n\tvmov d5, %[z], %[z]\n\t"                 \
  "vmov d6, %[z], %[z]\n\tvmov d7, %[z], %[z]\n\t"
#define TINYPROP_DOT_CLOBBERS                                                               \
  "cc", "memory", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",  \
      "s12", "s13", "s14", "s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23"
// The dense block loop of rows4_lanes and rows4_dots_add: the sixteen lane sums of four rows
// (%[w0]..%[w3], advanced) against x (%[xp] up to %[xe]), from zero, or left at zero when
// there is no block.
#define TINYPROP_ROWS4_DENSE_LOOP                                                          \
  TINYPROP_ZERO_S0_S15                                                                     \
  "cmp %[xp], %[xe]\n\t"                                                                    \
  "beq 2f\n"                                                                                \
  "1:\n\t"                                                                                  \
  "vldmia %[xp]!, {s16-s19}\n\t"                                                            \
  "vldmia %[w0]!, {s20-s23}\n\t" TINYPROP_DOT_ROW("0", "1", "2", "3")                       \
  "vldmia %[w1]!, {s20-s23}\n\t" TINYPROP_DOT_ROW("4", "5", "6", "7")                       \
  "vldmia %[w2]!, {s20-s23}\n\t" TINYPROP_DOT_ROW("8", "9", "10", "11")                     \
  "vldmia %[w3]!, {s20-s23}\n\t" TINYPROP_DOT_ROW("12", "13", "14", "15")                   \
  "cmp %[xp], %[xe]\n\t"                                                                    \
  "bne 1b\n"                                                                                \
  "2:\n\t"
#endif

#if defined(TINYPROP_ARM_MVE_ROWS4)
// Helium: one Q register per row (lane L = s_L), block t at element offset(t); VMUL and VADD
// are separate IEEE operations (no contraction into VFMA: -ffp-contract=off).
template <typename Offset>
inline void rows4_lanes_mve(const float* w, size_t stride, const float* x, uint32_t n_blocks,
                            Offset offset, float* lanes) {
  const float* w1 = w + stride;
  const float* w2 = w + 2 * stride;
  const float* w3 = w + 3 * stride;
  float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
  for (uint32_t t = 0; t < n_blocks; ++t) {
    const size_t i = offset(t);
    const float32x4_t xv = vld1q_f32(x + i);
    a0 = vaddq_f32(a0, vmulq_f32(vld1q_f32(w + i), xv));
    a1 = vaddq_f32(a1, vmulq_f32(vld1q_f32(w1 + i), xv));
    a2 = vaddq_f32(a2, vmulq_f32(vld1q_f32(w2 + i), xv));
    a3 = vaddq_f32(a3, vmulq_f32(vld1q_f32(w3 + i), xv));
  }
  vst1q_f32(lanes, a0);
  vst1q_f32(lanes + 4, a1);
  vst1q_f32(lanes + 8, a2);
  vst1q_f32(lanes + 12, a3);
}
#endif

// lanes[4 r + L] = lane sum L of row r (w + r * stride) against x over the whole blocks
// 0 .. n_blocks - 1 (dense input).
inline void rows4_lanes(const float* __restrict w, size_t stride, const float* __restrict x,
                        uint32_t n_blocks, float* __restrict lanes) {
#if defined(TINYPROP_ARM_VFP_ROWS4)
  const float* w0 = w;
  const float* w1 = w + stride;
  const float* w2 = w + 2 * stride;
  const float* w3 = w + 3 * stride;
  const float* xp = x;
  const float* const x_end = x + 4 * static_cast<size_t>(n_blocks);
  const uint32_t zero = 0;
  // Per block: 5 VLDM + 16 VMUL + 16 VADD + CMP + BNE = 39 instructions for 16 MACs.
  __asm__ volatile(
      TINYPROP_ROWS4_DENSE_LOOP
      "vstmia %[out], {s0-s15}\n\t"
      : [xp] "+r"(xp), [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3)
      : [xe] "r"(x_end), [z] "r"(zero), [out] "r"(lanes)
      : TINYPROP_DOT_CLOBBERS);
#elif defined(TINYPROP_ARM_MVE_ROWS4)
  rows4_lanes_mve(w, stride, x, n_blocks, [](uint32_t t) { return 4 * static_cast<size_t>(t); },
                  lanes);
#elif defined(TINYPROP_FLOAT4)
  if (cpu_has_avx2()) {
    rows4_lanes_avx2(w, stride, x, n_blocks, lanes);
  } else {
    rows4_lanes_sse(w, stride, x, n_blocks, lanes);
  }
#else
  rows4_lanes_scalar(w, stride, x, n_blocks, lanes);
#endif
}

// The same over the listed blocks only (blocks[t] = b: elements 4b..4b+3, increasing), the
// zero-skipping path (dot4_blocks' lanes for four rows).
inline void rows4_lanes_blocks(const float* __restrict w, size_t stride,
                               const float* __restrict x, const uint16_t* __restrict blocks,
                               uint32_t n_blocks, float* __restrict lanes) {
#if defined(TINYPROP_ARM_VFP_ROWS4)
  const uint16_t* bp = blocks;
  const uint16_t* const b_end = blocks + n_blocks;
  const uint32_t stride_bytes = static_cast<uint32_t>(stride * sizeof(float));
  const uint32_t zero = 0;
  uint32_t off, xa, wa;
  // Per listed block: LDRH + 2 ADD + 2 VLDM for x and row 0, then per further row ADD + VLDM,
  // 16 VMUL + 16 VADD, CMP + BNE: 45 instructions for 16 MACs.
  __asm__ volatile(
      TINYPROP_ZERO_S0_S15
      "cmp %[bp], %[be]\n\t"
      "beq 2f\n"
      "1:\n\t"
      "ldrh %[off], [%[bp]], #2\n\t"
      "add %[xa], %[x], %[off], lsl #4\n\t"
      "vldmia %[xa], {s16-s19}\n\t"
      "add %[wa], %[w], %[off], lsl #4\n\t"
      "vldmia %[wa], {s20-s23}\n\t"
      TINYPROP_DOT_ROW("0", "1", "2", "3")
      "add %[wa], %[wa], %[sb]\n\t"
      "vldmia %[wa], {s20-s23}\n\t"
      TINYPROP_DOT_ROW("4", "5", "6", "7")
      "add %[wa], %[wa], %[sb]\n\t"
      "vldmia %[wa], {s20-s23}\n\t"
      TINYPROP_DOT_ROW("8", "9", "10", "11")
      "add %[wa], %[wa], %[sb]\n\t"
      "vldmia %[wa], {s20-s23}\n\t"
      TINYPROP_DOT_ROW("12", "13", "14", "15")
      "cmp %[bp], %[be]\n\t"
      "bne 1b\n"
      "2:\n\t"
      "vstmia %[out], {s0-s15}\n\t"
      : [bp] "+r"(bp), [off] "=&r"(off), [xa] "=&r"(xa), [wa] "=&r"(wa)
      : [be] "r"(b_end), [x] "r"(x), [w] "r"(w), [sb] "r"(stride_bytes), [z] "r"(zero),
        [out] "r"(lanes)
      : TINYPROP_DOT_CLOBBERS);
#elif defined(TINYPROP_ARM_MVE_ROWS4)
  rows4_lanes_mve(w, stride, x, n_blocks,
                  [blocks](uint32_t t) { return 4 * static_cast<size_t>(blocks[t]); }, lanes);
#elif defined(TINYPROP_FLOAT4)
  if (cpu_has_avx2()) {
    rows4_lanes_blocks_avx2(w, stride, x, blocks, n_blocks, lanes);
  } else {
    rows4_lanes_blocks_sse(w, stride, x, blocks, n_blocks, lanes);
  }
#else
  rows4_lanes_blocks_scalar(w, stride, x, blocks, n_blocks, lanes);
#endif
}

// Four dots added to four sums: s_r += ((l0 + l1) + (l2 + l3)) of row r (w + r * stride)
// against x over the whole blocks 0 .. n_blocks - 1, the lanes l as in rows4_lanes: a row's
// dot as dot4 computes it without a tail, added to a running sum (a convolution's window rows,
// one call per row). On the FPv4/FPv5 Cortex-M the combine and the four sums stay in registers
// (the sums in four of s24..s31, which the loop does not touch) instead of sixteen lanes
// stored and reloaded per call.
inline void rows4_dots_add(const float* __restrict w, size_t stride, const float* __restrict x,
                           uint32_t n_blocks, float& s0, float& s1, float& s2, float& s3) {
#if defined(TINYPROP_ARM_VFP_ROWS4)
  const float* w0 = w;
  const float* w1 = w + stride;
  const float* w2 = w + 2 * stride;
  const float* w3 = w + 3 * stride;
  const float* xp = x;
  const float* const x_end = x + 4 * static_cast<size_t>(n_blocks);
  const uint32_t zero = 0;
  __asm__ volatile(
      TINYPROP_ROWS4_DENSE_LOOP
      // Row r: (l0 + l1) + (l2 + l3) in s16, then added to its sum.
      "vadd.f32 s16, s0, s1\n\tvadd.f32 s17, s2, s3\n\tvadd.f32 s16, s16, s17\n\t"
      "vadd.f32 %[a0], %[a0], s16\n\t"
      "vadd.f32 s16, s4, s5\n\tvadd.f32 s17, s6, s7\n\tvadd.f32 s16, s16, s17\n\t"
      "vadd.f32 %[a1], %[a1], s16\n\t"
      "vadd.f32 s16, s8, s9\n\tvadd.f32 s17, s10, s11\n\tvadd.f32 s16, s16, s17\n\t"
      "vadd.f32 %[a2], %[a2], s16\n\t"
      "vadd.f32 s16, s12, s13\n\tvadd.f32 s17, s14, s15\n\tvadd.f32 s16, s16, s17\n\t"
      "vadd.f32 %[a3], %[a3], s16\n\t"
      : [xp] "+r"(xp), [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3),
        [a0] "+t"(s0), [a1] "+t"(s1), [a2] "+t"(s2), [a3] "+t"(s3)
      : [xe] "r"(x_end), [z] "r"(zero)
      : TINYPROP_DOT_CLOBBERS);
#else
  float lanes[16];
  rows4_lanes(w, stride, x, n_blocks, lanes);
  s0 += (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  s1 += (lanes[4] + lanes[5]) + (lanes[6] + lanes[7]);
  s2 += (lanes[8] + lanes[9]) + (lanes[10] + lanes[11]);
  s3 += (lanes[12] + lanes[13]) + (lanes[14] + lanes[15]);
#endif
}

}  // namespace tinyprop
