// Exact top-k selection for large error maps (convolution outputs): a threshold from a sample,
// one compaction pass over all N and exact radix work on the short list it leaves, instead of
// the bounded heap of select_top_k(), whose O(N log k) comparisons cost more than the backward
// work they save on layers with few MACs per output element (docs/CONV.md, "Selection").
// Internal header.
#pragma once
#include <stdint.h>

namespace tinyprop {

// Writes the indices of the k largest |v[i]| (k in [1, n)) to idx[0..k) in ascending index
// order; idx must hold n entries (entries from k on are scratch). The same set as
// select_top_k(): magnitudes compared as the bits of |v| (NaN above infinity, -0 equal to +0),
// ties at the k-th magnitude to the lower indices. Returns the element visits made (each pass
// over a sample, all N or the short list counts its length), reported as the selection's
// comparisons. Uses about 1 KiB of stack (one 256-bin histogram at a time).
uint64_t select_top_k_radix(const float* v, uint32_t n, uint32_t k, uint32_t* idx);

}  // namespace tinyprop
