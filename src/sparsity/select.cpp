#include "tinyprop/select.h"

#include <math.h>

namespace tinyprop {
namespace {

// "a ranks below b": smaller magnitude, or equal magnitude and higher index (lower index wins).
inline bool ranks_below(const float* v, uint32_t a, uint32_t b, uint64_t* cmps) {
  ++*cmps;
  const float fa = fabsf(v[a]);
  const float fb = fabsf(v[b]);
  return fa < fb || (fa == fb && a > b);
}

// Restores the min-heap property (root = lowest ranked) below position pos.
void sift_down(const float* v, uint32_t* heap, uint32_t size, uint32_t pos, uint64_t* cmps) {
  for (;;) {
    const uint32_t left = 2 * pos + 1;
    if (left >= size) return;
    uint32_t lowest = left;
    const uint32_t right = left + 1;
    if (right < size && ranks_below(v, heap[right], heap[left], cmps)) lowest = right;
    if (!ranks_below(v, heap[lowest], heap[pos], cmps)) return;
    const uint32_t tmp = heap[pos];
    heap[pos] = heap[lowest];
    heap[lowest] = tmp;
    pos = lowest;
  }
}

}  // namespace

uint64_t select_top_k(const float* v, uint32_t n, uint32_t k, uint32_t* idx) {
  uint64_t cmps = 0;
  if (k > n) k = n;
  for (uint32_t i = 0; i < k; ++i) idx[i] = i;
  if (k == n || k == 0) return cmps;
  // Heapify the first k elements (O(k)).
  for (uint32_t p = k / 2; p-- > 0;) sift_down(v, idx, k, p, &cmps);
  // Every later element has a higher index than all heap entries, so it enters only with a
  // strictly larger magnitude than the heap's weakest: one comparison for most elements.
  float weakest = fabsf(v[idx[0]]);
  for (uint32_t i = k; i < n; ++i) {
    ++cmps;
    if (fabsf(v[i]) > weakest) {
      idx[0] = i;
      sift_down(v, idx, k, 0, &cmps);
      weakest = fabsf(v[idx[0]]);
    }
  }
  return cmps;
}

uint32_t k_for_ratio(float ratio, uint32_t n) {
  if (n == 0) return 0;
  if (!(ratio > 0.0f)) return 1;  // also catches NaN
  if (ratio >= 1.0f) return n;
  float kf = ratio * static_cast<float>(n);
  kf += kf * 1e-6f;
  uint32_t k = static_cast<uint32_t>(kf);
  if (k < 1) k = 1;
  if (k > n) k = n;
  return k;
}

}  // namespace tinyprop
