// The paths of select_top_k (src/sparsity/select.cpp), internal: exposed so that a test can
// check that every path returns the same indices in the same order on the same input; and the
// index sort it shares with the conv channel selection.
#pragma once
#include <stdint.h>

namespace tinyprop {

// The heap path alone: a bounded min-heap seeded from a block-maximum bound, then the k indices
// in ascending order. select_top_k takes it on targets without SSE and on x86 where the rank
// path does not apply; same contract and result as select_top_k.
uint64_t select_top_k_heap(const float* v, uint32_t n, uint32_t k, uint32_t* idx);

// The small-k path alone (1 <= k <= kMaxSmallSelect, k < n; other k go to the heap path): one
// pass in index order keeping the k best so far in a short array sorted by rank, then the k
// indices in ascending order. select_top_k takes it on targets without SSE (the Cortex-M
// layers' k are mostly 1 to 4); same contract and result as select_top_k.
inline constexpr uint32_t kMaxSmallSelect = 8;
uint64_t select_top_k_small(const float* v, uint32_t n, uint32_t k, uint32_t* idx);

#if defined(__SSE2__)  // x86 (TINYPROP_FLOAT4)
// The x86 rank path on a frame of 64 floats alone, which select_top_k takes for
// 32 <= n <= 64 and 1 <= k <= 7 (k < n): true with select_top_k's result in idx, false when
// it does not apply or leaves the input to the heap (only NaN can cause that).
bool select_top_k_frame(const float* v, uint32_t n, uint32_t k, uint32_t* idx);
#endif

// Sorts a[0..n) ascending by insertion (O(n^2): for short index lists).
void insertion_sort_indices(uint32_t* a, uint32_t n);

}  // namespace tinyprop
