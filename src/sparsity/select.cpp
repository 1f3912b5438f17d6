#include "tinyprop/select.h"

#include <math.h>
#include <stddef.h>

namespace tinyprop {
namespace {

// "Entry a (magnitude ma) ranks below entry b (magnitude mb)": smaller magnitude, or equal
// magnitude and higher index (lower index wins ties).
inline bool ranks_below(float ma, uint32_t a, float mb, uint32_t b) {
  return ma < mb || (ma == mb && a > b);
}

// Min-heap of indices, root = lowest ranked. Places `item` at `pos` and sifts it down: while a
// child ranks below it, the lower-ranked child moves up into the hole. Same comparisons and same
// final arrangement as swapping the item down level by level (one comparison between the two
// children, one between the lower child and the item), with one store per level and the item's
// magnitude loaded once. Nodes with two children take the loop; a single last child (a leaf)
// is handled once after it.
inline void sift_down(const float* v, uint32_t* heap, uint32_t size, uint32_t pos,
                      uint32_t item, uint64_t* cmps) {
  const float item_mag = fabsf(v[item]);
  uint32_t child = 2 * pos + 1;
  uint32_t count = 0;
  for (; child + 1 < size; child = 2 * pos + 1) {
    uint32_t c = heap[child];
    float c_mag = fabsf(v[c]);
    const uint32_t r = heap[child + 1];
    const float r_mag = fabsf(v[r]);
    if (ranks_below(r_mag, r, c_mag, c)) {
      ++child;
      c = r;
      c_mag = r_mag;
    }
    count += 2;
    if (!ranks_below(c_mag, c, item_mag, item)) {
      child = size;  // stop: the item belongs at pos
      break;
    }
    heap[pos] = c;
    pos = child;
  }
  if (child < size) {  // only a left child left
    ++count;
    const uint32_t c = heap[child];
    if (ranks_below(fabsf(v[c]), c, item_mag, item)) {
      heap[pos] = c;
      pos = child;
    }
  }
  heap[pos] = item;
  *cmps += count;
}

// Blocks shorter than this give too loose a bound for the extra pass to pay (measured on x86 and
// on a Cortex-M4; see docs/BENCHMARKS.md).
constexpr uint32_t kMinBlockForBound = 3;

// A magnitude tau <= the k-th largest |v[i]|: the k disjoint blocks [t b, (t + 1) b) each hold
// an element with |v| >= their maximum, so at least k elements reach the smallest of the k
// block maxima. Written with selects instead of branches (maxss / minss on x86, IT blocks on a
// Cortex-M): for errors in random order every branch here would be a coin toss.
float kth_magnitude_lower_bound(const float* v, uint32_t k, uint32_t b) {
  float tau = INFINITY;
  for (uint32_t t = 0; t < k; ++t) {
    const float* block = v + static_cast<size_t>(t) * b;
    float m = fabsf(block[0]);
    for (uint32_t j = 1; j < b; ++j) {
      const float a = fabsf(block[j]);
      m = a > m ? a : m;
    }
    tau = m < tau ? m : tau;
  }
  return tau;
}

}  // namespace

// Exact top k by (|v| descending, index ascending), in three steps:
//  1. (k <= n / 3) a lower bound tau of the k-th largest magnitude from k block maxima, then the
//     first k elements with |v| >= tau, in index order, become the heap. Every element of the top
//     k has |v| >= tau, so elements skipped here can never be selected. For errors in random
//     order the heap starts near the final threshold: about 4x fewer elements enter later than
//     when the first k elements seed the heap, and the skipping is branch-free.
//     Otherwise (or if fewer than k elements reach tau, which only NaN can cause: NaN fails
//     every comparison) the first k elements seed the heap.
//  2. Heapify (O(k)).
//  3. Scan the rest in index order: a later element has a higher index than every heap entry,
//     so it enters only with a strictly larger magnitude than the heap's weakest.
// The order of idx is the heap's: deterministic, the same on every platform.
uint64_t select_top_k(const float* v, uint32_t n, uint32_t k, uint32_t* idx) {
  uint64_t cmps = 0;
  if (k > n) k = n;
  uint32_t next = 0;  // first element not yet offered to the heap
  if (k > 0 && k < n && n / k >= kMinBlockForBound) {
    const uint32_t b = n / k;
    const float tau = kth_magnitude_lower_bound(v, k, b);
    cmps += static_cast<uint64_t>(k) * b;  // b - 1 for each block maximum, 1 for the minimum
    uint32_t size = 0;
    for (; next < n && size < k; ++next) {
      idx[size] = next;  // kept only if it reaches tau; otherwise the next write replaces it
      size += fabsf(v[next]) >= tau ? 1u : 0u;
    }
    cmps += next;
    if (size < k) next = 0;
  }
  if (next == 0) {
    for (uint32_t i = 0; i < k; ++i) idx[i] = i;
    next = k;
    if (k == n || k == 0) return cmps;
  }
  for (uint32_t p = k / 2; p-- > 0;) sift_down(v, idx, k, p, idx[p], &cmps);
  // The scan is unrolled by four (less loop overhead); the elements are still offered one by
  // one, in index order, against the current weakest.
  float weakest = fabsf(v[idx[0]]);
  const auto offer = [&](uint32_t t) {
    if (fabsf(v[t]) > weakest) {
      sift_down(v, idx, k, 0, t, &cmps);
      weakest = fabsf(v[idx[0]]);
    }
  };
  cmps += n - next;
  uint32_t i = next;
  for (; i + 4 <= n; i += 4) {
    offer(i);
    offer(i + 1);
    offer(i + 2);
    offer(i + 3);
  }
  for (; i < n; ++i) offer(i);
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
