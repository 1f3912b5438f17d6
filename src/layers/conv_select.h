// Exact top-k selection for large error maps (convolution outputs): a radix select on the bits
// of |v|, O(N) with a few cheap passes, instead of the bounded heap of select_top_k(), whose
// O(N log k) comparisons cost more than the backward work they save on layers with few MACs
// per output element (docs/CONV.md, "Selection cost"). Internal header.
#pragma once
#include <stdint.h>

namespace tinyprop {

// Writes the indices of the k largest |v[i]| (k in [1, n)) to idx[0..k) in ascending index
// order; idx must hold n entries (entries from k on are scratch). The same set as select_top_k(): ties at the k-th magnitude go to the lower indices.
// Returns the element visits made (each histogram or collection pass counts n), reported as the
// selection's comparisons. Uses 1 KiB of stack (a 256-bin histogram).
uint64_t select_top_k_radix(const float* v, uint32_t n, uint32_t k, uint32_t* idx);

}  // namespace tinyprop
