// The one dot product of the core's forward kernels (dense rows and convolution window runs).
// Internal header.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace tinyprop {

// Four independent partial sums, combined as (s0 + s1) + (s2 + s3), then the tail. The fixed
// order makes results identical across compilers that honour IEEE semantics (no fast-math,
// no FMA contraction), and the independent chains let the compiler pipeline or vectorize:
// with a size_t index GCC's SLP vectorizer turns s0..s3 into the four lanes of one SSE register
// at -O2 (about 4x fewer instructions on x86; a uint32_t index, which may wrap, kept it scalar).
// The lanes are exactly s0..s3, so the bits do not change; on a Cortex-M the code is the same.
// Inline: convolution runs are short (k_w c_in floats), where a call would cost more than the
// arithmetic.
inline float dot4(const float* __restrict a, const float* __restrict b, uint32_t n) {
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  float s = (s0 + s1) + (s2 + s3);
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

// dot4 over the listed blocks of four only (blocks[t] = b means elements 4b..4b+3, increasing),
// then the whole tail n - n % 4 .. n - 1. Each skipped block's products are w * (+-0) = +-0
// (finite w), and a lane sum, which starts at +0, is never -0 (an IEEE sum is -0 only when both
// operands are -0), so adding +-0 leaves it unchanged: with every unlisted block all zeros in
// b, the result has exactly dot4's bits, including a zero result (always +0 in both). A
// non-finite a[i] against a zero b[i] gives NaN in dot4 and is skipped here.
// On x86 one block is one SSE register: a GCC/Clang vector of four floats, lane L holding
// s_L, and lane-wise IEEE multiplies and adds are exactly the scalar ones (no contraction), so
// the bits are those of the scalar loop. Elsewhere (a Cortex-M has no SIMD registers, and GCC
// would spill a generic vector to the stack) the scalar loop.
#if defined(__SSE2__)
typedef float Float4 __attribute__((vector_size(16), aligned(4), may_alias));
inline Float4 load4(const float* p) { return *reinterpret_cast<const Float4*>(p); }
inline void store4(float* p, Float4 v) { *reinterpret_cast<Float4*>(p) = v; }
#define TINYPROP_FLOAT4 1
#endif

inline float dot4_blocks(const float* __restrict a, const float* __restrict b, uint32_t n,
                         const uint16_t* __restrict blocks, uint32_t n_blocks) {
#if defined(TINYPROP_FLOAT4)
  Float4 acc = {0.0f, 0.0f, 0.0f, 0.0f};
  for (uint32_t t = 0; t < n_blocks; ++t) {
    const size_t i = static_cast<size_t>(blocks[t]) * 4u;
    acc += load4(a + i) * load4(b + i);
  }
  const float s0 = acc[0], s1 = acc[1], s2 = acc[2], s3 = acc[3];
#else
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  for (uint32_t t = 0; t < n_blocks; ++t) {
    // Block pointers, so that the Cortex-M uses immediate offsets (4 loads per operand, no
    // address arithmetic per element).
    const float* __restrict pa = a + static_cast<size_t>(blocks[t]) * 4u;
    const float* __restrict pb = b + static_cast<size_t>(blocks[t]) * 4u;
    s0 += pa[0] * pb[0];
    s1 += pa[1] * pb[1];
    s2 += pa[2] * pb[2];
    s3 += pa[3] * pb[3];
  }
#endif
  float s = (s0 + s1) + (s2 + s3);
  for (size_t i = n - n % 4u; i < n; ++i) s += a[i] * b[i];
  return s;
}

}  // namespace tinyprop
