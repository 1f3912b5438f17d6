// Row-blocked axpy forms: the plain-SGD row update of four rows sharing each input block, and
// the propagated error of four rows sharing each output block. Internal header.
//
// Every element is computed exactly as by one axpy call per row in row order (y + a x, the
// product and the sum each one IEEE operation, no contraction), so blocking changes no bits:
//   update:  w_r[i] = w_r[i] + a_r x[i]                      for r = 0..3
//   error:   y[i] = (((y[i] + a0 w0[i]) + a1 w1[i]) + a2 w2[i]) + a3 w3[i]
// On a Cortex-M with FPv4/FPv5 the loops are inline assembly with one VLDM/VSTM per four floats
// (rows4.h says why); on a Cortex-M55 with Helium one Q register per row (MVE intrinsics, as
// rows4.h's forward pass); elsewhere plain C (x86 has its own row groups in dense.cpp).
// In the update a row listed twice within a block of four still sees the earlier row's result:
// each row's four floats are stored before the next row loads them.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "kernels/rows4.h"

namespace tinyprop {

#if defined(TINYPROP_ARM_VFP_ROWS4)
// Runs LOOP (an asm statement taking the row bodies) with n_rows (1 to 4) copies of ROW: row r
// uses the pointer operand %[w<r>] and the factor in s<4 + r>.
#define TINYPROP_ROWS_1_TO_4(LOOP, ROW)                                                     \
  switch (n_rows) {                                                                         \
    case 1:                                                                                 \
      LOOP(ROW("%[w0]", "s4"));                                                             \
      break;                                                                                \
    case 2:                                                                                 \
      LOOP(ROW("%[w0]", "s4") ROW("%[w1]", "s5"));                                          \
      break;                                                                                \
    case 3:                                                                                 \
      LOOP(ROW("%[w0]", "s4") ROW("%[w1]", "s5") ROW("%[w2]", "s6"));                       \
      break;                                                                                \
    default:                                                                                \
      LOOP(ROW("%[w0]", "s4") ROW("%[w1]", "s5") ROW("%[w2]", "s6") ROW("%[w3]", "s7"));    \
      break;                                                                                \
  }
#define TINYPROP_AXPY_CLOBBERS                                                              \
  "cc", "memory", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",  \
      "s12", "s13", "s14", "s15"
#endif

#if defined(TINYPROP_ARM_MVE_ROWS4)
// Helium: one Q register per row (lane L = element L of a block), the x block (update) or the
// y block (error) loaded once for the R rows (1 to 4, a constant, so the rows are unrolled).
// Every lane is the scalar code's product, a first (VMUL), and then its sum (VADD): two IEEE
// operations, no VFMA (-ffp-contract=off). The dense loops step each pointer by one block, so
// that GCC gives every load and store a post-increment: per block and four rows 18 instructions
// for the update (VLDRW x, 4 x (VLDRW + VMUL + VADD + VSTRW), LE) and 15 for the error
// (VLDRW y, 4 x (VLDRW + VMUL + VADD), VSTRW, LE), 16 MACs; indexed, GCC adds an address ADD
// per row (24 and 20).

// One row's block of the update, w[0..3] += a x, stored before the next row loads its own: the
// row pointers may alias (a row listed twice sees the earlier row's result).
inline void sgd_block_mve(float* w, float32x4_t a, float32x4_t xv) {
  vst1q_f32(w, vaddq_f32(vld1q_f32(w), vmulq_f32(a, xv)));
}

template <uint32_t R>
inline void sgd_rows_mve(float* const w[4], const float a[4], const float* __restrict x,
                         uint32_t n_blocks) {
  float* w0 = w[0];
  float* w1 = w[1];
  float* w2 = w[2];
  float* w3 = w[3];
  const float32x4_t a0 = vdupq_n_f32(a[0]), a1 = vdupq_n_f32(a[1]), a2 = vdupq_n_f32(a[2]),
                    a3 = vdupq_n_f32(a[3]);
  for (uint32_t t = 0; t < n_blocks; ++t, x += 4) {
    const float32x4_t xv = vld1q_f32(x);
    sgd_block_mve(w0, a0, xv);
    w0 += 4;
    if (R > 1) sgd_block_mve(w1, a1, xv), w1 += 4;
    if (R > 2) sgd_block_mve(w2, a2, xv), w2 += 4;
    if (R > 3) sgd_block_mve(w3, a3, xv), w3 += 4;
  }
}

// The same over the listed blocks (blocks[t] = b: elements 4b..4b+3).
template <uint32_t R>
inline void sgd_rows_blocks_mve(float* const w[4], const float a[4], const float* __restrict x,
                                const uint16_t* __restrict blocks, uint32_t n_blocks) {
  const float32x4_t a0 = vdupq_n_f32(a[0]), a1 = vdupq_n_f32(a[1]), a2 = vdupq_n_f32(a[2]),
                    a3 = vdupq_n_f32(a[3]);
  for (uint32_t t = 0; t < n_blocks; ++t) {
    const size_t i = 4 * static_cast<size_t>(blocks[t]);
    const float32x4_t xv = vld1q_f32(x + i);
    sgd_block_mve(w[0] + i, a0, xv);
    if (R > 1) sgd_block_mve(w[1] + i, a1, xv);
    if (R > 2) sgd_block_mve(w[2] + i, a2, xv);
    if (R > 3) sgd_block_mve(w[3] + i, a3, xv);
  }
}

// Error: y[i] = (((y[i] + a0 w0[i]) + a1 w1[i]) + a2 w2[i]) + a3 w3[i] for the first R rows
// (dense.cpp's axpy_rows4 and axpy_rows2 on the Cortex-M55).
template <uint32_t R>
inline void error_rows_mve(float* __restrict y, const float a[4], const float* const w[4],
                           uint32_t n_blocks) {
  const float* w0 = w[0];
  const float* w1 = w[1];
  const float* w2 = w[2];
  const float* w3 = w[3];
  const float32x4_t a0 = vdupq_n_f32(a[0]), a1 = vdupq_n_f32(a[1]), a2 = vdupq_n_f32(a[2]),
                    a3 = vdupq_n_f32(a[3]);
  for (uint32_t t = 0; t < n_blocks; ++t, y += 4) {
    float32x4_t yv = vaddq_f32(vld1q_f32(y), vmulq_f32(a0, vld1q_f32(w0)));
    w0 += 4;
    if (R > 1) yv = vaddq_f32(yv, vmulq_f32(a1, vld1q_f32(w1))), w1 += 4;
    if (R > 2) yv = vaddq_f32(yv, vmulq_f32(a2, vld1q_f32(w2))), w2 += 4;
    if (R > 3) yv = vaddq_f32(yv, vmulq_f32(a3, vld1q_f32(w3))), w3 += 4;
    vst1q_f32(y, yv);
  }
}

#endif

// w_r[i] += a[r] x[i] for the rows w_r = w[r], r < n_rows (1 to 4; a has four entries), over
// the whole blocks 0 .. n_blocks - 1.
inline void sgd_rows4(float* const w[4], const float a[4], const float* __restrict x,
                      uint32_t n_blocks, uint32_t n_rows) {
#if defined(TINYPROP_ARM_VFP_ROWS4)
  float* w0 = w[0];
  float* w1 = w[1];
  float* w2 = w[2];
  float* w3 = w[3];
  const float* xp = x;
  const float* const x_end = x + 4 * static_cast<size_t>(n_blocks);
  // s0..s3: x block; s4..s7: a; s8..s11: a row's weights; s12..s15: products. Per block and
  // four rows: 1 + 4 x (VLDM + 4 VMUL + 4 VADD + VSTM) + CMP + BNE = 43 instructions, 16 MACs.
#define TINYPROP_SGD_ROW(W, A)                                                              \
  "vldmia " W ", {s8-s11}\n\t"                                                              \
  "vmul.f32 s12, " A ", s0\n\tvmul.f32 s13, " A ", s1\n\t"                                  \
  "vmul.f32 s14, " A ", s2\n\tvmul.f32 s15, " A ", s3\n\t"                                  \
  "vadd.f32 s8, s8, s12\n\tvadd.f32 s9, s9, s13\n\t"                                        \
  "vadd.f32 s10, s10, s14\n\tvadd.f32 s11, s11, s15\n\t"                                    \
  "vstmia " W "!, {s8-s11}\n\t"
#define TINYPROP_SGD_LOOP(ROWS)                                                             \
  __asm__ volatile("vldmia %[a], {s4-s7}\n\t"                                               \
                   "cmp %[xp], %[xe]\n\t"                                                   \
                   "beq 2f\n"                                                               \
                   "1:\n\t"                                                                 \
                   "vldmia %[xp]!, {s0-s3}\n\t" ROWS                                        \
                   "cmp %[xp], %[xe]\n\t"                                                   \
                   "bne 1b\n"                                                               \
                   "2:\n\t"                                                                 \
                   : [xp] "+r"(xp), [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2),            \
                     [w3] "+r"(w3)                                                          \
                   : [xe] "r"(x_end), [a] "r"(a)                                            \
                   : TINYPROP_AXPY_CLOBBERS)
  TINYPROP_ROWS_1_TO_4(TINYPROP_SGD_LOOP, TINYPROP_SGD_ROW)
#undef TINYPROP_SGD_LOOP
#undef TINYPROP_SGD_ROW
#elif defined(TINYPROP_ARM_MVE_ROWS4)
  with_row_count<4>(n_rows,
                   [&](auto rows) { sgd_rows_mve<decltype(rows)::value>(w, a, x, n_blocks); });
#else
  for (uint32_t r = 0; r < n_rows; ++r) {
    float* __restrict y = w[r];
    const float ar = a[r];
    for (size_t i = 0; i < 4 * static_cast<size_t>(n_blocks); ++i) y[i] += ar * x[i];
  }
#endif
}

// The same over the listed blocks of x only (blocks[t] = b: elements 4b..4b+3).
inline void sgd_rows4_blocks(float* const w[4], const float a[4], const float* __restrict x,
                             const uint16_t* __restrict blocks, uint32_t n_blocks,
                             uint32_t n_rows) {
#if defined(TINYPROP_ARM_VFP_ROWS4)
  const uint16_t* bp = blocks;
  const uint16_t* const b_end = blocks + n_blocks;
  uint32_t off, p;
  // Per listed block and four rows: LDRH + ADD + VLDM, 4 x (ADD + VLDM + 4 VMUL + 4 VADD +
  // VSTM), CMP + BNE: 49 instructions for 16 MACs (one row: 16 for 4).
#define TINYPROP_SGD_ROW_AT(W, A)                                                           \
  "add %[p], " W ", %[off], lsl #4\n\t"                                                     \
  "vldmia %[p], {s8-s11}\n\t"                                                               \
  "vmul.f32 s12, " A ", s0\n\tvmul.f32 s13, " A ", s1\n\t"                                  \
  "vmul.f32 s14, " A ", s2\n\tvmul.f32 s15, " A ", s3\n\t"                                  \
  "vadd.f32 s8, s8, s12\n\tvadd.f32 s9, s9, s13\n\t"                                        \
  "vadd.f32 s10, s10, s14\n\tvadd.f32 s11, s11, s15\n\t"                                    \
  "vstmia %[p], {s8-s11}\n\t"
#define TINYPROP_SGD_LOOP_AT(ROWS)                                                          \
  __asm__ volatile("vldmia %[a], {s4-s7}\n\t"                                               \
                   "cmp %[bp], %[be]\n\t"                                                   \
                   "beq 2f\n"                                                               \
                   "1:\n\t"                                                                 \
                   "ldrh %[off], [%[bp]], #2\n\t"                                           \
                   "add %[p], %[x], %[off], lsl #4\n\t"                                     \
                   "vldmia %[p], {s0-s3}\n\t" ROWS                                          \
                   "cmp %[bp], %[be]\n\t"                                                   \
                   "bne 1b\n"                                                               \
                   "2:\n\t"                                                                 \
                   : [bp] "+r"(bp), [off] "=&r"(off), [p] "=&r"(p)                          \
                   : [be] "r"(b_end), [x] "r"(x), [w0] "r"(w[0]), [w1] "r"(w[1]),           \
                     [w2] "r"(w[2]), [w3] "r"(w[3]), [a] "r"(a)                             \
                   : TINYPROP_AXPY_CLOBBERS)
  TINYPROP_ROWS_1_TO_4(TINYPROP_SGD_LOOP_AT, TINYPROP_SGD_ROW_AT)
#undef TINYPROP_SGD_LOOP_AT
#undef TINYPROP_SGD_ROW_AT
#elif defined(TINYPROP_ARM_MVE_ROWS4)
  with_row_count<4>(n_rows, [&](auto rows) {
    sgd_rows_blocks_mve<decltype(rows)::value>(w, a, x, blocks, n_blocks);
  });
#else
  for (uint32_t r = 0; r < n_rows; ++r) {
    float* __restrict y = w[r];
    const float ar = a[r];
    for (uint32_t t = 0; t < n_blocks; ++t) {
      float* __restrict py = y + static_cast<size_t>(blocks[t]) * 4u;
      const float* __restrict px = x + static_cast<size_t>(blocks[t]) * 4u;
      py[0] += ar * px[0];
      py[1] += ar * px[1];
      py[2] += ar * px[2];
      py[3] += ar * px[3];
    }
  }
#endif
}

#if defined(TINYPROP_ARM_VFP_ROWS4)
// y[i] = (((y[i] + a0 w0[i]) + a1 w1[i]) + a2 w2[i]) + a3 w3[i] over the whole blocks
// 0 .. n_blocks - 1, for the first n_rows (1 to 4) of the rows (a has four entries). Per block
// and four rows: VLDM y + 4 x (VLDM + 4 VMUL + 4 VADD) + VSTM + CMP + BNE = 40 instructions
// for 16 MACs.
inline void error_rows4(float* __restrict y, const float a[4], const float* const w[4],
                        uint32_t n_blocks, uint32_t n_rows) {
  const float* w0 = w[0];
  const float* w1 = w[1];
  const float* w2 = w[2];
  const float* w3 = w[3];
  float* yp = y;
  float* const y_end = y + 4 * static_cast<size_t>(n_blocks);
#define TINYPROP_ERROR_ROW(W, A)                                                            \
  "vldmia " W "!, {s8-s11}\n\t"                                                             \
  "vmul.f32 s12, " A ", s8\n\tvmul.f32 s13, " A ", s9\n\t"                                  \
  "vmul.f32 s14, " A ", s10\n\tvmul.f32 s15, " A ", s11\n\t"                                \
  "vadd.f32 s0, s0, s12\n\tvadd.f32 s1, s1, s13\n\t"                                        \
  "vadd.f32 s2, s2, s14\n\tvadd.f32 s3, s3, s15\n\t"
#define TINYPROP_ERROR_LOOP(ROWS)                                                           \
  __asm__ volatile("vldmia %[a], {s4-s7}\n\t"                                               \
                   "cmp %[yp], %[ye]\n\t"                                                   \
                   "beq 2f\n"                                                               \
                   "1:\n\t"                                                                 \
                   "vldmia %[yp], {s0-s3}\n\t" ROWS                                         \
                   "vstmia %[yp]!, {s0-s3}\n\t"                                             \
                   "cmp %[yp], %[ye]\n\t"                                                   \
                   "bne 1b\n"                                                               \
                   "2:\n\t"                                                                 \
                   : [yp] "+r"(yp), [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2),            \
                     [w3] "+r"(w3)                                                          \
                   : [ye] "r"(y_end), [a] "r"(a)                                            \
                   : TINYPROP_AXPY_CLOBBERS)
  TINYPROP_ROWS_1_TO_4(TINYPROP_ERROR_LOOP, TINYPROP_ERROR_ROW)
#undef TINYPROP_ERROR_LOOP
#undef TINYPROP_ERROR_ROW
}
#endif

#if defined(TINYPROP_ARM_VFP_ROWS4)
#undef TINYPROP_AXPY_CLOBBERS
#undef TINYPROP_ROWS_1_TO_4
#endif

}  // namespace tinyprop
