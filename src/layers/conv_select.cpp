#include "layers/conv_select.h"
#include "tinyprop/config.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// Compiled out with TINYPROP_WITH_CONV=0 (tinyprop/config.h).
#if TINYPROP_WITH_CONV
namespace tinyprop {
namespace {

// |v| as an unsigned integer: for non-negative floats the bit pattern orders like the value
// (NaN above infinity, -0 equal to +0). Every key is below 2^31, so it also orders as int32.
inline uint32_t magnitude_key(float f) {
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  return bits & 0x7FFFFFFFu;
}

// The first histogram's bins: key >> kBinShift is the exponent and the top 5 mantissa bits
// (32 bins per octave); the 256 bins cover the 8 octaves ending at the largest key, and every
// smaller key falls into bin 0. Monotone in the key, which is all exactness needs.
constexpr int kBinShift = 18;
constexpr uint32_t kBins = 256;

inline uint32_t bin_of(uint32_t key, uint32_t base) {
  const int32_t t = static_cast<int32_t>(key >> kBinShift) - static_cast<int32_t>(base);
  return static_cast<uint32_t>(t & ~(t >> 31));  // max(t, 0), branch-free
}

// The k-th largest key T of a set, and how many keys equal to T the top k take ("ties"): the
// top k = every key > T and the first `ties` keys == T in index order.
struct Threshold {
  uint32_t key = 0;
  uint32_t ties = 0;
  bool exact = false;  // every key >= key is in the top k (no ties to split)
};

// Radix select on keys that agree above bit `high` (their bits >= high are `prefix`), one
// digit of up to 8 bits per pass from the top: after each pass the digits of T found so far
// extend the prefix, and `need` is how many of the k still come from keys with that prefix. A
// pass histograms the next digit of exactly those keys and walks the bins from the top. If one
// bin holds exactly `need` keys, every key at or above that bin is selected and the walk stops
// early; otherwise, after the last digit, keys > T are all selected and the first `need` keys
// == T. key(i) gives the i-th key. Adds the element visits (n per pass) to *visits.
template <typename KeyAt>
Threshold radix_threshold(KeyAt key, uint32_t n, uint32_t k, int high, uint32_t prefix,
                          uint64_t* visits) {
  uint32_t hist[kBins];
  uint32_t need = k;
  Threshold t;
  while (high > 0) {
    const int shift = high > 8 ? high - 8 : 0;
    const uint32_t mask = (1u << (high - shift)) - 1u;
    for (uint32_t b = 0; b <= mask; ++b) hist[b] = 0;
    for (uint32_t i = 0; i < n; ++i) {  // branch-free: the match is data-dependent
      const uint32_t kv = key(i);
      hist[(kv >> shift) & mask] += (kv >> high) == prefix ? 1u : 0u;
    }
    *visits += n;
    uint32_t digit = mask;
    for (;; --digit) {
      if (hist[digit] >= need || digit == 0) break;
      need -= hist[digit];
    }
    prefix = (prefix << (high - shift)) | digit;
    high = shift;
    if (hist[digit] == need) {  // every key with these top digits, whatever follows
      t.key = prefix << shift;
      t.exact = true;
      return t;
    }
  }
  t.key = prefix;
  t.ties = need;
  return t;
}

// Largest key of v[0..n).
uint32_t max_key(const float* v, uint32_t n) {
  uint32_t i = 0;
  uint32_t m = 0;
#if defined(__SSE2__)
  const __m128i abs_mask = _mm_set1_epi32(0x7FFFFFFF);
  __m128i mv = _mm_setzero_si128();
  for (; i + 4 <= n; i += 4) {
    const __m128i kv = _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v + i)),
                                     abs_mask);
    const __m128i gt = _mm_cmpgt_epi32(kv, mv);  // keys < 2^31: signed order is key order
    mv = _mm_or_si128(_mm_and_si128(gt, kv), _mm_andnot_si128(gt, mv));
  }
  uint32_t lanes[4];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(lanes), mv);
  for (uint32_t lane : lanes) m = lane > m ? lane : m;
#endif
  for (; i < n; ++i) {
    const uint32_t kv = magnitude_key(v[i]);
    m = kv > m ? kv : m;
  }
  return m;
}

#if defined(__SSE2__)
// Branch-free compaction of four lanes: for a lane mask m (bit L = lane L kept), the kept lane
// numbers first; one unaligned store of base + kLanes[m] writes them, popcount(m) advances.
struct LaneTable {
  uint32_t lanes[16][4];
  uint8_t count[16];
};
constexpr LaneTable make_lane_table() {
  LaneTable t{};
  for (uint32_t m = 0; m < 16; ++m) {
    uint32_t c = 0;
    for (uint32_t lane = 0; lane < 4; ++lane) {
      if ((m >> lane) & 1u) t.lanes[m][c++] = lane;
    }
    t.count[m] = static_cast<uint8_t>(c);
  }
  return t;
}
constexpr LaneTable kLaneTable = make_lane_table();
#endif

// Appends to idx[taken..] every i in [begin, end) with lo <= key(v[i]) <= hi (lo <= hi < 2^31),
// in ascending order; returns the new count. Every index is written and kept by advancing past
// it (branch-free: about half the branches would mispredict at k = n / 2). With taken <= begin
// on entry, taken <= i holds throughout, so every write (four lanes at i on x86) lands below
// idx[end]: idx needs no room beyond the n entries.
template <bool kUpper>
uint32_t collect_lanes(const float* v, uint32_t begin, uint32_t end, uint32_t lo, uint32_t hi,
                       uint32_t* idx, uint32_t taken) {
  uint32_t i = begin;
#if defined(__SSE2__)
  // lo <= key <= hi as key > lo - 1 (lo - 1 >= -1 as int32) and hi + 1 > key (kUpper: hi + 1
  // < 2^31; without it hi is the largest key, 2^31 - 1, and the test always holds).
  const __m128i abs_mask = _mm_set1_epi32(0x7FFFFFFF);
  const __m128i below = _mm_set1_epi32(static_cast<int32_t>(lo) - 1);
  const __m128i above = _mm_set1_epi32(static_cast<int32_t>(kUpper ? hi + 1 : 0));
  const __m128i four = _mm_set1_epi32(4);
  __m128i at = _mm_set1_epi32(static_cast<int32_t>(i));
  for (; i + 4 <= end; i += 4) {
    const __m128i kv = _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v + i)),
                                     abs_mask);
    __m128i in = _mm_cmpgt_epi32(kv, below);
    if (kUpper) in = _mm_and_si128(in, _mm_cmpgt_epi32(above, kv));
    const int m = _mm_movemask_ps(_mm_castsi128_ps(in));
    const __m128i lanes =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(kLaneTable.lanes[m]));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(idx + taken), _mm_add_epi32(lanes, at));
    taken += kLaneTable.count[m];
    at = _mm_add_epi32(at, four);
  }
#endif
  for (; i < end; ++i) {
    const uint32_t kv = magnitude_key(v[i]);
    idx[taken] = i;
    taken += (kv >= lo) & (!kUpper || kv <= hi) ? 1u : 0u;
  }
  return taken;
}

uint32_t collect(const float* v, uint32_t begin, uint32_t end, uint32_t lo, uint32_t hi,
                 uint32_t* idx, uint32_t taken) {
  if (hi == 0x7FFFFFFFu) return collect_lanes<false>(v, begin, end, lo, hi, idx, taken);
  return collect_lanes<true>(v, begin, end, lo, hi, idx, taken);
}

// The histogram of bin_of(key) over v[0..n): on x86 four bins computed per SSE2 step, then four
// scalar increments.
void histogram(const float* v, uint32_t n, uint32_t base, uint32_t* hist) {
  for (uint32_t b = 0; b < kBins; ++b) hist[b] = 0;
  uint32_t i = 0;
#if defined(__SSE2__)
  const __m128i abs_mask = _mm_set1_epi32(0x7FFFFFFF);
  const __m128i base4 = _mm_set1_epi32(static_cast<int32_t>(base));
  alignas(16) uint32_t bins[4];
  for (; i + 4 <= n; i += 4) {
    const __m128i kv = _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v + i)),
                                     abs_mask);
    const __m128i t = _mm_sub_epi32(_mm_srli_epi32(kv, kBinShift), base4);
    // max(t, 0): t & ~(t >> 31)
    _mm_store_si128(reinterpret_cast<__m128i*>(bins),
                    _mm_andnot_si128(_mm_srai_epi32(t, 31), t));
    ++hist[bins[0]];
    ++hist[bins[1]];
    ++hist[bins[2]];
    ++hist[bins[3]];
  }
#endif
  for (; i < n; ++i) ++hist[bin_of(magnitude_key(v[i]), base)];
}

// The position of the t.ties-th key == t.key (t.ties >= 1) among keys key(0..n), as
// pos[j] (or j when pos is null): the last tie the top k take, in index order.
template <typename KeyAt>
uint32_t nth_equal(KeyAt key, const uint32_t* pos, uint32_t n, const Threshold& t,
                   uint64_t* visits) {
  uint32_t seen = 0;
  uint32_t j = 0;
  for (; j < n; ++j) {
    seen += key(j) == t.key ? 1u : 0u;
    if (seen == t.ties) break;
  }
  *visits += j + 1;
  return pos != nullptr ? pos[j] : j;
}

}  // namespace

// Three O(N) passes and one over a small candidate set, instead of one histogram pass per 8-bit
// digit over all N:
//   1. the largest key (SIMD on x86), which places the 256 bins of
//   2. one histogram of the exponent and top 5 mantissa bits (1/32 octave per bin; keys more
//      than 8 octaves below the largest share bin 0). Walking it from the top gives the bin b
//      that holds the k-th key and how many of its keys are needed. If that is all of them the
//      threshold is b's lowest key; otherwise
//   3. the M indices of bin b's keys are compacted into idx[0..M) and their keys into
//      idx[M..2M), and the radix select above finds T among those M only (a few dozen on
//      typical data). If M > N / 2 (nearly equal magnitudes), the radix select runs on all N.
//   4. one branch-free collection pass (four lanes per step on x86): the keys >= T, up to the
//      last tie the top k take, then the keys > T.
uint64_t select_top_k_radix(const float* v, uint32_t n, uint32_t k, uint32_t* idx) {
  uint64_t visits = 0;
  const uint32_t top = max_key(v, n) >> kBinShift;
  const uint32_t base = top >= kBins ? top - (kBins - 1) : 0;
  visits += n;

  uint32_t hist[kBins];
  histogram(v, n, base, hist);
  visits += n;
  uint32_t need = k;
  uint32_t bin = kBins - 1;
  for (;; --bin) {
    if (hist[bin] >= need || bin == 0) break;
    need -= hist[bin];
  }
  // Bin b holds the keys lo..hi (bin 0: every key below bin 1).
  const uint32_t lo = bin == 0 ? 0 : (base + bin) << kBinShift;
  const uint32_t hi = ((base + bin + 1) << kBinShift) - 1;

  // Bin b's keys agree above bit kBinShift (bin 0 with base > 0: only above bit 31, and the
  // radix select then starts from all keys).
  const bool spans = bin == 0 && base > 0;
  Threshold t;
  uint32_t last_tie = 0;  // without an exact threshold: the index of the last key == T taken
  if (hist[bin] == need) {
    t.key = lo;
    t.exact = true;
  } else if (2 * static_cast<uint64_t>(hist[bin]) <= n) {
    const uint32_t m = collect(v, 0, n, lo, hi, idx, 0);  // m == hist[bin]
    visits += n;
    uint32_t* keys = idx + m;  // 2 m <= n
    for (uint32_t j = 0; j < m; ++j) keys[j] = magnitude_key(v[idx[j]]);
    const auto key_of = [keys](uint32_t j) { return keys[j]; };
    t = radix_threshold(key_of, m, need, spans ? 31 : kBinShift, spans ? 0 : base + bin,
                        &visits);
    if (!t.exact) last_tie = nth_equal(key_of, idx, m, t, &visits);
  } else {  // nearly equal magnitudes: the radix select on all keys, filtered to bin b's
    // (with the bin-0 span nothing is filtered, so it selects k of all)
    const auto key_at = [v](uint32_t i) { return magnitude_key(v[i]); };
    t = radix_threshold(key_at, n, spans ? k : need, spans ? 31 : kBinShift,
                        spans ? 0 : base + bin, &visits);
    if (!t.exact) last_tie = nth_equal(key_at, nullptr, n, t, &visits);
  }
  if (t.exact) {
    (void)collect(v, 0, n, t.key, 0x7FFFFFFFu, idx, 0);
  } else {
    // Keys >= T up to the last tie taken, then keys > T (fewer than all ties are taken, or the
    // radix select would have stopped with an exact threshold, so T < 2^31 - 1: T + 1 fits).
    const uint32_t taken = collect(v, 0, last_tie + 1, t.key, 0x7FFFFFFFu, idx, 0);
    (void)collect(v, last_tie + 1, n, t.key + 1, 0x7FFFFFFFu, idx, taken);
  }
  visits += n;
  return visits;
}

}  // namespace tinyprop

#endif  // TINYPROP_WITH_CONV
