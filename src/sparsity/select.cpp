#include "tinyprop/select.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "kernels/dot4.h"
#include "sparsity/select_paths.h"

namespace tinyprop {
namespace {

// The ranking magnitude: |x|, and -1 for NaN, so that a NaN ranks below every number and the
// ranking is a total order (with the index as the tie-break) on every input.
inline float rank_mag(float x) {
  const float m = fabsf(x);
  return m == m ? m : -1.0f;
}

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
  const float item_mag = rank_mag(v[item]);
  uint32_t child = 2 * pos + 1;
  uint32_t count = 0;
  for (; child + 1 < size; child = 2 * pos + 1) {
    uint32_t c = heap[child];
    float c_mag = rank_mag(v[c]);
    const uint32_t r = heap[child + 1];
    const float r_mag = rank_mag(v[r]);
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
    if (ranks_below(rank_mag(v[c]), c, item_mag, item)) {
      heap[pos] = c;
      pos = child;
    }
  }
  heap[pos] = item;
  *cmps += count;
}

// The bounded heap. With a bound (tau <= the k-th largest |v|), the first k elements with
// |v| >= tau seed it: an element below tau (or a NaN) can never be selected, and with a tight
// bound the heap starts near its final threshold, so few elements enter later (fewer
// mispredicted branches on x86). Without a bound, or if fewer than k reach it (only NaN can
// cause that), the first k elements. Heapify (O(k)), then the rest in index order: a later
// element has a higher index than every heap entry, so it enters only with a strictly larger
// magnitude than the heap's weakest (a NaN never does: it ranks lowest, and a later NaN also
// loses the tie against a NaN root). Leaves the k in heap order.
void heap_top_k(const float* v, uint32_t n, uint32_t k, bool bounded, float tau, uint32_t* idx,
                uint64_t* cmps) {
  uint32_t next = 0;  // first element not yet offered to the heap
  if (bounded) {
    uint32_t size = 0;
    for (; next < n && size < k; ++next) {
      idx[size] = next;  // kept only if it reaches tau; otherwise the next write replaces it
      size += fabsf(v[next]) >= tau ? 1u : 0u;
    }
    *cmps += next;
    if (size < k) next = 0;
  }
  if (next == 0) {
    for (uint32_t i = 0; i < k; ++i) idx[i] = i;
    next = k;
  }
  for (uint32_t p = k / 2; p-- > 0;) sift_down(v, idx, k, p, idx[p], cmps);
  // The scan is unrolled by four (less loop overhead); the elements are still offered one by
  // one, in index order, against the current weakest.
  float weakest = rank_mag(v[idx[0]]);
  const auto offer = [&](uint32_t t) {
    if (fabsf(v[t]) > weakest) {
      sift_down(v, idx, k, 0, t, cmps);
      weakest = rank_mag(v[idx[0]]);
    }
  };
  *cmps += n - next;
  uint32_t i = next;
  for (; i + 4 <= n; i += 4) {
    offer(i);
    offer(i + 1);
    offer(i + 2);
    offer(i + 3);
  }
  for (; i < n; ++i) offer(i);
}

// Rewrites the heap's k indices in ascending order: the heap's root is the k-th ranked element
// (magnitude m_k, index i_k), and the selected set is exactly the elements that rank at or above
// it, taken in one pass in index order. Branch-free except for the loop's end.
void heap_to_index_order(const float* v, uint32_t n, uint32_t k, uint32_t* idx) {
  const uint32_t root = idx[0];
  const float m_k = rank_mag(v[root]);
  uint32_t t = 0;
  for (uint32_t i = 0; i < n && t < k; ++i) {
    const float m = rank_mag(v[i]);
    idx[t] = i;
    t += (m > m_k || (m == m_k && i <= root)) ? 1u : 0u;
  }
}

// Blocks shorter than this give too loose a bound for the candidate pass to pay.
constexpr uint32_t kMinBlockForBound = 3;
// Up to this k the heap's result is put in index order by insertion (about k^2 / 4 moves, with
// data-dependent branches), above it by heap_to_index_order (one branch-free pass over n).
constexpr uint32_t kMaxInsertionSort = 16;

// A lower bound of the k-th largest |v[i]| (see rank_top_k's bound) from the k contiguous blocks
// [t b, (t + 1) b), without scratch (for k larger than the rank path's buffers).
float kth_magnitude_lower_bound_contiguous(const float* v, uint32_t k, uint32_t b) {
  float tau = INFINITY;
  for (uint32_t t = 0; t < k; ++t) {
    const float* block = v + static_cast<size_t>(t) * b;
    float m = -1.0f;
    for (uint32_t j = 0; j < b; ++j) {
      const float a = fabsf(block[j]);
      m = a > m ? a : m;
    }
    tau = m < tau ? m : tau;
  }
  return tau;
}

#if defined(TINYPROP_FLOAT4)
// ---- the rank path (x86: SSE) ------------------------------------------------------------

// Candidates the rank path holds (on the stack: 4 + 4 + 2 bytes each, plus padding).
constexpr uint32_t kMaxCandidates = 64;

typedef int32_t Int4 __attribute__((vector_size(16)));

// |v| lane by lane: the sign bits cleared (what SSE's andnps with a -0 mask does), written with
// the vector extensions GCC and Clang share, not a compiler's own builtin.
inline Float4 abs4(Float4 v) {
  const Int4 magnitude = {0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff};
  return reinterpret_cast<Float4>(reinterpret_cast<Int4>(v) & magnitude);
}

// The maxima of |v| over the m disjoint strided blocks {t, t + m, t + 2m, ...} (b elements
// each, t < m): m running maxima over b consecutive rows of m values, without a branch: four
// maxima per SSE register (the last group of a row overlaps the one before it when m is not a
// multiple of 4: a maximum taken twice is the same maximum), scalar selects for m < 4. A NaN
// never wins a maximum; a block of NaNs gives -1.
void block_maxima(const float* v, uint32_t k, uint32_t b, float* block_max) {
  if (k >= 4) {
    // Group by group of four blocks (the last one at k - 4), all b rows: the four maxima stay
    // in one register. maxps returns its second operand when the first is NaN, so a NaN never
    // wins; the -1 start gives a block of NaNs the maximum -1.
    for (uint32_t t = 0;; t += 4) {
      if (t + 4 > k) t = k - 4;  // the overlapping last group
      Float4 acc = {-1.0f, -1.0f, -1.0f, -1.0f};
      const float* p = v + t;
      uint32_t r = 0;  // two rows per step (the maximum does not depend on the order)
      for (; r + 2 <= b; r += 2, p += 2 * static_cast<size_t>(k)) {
        acc = __builtin_ia32_maxps(abs4(load4(p)), acc);
        acc = __builtin_ia32_maxps(abs4(load4(p + k)), acc);
      }
      if (r < b) acc = __builtin_ia32_maxps(abs4(load4(p)), acc);
      *reinterpret_cast<Float4*>(block_max + t) = acc;
      if (t + 4 == k) break;
    }
    return;
  }
  for (uint32_t t = 0; t < k; ++t) block_max[t] = -1.0f;
  for (uint32_t r = 0; r < b; ++r) {
    const float* row = v + static_cast<size_t>(r) * k;
    for (uint32_t t = 0; t < k; ++t) {
      const float a = fabsf(row[t]);
      block_max[t] = a > block_max[t] ? a : block_max[t];
    }
  }
}

// rank[i] = the number of candidates with a strictly larger magnitude than candidate i;
// returns how many ranks are below k. mags is padded to a multiple of 4 with -2 (below every
// magnitude, so a padding lane's rank is c >= k); rank has room for the padding.
__attribute__((always_inline)) inline uint32_t count_greater(const float* mags, uint32_t c,
                                                            uint32_t k, uint32_t* rank) {
  uint32_t selected = 0;
  const uint32_t c4 = (c + 3u) & ~3u;
  // Four candidates i at a time (one per lane) against four candidates j at a time: the j
  // vector and its three rotations meet every (i, j) pair of the two groups once. A true
  // compare is -1 in every bit, so subtracting it counts.
  const Int4 k4 = {static_cast<int32_t>(k), static_cast<int32_t>(k), static_cast<int32_t>(k),
                   static_cast<int32_t>(k)};
  Int4 below = {0, 0, 0, 0};
  for (uint32_t i = 0; i < c4; i += 4) {
    const Float4 mi = load4(mags + i);
    Int4 acc = {0, 0, 0, 0};
    for (uint32_t j = 0; j < c4; j += 4) {
      Float4 mj = load4(mags + j);
      acc -= (mj > mi);
      mj = __builtin_shufflevector(mj, mj, 1, 2, 3, 0);
      acc -= (mj > mi);
      mj = __builtin_shufflevector(mj, mj, 1, 2, 3, 0);
      acc -= (mj > mi);
      mj = __builtin_shufflevector(mj, mj, 1, 2, 3, 0);
      acc -= (mj > mi);
    }
    *reinterpret_cast<Int4*>(rank + i) = acc;
    below -= (acc < k4);
  }
  selected = static_cast<uint32_t>(below[0] + below[1] + below[2] + below[3]);
  return selected;
}

// min over t < m of (rank[t] < k ? x[t] : infinity): with rank[t] = the number of x larger
// than x[t], the k-th largest x (ties included). x and rank are padded to a multiple of 4
// (padding ranks >= k).
float kth_largest_from_ranks(const float* x, const uint32_t* rank, uint32_t m, uint32_t k) {
  const Int4 k4 = {static_cast<int32_t>(k), static_cast<int32_t>(k), static_cast<int32_t>(k),
                   static_cast<int32_t>(k)};
  const Float4 inf4 = {INFINITY, INFINITY, INFINITY, INFINITY};
  Float4 best = inf4;
  for (uint32_t t = 0; t < m; t += 4) {
    const Int4 r = *reinterpret_cast<const Int4*>(rank + t);
    const Float4 cand = r < k4 ? load4(x + t) : inf4;
    best = __builtin_ia32_minps(cand, best);
  }
  const float a = best[0] < best[1] ? best[0] : best[1];
  const float b = best[2] < best[3] ? best[2] : best[3];
  return a < b ? a : b;
}

// Slack after kMaxCandidates in the candidate list: a step of list_candidates stores eight
// positions at once.
constexpr uint32_t kListSlack = 8;

// For each 8-bit mask: the numbers of its set bits in ascending order (unused slots 0), and
// their count. 4.3 KB of constants, x86 only.
struct PackTable {
  uint16_t lanes[256][8];
  uint8_t count[256];
  constexpr PackTable() : lanes(), count() {
    for (unsigned m = 0; m < 256; ++m) {
      unsigned c = 0;
      for (unsigned l = 0; l < 8; ++l) {
        if ((m >> l) & 1u) lanes[m][c++] = static_cast<uint16_t>(l);
      }
      count[m] = static_cast<uint8_t>(c);
    }
  }
};
constexpr PackTable kPackTable{};
typedef uint16_t U16x8 __attribute__((vector_size(16), aligned(2), may_alias));

inline unsigned reach_mask(const float* v, Float4 tau4) {
  const Float4 a = abs4(load4(v));
  return static_cast<unsigned>(__builtin_ia32_movmskps(reinterpret_cast<Float4>(a >= tau4)));
}

// Writes to pos, in index order, the indices i with |v[i]| >= tau (never a NaN) and returns
// their count, or kMaxCandidates + 1 as soon as more than kMaxCandidates are certain. pos has
// room for kMaxCandidates + kListSlack entries.
uint32_t list_candidates(const float* v, uint32_t n, float tau, uint16_t* pos) {
  uint32_t c = 0;
  uint32_t i = 0;
  // Eight elements per step: the compares' sign masks (movmskps) select from kPackTable the
  // lane numbers that reach tau, packed to the front; i is added to all eight (one paddw) and
  // the eight positions are stored at once; the count advances by the mask's popcount. Slots
  // past the count hold junk that the next store overwrites. No branch depends on the data.
  const Float4 tau4 = {tau, tau, tau, tau};
  const U16x8 step = {8, 8, 8, 8, 8, 8, 8, 8};
  U16x8 base = {0, 0, 0, 0, 0, 0, 0, 0};  // i in every slot
  for (; i + 8 <= n; i += 8, base += step) {
    if (c > kMaxCandidates) return kMaxCandidates + 1;  // rarely taken
    const unsigned mask = reach_mask(v + i, tau4) | (reach_mask(v + i + 4, tau4) << 4);
    const U16x8 packed = *reinterpret_cast<const U16x8*>(kPackTable.lanes[mask]) + base;
    memcpy(pos + c, &packed, sizeof packed);
    c += kPackTable.count[mask];
  }
  if (i + 4 <= n) {
    if (c > kMaxCandidates) return kMaxCandidates + 1;
    const unsigned mask = reach_mask(v + i, tau4);
    const U16x8 packed = *reinterpret_cast<const U16x8*>(kPackTable.lanes[mask]) + base;
    memcpy(pos + c, &packed, sizeof packed);
    c += kPackTable.count[mask];
    i += 4;
  }
  for (; i < n; ++i) {
    if (c > kMaxCandidates) return kMaxCandidates + 1;
    pos[c] = static_cast<uint16_t>(i);  // kept only if it reaches tau, else overwritten
    c += fabsf(v[i]) >= tau ? 1u : 0u;
  }
  return c;
}

constexpr float kSmallestPositive = 1.4e-45f;  // the smallest denormal: |x| >= it iff x != 0

// The top k when v holds `nonzero` (< k) nonzero numbers: all of them and the k - nonzero zeros
// of lowest index (+0 and -0 tie at magnitude 0, and only a NaN ranks lower), in index order,
// in one pass without a data-dependent branch but the loop's end. False (idx overwritten,
// the heap's to redo) when the zeros do not make up k: then NaNs would be selected.
bool fill_with_zeros(const float* v, uint32_t n, uint32_t k, uint32_t nonzero, uint32_t* idx,
                     uint64_t* cmps) {
  const uint32_t zeros_wanted = k - nonzero;
  uint32_t out = 0, zeros = 0;
  uint32_t i = 0;
  for (; i < n && out < k; ++i) {
    const float a = fabsf(v[i]);
    const uint32_t is_zero = a == 0.0f ? 1u : 0u;
    const uint32_t take = (a > 0.0f ? 1u : 0u) | (is_zero & (zeros < zeros_wanted ? 1u : 0u));
    idx[out] = i;  // kept only if taken, else overwritten
    out += take;
    zeros += is_zero & take;
  }
  *cmps += i;
  return out == k;
}

// The top k (k <= c <= kMaxCandidates) of the c candidates at positions pos (increasing) with
// magnitudes mags (never NaN; room for the padding to a multiple of 4), written to idx in
// index order: for each candidate the candidates above it are counted, O(c^2) comparisons
// without a data-dependent branch.
__attribute__((always_inline)) inline void top_k_of_candidates(float* mags, uint32_t* rank,
                                                               const uint16_t* pos, uint32_t c,
                                                               uint32_t k, uint32_t* idx,
                                                               uint64_t* cmps) {
  for (uint32_t t = c; t < ((c + 3u) & ~3u); ++t) mags[t] = -2.0f;
  const uint32_t selected = count_greater(mags, c, k, rank);
  *cmps += static_cast<uint64_t>(c) * c;
  if (selected != k) {
    // Ties at the k-th magnitude: an equal magnitude at a lower index also ranks above.
    for (uint32_t t = 1; t < c; ++t) {
      uint32_t ties = 0;
      for (uint32_t j = 0; j < t; ++j) ties += mags[j] == mags[t] ? 1u : 0u;
      rank[t] += ties;
    }
    *cmps += static_cast<uint64_t>(c) * (c - 1) / 2;
  }
  // Exactly k candidates rank below k: the loop ends with the k-th, so idx[k] is never
  // written. No branch depends on the data but the loop's end.
  uint32_t out = 0;
  for (uint32_t t = 0; out < k; ++t) {
    idx[out] = pos[t];  // kept only if selected, else overwritten
    out += rank[t] < k ? 1u : 0u;
  }
}

// The rank path: candidates = the elements with |v| >= tau (never a NaN), in index order; if
// they are at least k and at most kMaxCandidates, the top k among them (which is the top k of
// v: every other element ranks below every candidate) by rank counting, O(c^2) comparisons
// without a data-dependent branch. Returns false (idx to be rewritten by the heap) when the
// candidates do not fit or are fewer than k (only NaN can cause that, the nonzero candidates
// below are made up with zeros); *tau_out is the bound, which seeds the heap.
bool rank_top_k(const float* v, uint32_t n, uint32_t k, uint32_t* idx, float* tau_out,
                uint64_t* cmps) {
  alignas(16) float mags[kMaxCandidates + 3];
  alignas(16) uint32_t rank[kMaxCandidates + 3];
  uint16_t pos[kMaxCandidates + kListSlack];
  // The bound: with m >= k disjoint blocks, the k-th largest block maximum tau is <= the k-th
  // largest |v[i]| (k different blocks each hold an element >= tau). m = 2k blocks give a
  // tighter tau than m = k (for errors in random order about 1.3k candidates instead of 2.3k),
  // for the price of ranking 2k maxima. block_max reuses mags: it is consumed before the
  // candidates.
  // Small n with k > n / 3 (at most kMaxCandidates elements): no bound, every element (but a
  // NaN) is a candidate.
  float tau = -1.0f;
  if (n / k >= kMinBlockForBound) {
    const uint32_t m = (2 * k <= kMaxCandidates && n / (2 * k) >= 2) ? 2 * k : k;
    const uint32_t b = n / m;
    float* block_max = mags;
    block_maxima(v, m, b, block_max);
    if (m == k) {
      tau = INFINITY;
      for (uint32_t t = 0; t < m; ++t) tau = block_max[t] < tau ? block_max[t] : tau;
    } else {
      for (uint32_t t = m; t < ((m + 3u) & ~3u); ++t) block_max[t] = -2.0f;
      (void)count_greater(block_max, m, k, rank);
      // The smallest maximum among those with fewer than k larger: the k-th largest.
      tau = kth_largest_from_ranks(block_max, rank, m, k);
      *cmps += static_cast<uint64_t>(m) * m;
    }
    *cmps += static_cast<uint64_t>(m) * b;
  }
  *tau_out = tau;
  // A bound of 0 (more than half the blocks all zero: an error after a ReLU) or none would
  // make every zero a candidate, dozens of them tied at the k-th magnitude. Every nonzero
  // number ranks above every zero, so the candidates are the nonzero numbers instead (|v| >=
  // the smallest denormal); when they are fewer than k, the zeros of lowest index fill up.
  const bool nonzero_only = tau <= 0.0f;
  if (nonzero_only) tau = kSmallestPositive;
  const uint32_t c = list_candidates(v, n, tau, pos);
  *cmps += n;
  if (c < k && nonzero_only) return fill_with_zeros(v, n, k, c, idx, cmps);
  if (c < k || c > kMaxCandidates) return false;
  for (uint32_t t = 0; t < c; ++t) mags[t] = fabsf(v[pos[t]]);
  top_k_of_candidates(mags, rank, pos, c, k, idx, cmps);
  return true;
}

// The rank path for kFrameMinN <= n <= 64 and k <= kFrameMaxK on a frame of 64 floats (v
// itself when n = 64, else v copied and padded with +0, a magnitude below every candidate's),
// so that every pass has one fixed shape, unrolled, without the general path's block and
// candidate loops.
// The bound is the k-th largest of the maxima of the 8 strided blocks {t + 8 r} (two
// registers, block t in one lane; ranked four against four in registers), the candidates
// (|v| >= tau, never a NaN or a padding zero) come out of a 64-bit mask of the compares, lowest
// bit first, so in index order, and the rest is the general path's (top_k_of_candidates): the
// same indices in the same order.
constexpr uint32_t kFrame = 64;
constexpr uint32_t kFrameBlocks = 8;  // the bound's blocks
constexpr uint32_t kFrameMaxK = 7;    // at k = 8 the bound is the smallest of 8 maxima: loose
constexpr uint32_t kFrameMinN = 32;   // from 32 on fewer instructions than the general path

typedef int16_t Int16x8 __attribute__((vector_size(16)));

// |frame[i .. i + 3]|.
inline Float4 frame_abs4(const float* frame, uint32_t i) { return abs4(load4(frame + i)); }

// Bit j of the result: |frame[i + j]| >= tau (j < 16; false for a NaN).
inline uint32_t reach_mask16(const float* frame, uint32_t i, Float4 tau4) {
  const Int4 c0 = frame_abs4(frame, i) >= tau4, c1 = frame_abs4(frame, i + 4) >= tau4;
  const Int4 c2 = frame_abs4(frame, i + 8) >= tau4, c3 = frame_abs4(frame, i + 12) >= tau4;
  // -1 / 0 lanes packed with signed saturation to one byte per element, in order.
  const Int16x8 p01 = __builtin_ia32_packssdw128(c0, c1), p23 = __builtin_ia32_packssdw128(c2, c3);
  return static_cast<uint32_t>(__builtin_ia32_pmovmskb128(__builtin_ia32_packsswb128(p01, p23)));
}

bool rank_top_k_frame(const float* v, uint32_t n, uint32_t k, uint32_t* idx, float* tau_out,
                      uint64_t* cmps) {
  alignas(16) float padded[kFrame];
  const float* frame = v;
  if (n != kFrame) {
    for (uint32_t i = 0; i < n; ++i) padded[i] = v[i];
    for (uint32_t i = n; i < kFrame; ++i) padded[i] = 0.0f;
    frame = padded;
  }
  // Block maxima: lane L of lo is block L, of hi block 4 + L (maxps keeps its second operand
  // when the first is NaN: a NaN never wins; a block of NaNs has the maximum -1).
  const Float4 minus_one = {-1.0f, -1.0f, -1.0f, -1.0f};
  Float4 lo = minus_one, hi = minus_one;
#pragma GCC unroll 8
  for (uint32_t r = 0; r < kFrame; r += 2 * 4) {
    lo = __builtin_ia32_maxps(frame_abs4(frame, r), lo);
    hi = __builtin_ia32_maxps(frame_abs4(frame, r + 4), hi);
  }
  // Each maximum's rank (how many of the eight are larger): both registers and their three
  // rotations against each.
  Int4 rank_lo = {0, 0, 0, 0}, rank_hi = rank_lo;
  Float4 a = lo, b = hi;
#pragma GCC unroll 4
  for (int s = 0; s < 4; ++s) {
    rank_lo -= (a > lo);
    rank_lo -= (b > lo);
    rank_hi -= (a > hi);
    rank_hi -= (b > hi);
    a = __builtin_shufflevector(a, a, 1, 2, 3, 0);
    b = __builtin_shufflevector(b, b, 1, 2, 3, 0);
  }
  // The k-th largest maximum: the smallest of those with fewer than k larger.
  const Int4 k4 = {static_cast<int32_t>(k), static_cast<int32_t>(k), static_cast<int32_t>(k),
                   static_cast<int32_t>(k)};
  const Float4 inf4 = {INFINITY, INFINITY, INFINITY, INFINITY};
  const Float4 best = __builtin_ia32_minps(rank_lo < k4 ? lo : inf4, rank_hi < k4 ? hi : inf4);
  const float m01 = best[0] < best[1] ? best[0] : best[1];
  const float m23 = best[2] < best[3] ? best[2] : best[3];
  float tau = m01 < m23 ? m01 : m23;
  *cmps += static_cast<uint64_t>(n) + kFrameBlocks * kFrameBlocks;
  *tau_out = tau;
  // As in rank_top_k: with a bound of 0 the candidates are the nonzero numbers.
  const bool nonzero_only = tau <= 0.0f;
  if (nonzero_only) tau = kSmallestPositive;
  const Float4 tau4 = {tau, tau, tau, tau};
  uint64_t mask = 0;
#pragma GCC unroll 4
  for (uint32_t r = 0; r < kFrame; r += 16) {
    mask |= static_cast<uint64_t>(reach_mask16(frame, r, tau4)) << r;
  }
  *cmps += n;
  alignas(16) float mags[kMaxCandidates + 3];
  alignas(16) uint32_t rank[kMaxCandidates + 3];
  uint16_t pos[kFrame];
  uint32_t c = 0;
  for (; mask != 0; mask &= mask - 1) {
    const uint32_t p = static_cast<uint32_t>(__builtin_ctzll(mask));
    pos[c] = static_cast<uint16_t>(p);
    mags[c] = fabsf(frame[p]);
    ++c;
  }
  if (c < k && nonzero_only) return fill_with_zeros(v, n, k, c, idx, cmps);
  if (c < k) return false;  // only NaN can cause that
  top_k_of_candidates(mags, rank, pos, c, k, idx, cmps);
  return true;
}

#endif  // TINYPROP_FLOAT4

// The heap path's end: the heap, then the k indices in ascending order.
void finish_with_heap(const float* v, uint32_t n, uint32_t k, bool bounded, float tau,
                      uint32_t* idx, uint64_t* cmps) {
  heap_top_k(v, n, k, bounded, tau, idx, cmps);
  if (k <= kMaxInsertionSort) {
    insertion_sort_indices(idx, k);
    *cmps += static_cast<uint64_t>(k) * k / 4;  // about k^2 / 4 moves for a random order
  } else {
    heap_to_index_order(v, n, k, idx);
    *cmps += n;
  }
}

}  // namespace

// Exact top k by (|v| descending, index ascending; a NaN ranks below every number), written to
// idx in ascending index order, on one of two paths (the same indices in the same order):
//  * rank path (x86 with SSE; n < 65536 and 1 <= k <= 64, with k <= n / 3 or n <= 64): a
//    lower bound tau of the k-th largest magnitude (the k-th largest of 2k block maxima; none
//    for k > n / 3), the candidates with |v| >= tau (about 1.3k for errors in random order),
//    and the top k among them by counting, for each candidate, the candidates above it. Every
//    step is a fixed vector pass without data-dependent branches: on x86 a mispredicted branch
//    costs more than the comparisons around it, and for errors in random order nearly every
//    decision of a heap is a coin toss. For 32 <= n <= 64 and k <= 7 the same steps on a
//    fixed frame of 64 floats (rank_top_k_frame): the bound from 8 block maxima ranked in
//    registers, the candidates from a 64-bit compare mask.
//  * small-k path (k <= kMaxSmallSelect on the cases the rank path leaves, so every small k on
//    a target without SSE): one pass keeping the k best in a short sorted array, O(n k) at
//    worst, then the k indices in ascending order (select_top_k_small).
//  * heap path (every other case, and every target without SSE, where no branch predictor
//    misses and the heap needs fewer instructions): a bounded min-heap seeded from a
//    block-maximum bound, O(n log k), then the k indices in ascending order.
// Index order is the summation order of the propagated error (dense_backward_input adds the
// rows in list order), so every path and every platform gives the same bits.
uint64_t select_top_k_heap(const float* v, uint32_t n, uint32_t k, uint32_t* idx) {
  uint64_t cmps = 0;
  if (k > n) k = n;
  if (k == 0) return 0;
  if (k == n) {
    for (uint32_t i = 0; i < k; ++i) idx[i] = i;
    return 0;
  }
  const bool bounded = n / k >= kMinBlockForBound;
  float tau = -1.0f;
  if (bounded) {
    tau = kth_magnitude_lower_bound_contiguous(v, k, n / k);
    cmps += static_cast<uint64_t>(k) * (n / k);
  }
  finish_with_heap(v, n, k, bounded, tau, idx, &cmps);
  return cmps;
}

// Elements come in index order, so a new one ranks above a kept one exactly when its magnitude
// is strictly larger (a tie goes to the kept, lower index), and it enters when it ranks above
// the weakest kept (the first k enter as they come, a NaN with the rank magnitude -1). The
// kept indices live in idx itself, best first, with their magnitudes beside them; insertion
// moves the weaker ones down one place (k small: a few moves).
// The scan compares magnitudes as integers: for numbers, |a| > |b| exactly when the bits
// without the sign bit (shifted out: bits << 1) are larger as unsigned integers, and a NaN's
// shifted bits are above 0xFF000000 (infinity's), so a NaN that passes the compare is told
// apart in the same (rarely true) branch and never enters. A NaN among the kept ranks below every
// number, which no unsigned key can express: then the rest of the scan compares rank_mag.
// That makes 5 instructions per element that does not enter on a Cortex-M4 (next_key_above),
// against the heap path's bound pass, seeding, heapify and offers.
namespace {

// The integer key of a magnitude m >= 0 (not NaN), as in the scans below.
inline uint32_t magnitude_key(float m) {
  uint32_t bits;
  memcpy(&bits, &m, sizeof bits);
  return bits << 1;
}
// The key of x: its bits without the sign bit, shifted up (above kInfinityKey for a NaN).
inline uint32_t key_at(const float* x) {
  uint32_t bits;
  memcpy(&bits, x, sizeof bits);
  return bits << 1;
}
constexpr uint32_t kInfinityKey = 0xFF000000u;  // magnitude_key(INFINITY): larger keys are NaN

// The first p in [p, end) whose key exceeds t (a larger magnitude than t's, or a NaN), or
// end. On a Cortex-M (Thumb-2) 5 instructions per element: LDR with post-increment, CMP of t
// with the loaded bits shifted (t - (bits << 1) borrows exactly when the key is above t), the
// branch out and the loop's compare-and-branch (GCC's code for the C loop takes 7).
inline const float* next_key_above(const float* p, const float* end, uint32_t t) {
#if defined(__arm__) && defined(__thumb2__)
  if (p == end) return end;
  uint32_t bits;
  __asm__(
      "1:\n\t"
      "ldr %[b], [%[p]], #4\n\t"
      "cmp.w %[t], %[b], lsl #1\n\t"
      "bcc 2f\n\t"
      "cmp %[p], %[end]\n\t"
      "bne 1b\n\t"
      "b 3f\n"
      "2:\n\t"
      "subs %[p], %[p], #4\n"
      "3:\n"
      : [p] "+r"(p), [b] "=&r"(bits)
      : [t] "r"(t), [end] "r"(end)
      : "cc", "memory");
  return p;
#else
  for (; p != end; ++p) {
    if (key_at(p) > t) break;
  }
  return p;
#endif
}

// k = 1: the first element of the largest magnitude.
uint64_t select_top_1(const float* v, uint32_t n, uint32_t* idx) {
  const float first = rank_mag(v[0]);
  const float* best = v;
  const float* const end = v + n;
  if (first >= 0.0f) {
    uint32_t best_key = magnitude_key(first);
    for (const float* p = next_key_above(v + 1, end, best_key); p != end;
         p = next_key_above(p + 1, end, best_key)) {
      const uint32_t key = key_at(p);
      if (key <= kInfinityKey) {  // else a NaN, which never wins
        best_key = key;
        best = p;
      }
    }
  } else {  // v[0] is a NaN: the first number (if any) beats it
    float best_mag = first;
    for (const float* p = v + 1; p != end; ++p) {
      if (fabsf(*p) > best_mag) {  // false for a NaN
        best_mag = fabsf(*p);
        best = p;
      }
    }
  }
  idx[0] = static_cast<uint32_t>(best - v);
  return n;
}

}  // namespace

uint64_t select_top_k_small(const float* v, uint32_t n, uint32_t k, uint32_t* idx) {
  if (k == 1) return select_top_1(v, n, idx);
  float mag[kMaxSmallSelect];  // magnitudes of idx[0..k), best first
  uint32_t moves = 0;
  const auto insert = [&](uint32_t size, float m, uint32_t i) {
    uint32_t j = size;
    for (; j > 0 && mag[j - 1] < m; --j) {
      mag[j] = mag[j - 1];
      idx[j] = idx[j - 1];
    }
    moves += size - j;
    mag[j] = m;
    idx[j] = i;
  };
  for (uint32_t i = 0; i < k; ++i) insert(i, rank_mag(v[i]), i);
  const float* p = v + k;
  const float* const end = v + n;
  if (mag[k - 1] >= 0.0f) {
    uint32_t weakest = magnitude_key(mag[k - 1]);
    for (p = next_key_above(p, end, weakest); p != end; p = next_key_above(p + 1, end, weakest)) {
      if (key_at(p) <= kInfinityKey) {  // else a NaN, which never enters
        // Drops the weakest: the k - 1 others stay, in order.
        insert(k - 1, fabsf(*p), static_cast<uint32_t>(p - v));
        weakest = magnitude_key(mag[k - 1]);
      }
    }
  }
  for (float weakest = mag[k - 1]; p != end; ++p) {  // a NaN is kept
    if (fabsf(*p) > weakest) {  // false for a NaN
      insert(k - 1, fabsf(*p), static_cast<uint32_t>(p - v));
      weakest = mag[k - 1];
    }
  }
  insertion_sort_indices(idx, k);
  return static_cast<uint64_t>(n) + moves + static_cast<uint64_t>(k) * k / 4;
}

uint64_t select_top_k(const float* v, uint32_t n, uint32_t k, uint32_t* idx) {
#if defined(TINYPROP_FLOAT4)
  if (k < n && k > 0 && k <= kMaxCandidates && n <= 65535u &&  // positions fit in uint16
      (n / k >= kMinBlockForBound || n <= kMaxCandidates)) {
    uint64_t cmps = 0;
    float tau = -1.0f;
    const bool framed = n >= kFrameMinN && n <= kFrame && k <= kFrameMaxK;
    if (framed ? rank_top_k_frame(v, n, k, idx, &tau, &cmps)
               : rank_top_k(v, n, k, idx, &tau, &cmps)) {
      return cmps;
    }
    // The rank path's bound seeds the heap (without a bound, -1: every element but a NaN).
    finish_with_heap(v, n, k, true, tau, idx, &cmps);
    return cmps;
  }
#endif
  if (k > 0 && k < n && k <= kMaxSmallSelect) return select_top_k_small(v, n, k, idx);
  return select_top_k_heap(v, n, k, idx);
}

#if defined(TINYPROP_FLOAT4)
bool select_top_k_frame(const float* v, uint32_t n, uint32_t k, uint32_t* idx) {
  if (n < kFrameMinN || n > kFrame || k == 0 || k > kFrameMaxK || k >= n) return false;
  uint64_t cmps = 0;
  float tau = -1.0f;
  return rank_top_k_frame(v, n, k, idx, &tau, &cmps);
}
#endif

// Insertion: for small n cheaper than a pass over the whole error (see finish_with_heap).
void insertion_sort_indices(uint32_t* a, uint32_t n) {
  for (uint32_t i = 1; i < n; ++i) {
    const uint32_t x = a[i];
    uint32_t j = i;
    for (; j > 0 && a[j - 1] > x; --j) a[j] = a[j - 1];
    a[j] = x;
  }
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
