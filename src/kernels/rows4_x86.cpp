// x86 variants of the four-row lane sums of rows4.h, chosen at run time (rows4_lanes).
//
// Both keep the canonical order: row r's lane L sums w_r[i] x[i] over i = L (mod 4) in
// increasing i, one IEEE multiply and one IEEE add per term (no FMA: -ffp-contract=off, and the
// AVX2 functions are not compiled with the fma target), so they give rows4_lanes_scalar's bits.
//   SSE (baseline x86-64): one 128-bit register per row, each x block loaded once for four rows.
//   AVX2: two rows per 256-bit register (rows 0|1 and 2|3; the low half is row 0's four lanes,
//     the high half row 1's), the x block broadcast to both halves: half the multiplies and adds
//     of SSE. (Eight consecutive inputs of one row per register would change the order: each
//     lane would then sum every eighth input.)
#include "kernels/rows4.h"

#if defined(TINYPROP_FLOAT4)
#include <immintrin.h>

namespace tinyprop {
namespace {

inline void store_lanes4(float* lanes, Float4 a0, Float4 a1, Float4 a2, Float4 a3) {
  *reinterpret_cast<Float4*>(lanes) = a0;
  *reinterpret_cast<Float4*>(lanes + 4) = a1;
  *reinterpret_cast<Float4*>(lanes + 8) = a2;
  *reinterpret_cast<Float4*>(lanes + 12) = a3;
}

// Rows r and r + 1 of one block: [w_r[i..i+3] | w_{r+1}[i..i+3]].
__attribute__((target("avx2"))) inline __m256 load_rows2(const float* lo, const float* hi) {
  return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(lo)), _mm_loadu_ps(hi), 1);
}

__attribute__((target("avx2"))) inline __m256 load_x2(const float* x) {
  return _mm256_broadcast_ps(reinterpret_cast<const __m128*>(x));
}

// Four rows' lane sums over the blocks t < n_blocks at element offsets offset(t).
template <typename Offset>
inline void lanes_sse(const float* __restrict w, size_t stride, const float* __restrict x,
                      uint32_t n_blocks, Offset offset, float* __restrict lanes) {
  const float* __restrict w1 = w + stride;
  const float* __restrict w2 = w + 2 * stride;
  const float* __restrict w3 = w + 3 * stride;
  Float4 a0 = {0.0f, 0.0f, 0.0f, 0.0f}, a1 = a0, a2 = a0, a3 = a0;
  for (uint32_t t = 0; t < n_blocks; ++t) {
    const size_t i = offset(t);
    const Float4 xv = load4(x + i);
    a0 += load4(w + i) * xv;
    a1 += load4(w1 + i) * xv;
    a2 += load4(w2 + i) * xv;
    a3 += load4(w3 + i) * xv;
  }
  store_lanes4(lanes, a0, a1, a2, a3);
}

template <typename Offset>
__attribute__((target("avx2"))) inline void lanes_avx2(const float* __restrict w, size_t stride,
                                                      const float* __restrict x,
                                                      uint32_t n_blocks, Offset offset,
                                                      float* __restrict lanes) {
  const float* __restrict w1 = w + stride;
  const float* __restrict w2 = w + 2 * stride;
  const float* __restrict w3 = w + 3 * stride;
  __m256 a01 = _mm256_setzero_ps(), a23 = _mm256_setzero_ps();
  for (uint32_t t = 0; t < n_blocks; ++t) {
    const size_t i = offset(t);
    const __m256 xv = load_x2(x + i);
    a01 = _mm256_add_ps(a01, _mm256_mul_ps(load_rows2(w + i, w1 + i), xv));
    a23 = _mm256_add_ps(a23, _mm256_mul_ps(load_rows2(w2 + i, w3 + i), xv));
  }
  _mm256_storeu_ps(lanes, a01);
  _mm256_storeu_ps(lanes + 8, a23);
}

// Block t of a dense input starts at element 4 t.
constexpr auto dense_offset = [](uint32_t t) { return 4 * static_cast<size_t>(t); };

}  // namespace

bool cpu_has_avx2() { return __builtin_cpu_supports("avx2") != 0; }

void rows4_lanes_sse(const float* w, size_t stride, const float* x, uint32_t n_blocks,
                     float* lanes) {
  lanes_sse(w, stride, x, n_blocks, dense_offset, lanes);
}

void rows4_lanes_blocks_sse(const float* w, size_t stride, const float* x,
                            const uint16_t* blocks, uint32_t n_blocks, float* lanes) {
  lanes_sse(w, stride, x, n_blocks,
            [blocks](uint32_t t) { return 4 * static_cast<size_t>(blocks[t]); }, lanes);
}

__attribute__((target("avx2"))) void rows4_lanes_avx2(const float* w, size_t stride,
                                                     const float* x, uint32_t n_blocks,
                                                     float* lanes) {
  lanes_avx2(w, stride, x, n_blocks, dense_offset, lanes);
}

__attribute__((target("avx2"))) void rows4_lanes_blocks_avx2(const float* w, size_t stride,
                                                            const float* x,
                                                            const uint16_t* blocks,
                                                            uint32_t n_blocks, float* lanes) {
  lanes_avx2(w, stride, x, n_blocks,
             [blocks](uint32_t t) { return 4 * static_cast<size_t>(blocks[t]); }, lanes);
}

}  // namespace tinyprop
#endif
