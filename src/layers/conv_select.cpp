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

// The histograms' bins: key >> kBinShift is the exponent and the top 5 mantissa bits (32 bins
// per octave); the 256 bins cover the 8 octaves ending at the largest key seen (bin 255), every
// smaller key falls into bin 0 and every larger one (when the largest key came from a sample)
// into bin 255. Monotone in the key, which is all exactness needs.
constexpr int kBinShift = 18;
constexpr uint32_t kBins = 256;

inline uint32_t bin_of(uint32_t key, uint32_t base) {
  const uint32_t q = key >> kBinShift;
  const uint32_t t = q > base ? q - base : 0u;  // both clamps compile to conditional moves
  return t < kBins - 1 ? t : kBins - 1;
}

// The bin holding the k-th largest key, from a histogram: its key range lo..hi, and how many
// of its keys the top k need (all keys above the bin are in).
struct BoundaryBin {
  uint32_t bin, need, count, lo, hi;
  bool spans;  // its keys need not agree above kBinShift (bin 0 with base > 0, or bin 255)
};

BoundaryBin boundary_bin(const uint32_t* hist, uint32_t k, uint32_t base) {
  BoundaryBin b;
  b.need = k;
  b.bin = kBins - 1;
  for (;; --b.bin) {
    if (hist[b.bin] >= b.need || b.bin == 0) break;
    b.need -= hist[b.bin];
  }
  b.count = hist[b.bin];
  b.lo = b.bin == 0 ? 0 : (base + b.bin) << kBinShift;
  b.hi = b.bin == kBins - 1 ? 0x7FFFFFFFu : ((base + b.bin + 1) << kBinShift) - 1;
  b.spans = (b.bin == 0 && base > 0) || b.bin == kBins - 1;
  return b;
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

// Writes to idx every i in [0, n) with key(v[i]) >= lo, in ascending order; returns their
// count. Every index is written and kept by advancing past it (branch-free: about half the
// branches would mispredict at k = n / 2); the count never exceeds i, so every write (four
// lanes at i on x86) lands below idx[n].
uint32_t collect_at_least(const float* v, uint32_t n, uint32_t lo, uint32_t* idx) {
  uint32_t i = 0;
  uint32_t taken = 0;
#if defined(__SSE2__)
  // key >= lo as key > lo - 1 in int32 (keys and lo are below 2^31; lo - 1 >= -1).
  const __m128i abs_mask = _mm_set1_epi32(0x7FFFFFFF);
  const __m128i below = _mm_set1_epi32(static_cast<int32_t>(lo) - 1);
  const __m128i four = _mm_set1_epi32(4);
  __m128i at = _mm_setzero_si128();
  for (; i + 4 <= n; i += 4) {
    const __m128i kv = _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v + i)),
                                     abs_mask);
    const int m = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpgt_epi32(kv, below)));
    const __m128i lanes =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(kLaneTable.lanes[m]));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(idx + taken), _mm_add_epi32(lanes, at));
    taken += kLaneTable.count[m];
    at = _mm_add_epi32(at, four);
  }
#endif
  for (; i < n; ++i) {
    idx[taken] = i;
    taken += magnitude_key(v[i]) >= lo ? 1u : 0u;
  }
  return taken;
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

// The exact top k of the keys at list[0..c) (ascending indices into v; k < c), compacted in
// place into list[0..k) in ascending order; list[c..n) is scratch. One histogram over the
// list finds the boundary bin; unless all of its keys are needed, its M keys are gathered into
// the scratch (M positions, then their M keys) and the radix select finds T among those only,
// or among all c listed keys (filtered to the bin) when the scratch is too small.
// (The histograms live in noinline helpers, so that one 1 KiB histogram is on the stack at a
// time: the radix select's own comes after.)
__attribute__((noinline)) BoundaryBin list_boundary_bin(const float* v, const uint32_t* list,
                                                        uint32_t c, uint32_t k, uint32_t base) {
  uint32_t hist[kBins];
  for (uint32_t b = 0; b < kBins; ++b) hist[b] = 0;
  for (uint32_t j = 0; j < c; ++j) ++hist[bin_of(magnitude_key(v[list[j]]), base)];
  return boundary_bin(hist, k, base);
}

void select_in_list(const float* v, uint32_t n, uint32_t* list, uint32_t c, uint32_t k,
                    uint32_t base, uint64_t* visits) {
  const auto key_at = [v, list](uint32_t j) { return magnitude_key(v[list[j]]); };
  const BoundaryBin bb = list_boundary_bin(v, list, c, k, base);
  *visits += c;
  const int high = bb.spans ? 31 : kBinShift;
  const uint32_t prefix = bb.spans ? 0 : base + bb.bin;
  Threshold t;
  uint32_t last_tie = 0;  // without an exact threshold: the list position of the last tie taken
  if (bb.count == bb.need) {
    t.key = bb.lo;
    t.exact = true;
  } else if (2 * static_cast<uint64_t>(bb.count) <= n - c) {
    uint32_t* pos = list + c;
    uint32_t m = 0;
    for (uint32_t j = 0; j < c; ++j) {  // branch-free, as in collect_at_least()
      const uint32_t kv = key_at(j);
      pos[m] = j;
      m += ((kv >= bb.lo) & (kv <= bb.hi)) ? 1u : 0u;
    }
    *visits += c;
    uint32_t* keys = pos + m;  // m == bb.count
    for (uint32_t i = 0; i < m; ++i) keys[i] = key_at(pos[i]);
    const auto key_of = [keys](uint32_t i) { return keys[i]; };
    t = radix_threshold(key_of, m, bb.need, high, prefix, visits);
    if (!t.exact) last_tie = nth_equal(key_of, pos, m, t, visits);
  } else {
    // Filtered to the bin by its prefix; with a spanning bin nothing is filtered, so the
    // radix select then takes k of all listed keys.
    t = radix_threshold(key_at, c, bb.spans ? k : bb.need, high, prefix, visits);
    if (!t.exact) last_tie = nth_equal(key_at, nullptr, c, t, visits);
  }
  // Keys >= T up to the last tie taken, then keys > T (fewer than all ties are taken, or the
  // radix select would have stopped with an exact threshold).
  uint32_t w = 0;
  for (uint32_t j = 0; j < c; ++j) {
    const uint32_t kv = key_at(j);
    const uint32_t keep = t.exact ? (kv >= t.key ? 1u : 0u)
                                  : (kv > t.key) | ((kv == t.key) & (j <= last_tie));
    list[w] = list[j];
    w += keep;
  }
  *visits += c;
}

// Layers below this size skip the sample (its estimate would be too coarse to pay).
constexpr uint32_t kSampledMin = 1024;
// Every 7th key is sampled: 7 is coprime with the channel counts (powers of two, multiples of
// three), so in a channels-last map the sample visits every channel, not a few of them.
constexpr uint32_t kSampleStride = 7;

uint32_t isqrt(uint32_t x) {
  uint32_t r = 0;
  while ((r + 1) * (r + 1) <= x) ++r;
  return r;
}

// Step 1 below: the bins' base from the sample's largest key (*base), and the lower bound lo.
__attribute__((noinline)) uint32_t sampled_lower_bound(const float* v, uint32_t n, uint32_t k,
                                                       uint32_t* base, uint64_t* visits) {
  uint32_t top = 0;
  for (uint32_t i = 0; i < n; i += kSampleStride) {
    const uint32_t kv = magnitude_key(v[i]);
    top = kv > top ? kv : top;
  }
  top >>= kBinShift;
  *base = top >= kBins ? top - (kBins - 1) : 0;
  uint32_t hist[kBins];
  for (uint32_t b = 0; b < kBins; ++b) hist[b] = 0;
  uint32_t samples = 0;
  for (uint32_t i = 0; i < n; i += kSampleStride, ++samples) {
    ++hist[bin_of(magnitude_key(v[i]), *base)];
  }
  *visits += 2 * static_cast<uint64_t>(samples);
  const uint64_t expected = (static_cast<uint64_t>(k) * samples + n - 1) / n;
  const uint64_t want = expected + 3 * isqrt(static_cast<uint32_t>(expected)) + 3;
  if (want >= samples) return 0;
  return boundary_bin(hist, static_cast<uint32_t>(want), *base).lo;
}

}  // namespace

// A sampled threshold, one compaction pass over all N, and exact work on the short list it
// leaves (docs/CONV.md, "Selection"):
//   1. every 7th key: their largest places the 256 bins (1/32 octave each, see bin_of), and
//      their histogram gives a lower bound lo that about k + 3 sqrt(k) + 3 of all N keys pass
//      (the sample's count scaled, with three standard deviations of margin);
//   2. one branch-free pass (four lanes per step on x86) lists every index with key >= lo in
//      ascending order. Those are the top keys, so if at least k passed, the top k are among
//      them; otherwise (a sample that misled, or a small layer, where lo = 0) the list is all N;
//   3. select_in_list: exactly the top k of the list, in place, ties to the lower index.
// The result is exact whatever the sample says; only the cost depends on it.
uint64_t select_top_k_radix(const float* v, uint32_t n, uint32_t k, uint32_t* idx) {
  uint64_t visits = 0;
  uint32_t base = 0;
  uint32_t lo = 0;
  if (n >= kSampledMin) {
    lo = sampled_lower_bound(v, n, k, &base, &visits);
  } else {
    base = max_key(v, n) >> kBinShift;
    base = base >= kBins ? base - (kBins - 1) : 0;
    visits += n;
  }
  uint32_t c = collect_at_least(v, n, lo, idx);
  visits += n;
  if (c < k) {
    c = collect_at_least(v, n, 0, idx);  // == n
    visits += n;
  }
  if (c > k) select_in_list(v, n, idx, c, k, base, &visits);
  return visits;
}

}  // namespace tinyprop

#endif  // TINYPROP_WITH_CONV
