// Top-k selection of the largest |delta|: a bounded min-heap, O(N log k) worst case and about 2N
// comparisons (a branch-free block-maximum pass, then the heap) when few elements enter it.
// Ties go to the lower index.
#pragma once
#include <stdint.h>

namespace tinyprop {

// Writes the indices of the k largest |v[i]| (k in [1, n]) to idx[0..k). The order inside idx
// is the heap's (deterministic). Returns the number of comparisons made.
uint64_t select_top_k(const float* v, uint32_t n, uint32_t k, uint32_t* idx);

// k = clamp(floor(ratio * n), 1, n). A relative 1e-6 nudge keeps ratios such as 0.7f (stored as
// 0.69999999) from losing a neuron to float rounding.
uint32_t k_for_ratio(float ratio, uint32_t n);

}  // namespace tinyprop
