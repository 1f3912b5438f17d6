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

}  // namespace tinyprop
