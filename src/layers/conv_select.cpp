#include "layers/conv_select.h"
#include "tinyprop/config.h"

#include <string.h>

// Compiled out with TINYPROP_WITH_CONV=0 (tinyprop/config.h).
#if TINYPROP_WITH_CONV
namespace tinyprop {
namespace {

// |v| as an unsigned integer: for non-negative floats the bit pattern orders like the value.
inline uint32_t magnitude_key(float f) {
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  return bits & 0x7FFFFFFFu;
}

}  // namespace

// Finds the threshold key T, one 8-bit digit per pass from the top: after each pass the digits
// of T found so far are `prefix`, and `need` is how many of the k still have to come from keys
// that start with prefix. A pass histograms the next digit of exactly those keys and walks the
// bins from the top. If one bin holds exactly `need` keys, every key at or above that bin is
// selected and the walk stops early (typical for random data after two passes); otherwise, after
// the last digit, keys > T are all selected and the first `need` keys == T in index order.
uint64_t select_top_k_radix(const float* v, uint32_t n, uint32_t k, uint32_t* idx) {
  uint64_t visits = 0;
  uint32_t hist[256];
  uint32_t prefix = 0;   // digits of T found so far
  uint32_t need = k;     // keys still to take among those starting with prefix
  uint32_t threshold = 0;
  bool exact = false;    // true: take every key >= threshold, no ties to split
  for (int shift = 24; shift >= 0; shift -= 8) {
    for (uint32_t b = 0; b < 256; ++b) hist[b] = 0;
    if (shift == 24) {  // the top digit: every key counts (bit 31 is clear, so key >> 24 < 128)
      for (uint32_t i = 0; i < n; ++i) ++hist[magnitude_key(v[i]) >> 24];
    } else {  // only keys whose higher digits equal the prefix
      const int high = shift + 8;
      for (uint32_t i = 0; i < n; ++i) {  // branch-free: the match is data-dependent
        const uint32_t key = magnitude_key(v[i]);
        hist[(key >> shift) & 0xFFu] += (key >> high) == prefix ? 1u : 0u;
      }
    }
    visits += n;
    uint32_t digit = 255;
    for (;; --digit) {
      if (hist[digit] >= need || digit == 0) break;
      need -= hist[digit];
    }
    prefix = (prefix << 8) | digit;
    if (hist[digit] == need) {
      threshold = prefix << shift;  // every key with these top digits, whatever follows
      exact = true;
      break;
    }
    threshold = prefix;  // after the last pass (shift 0) the full key
  }
  uint32_t taken = 0;
  if (exact) {
    // Branch-free (about half the branches would mispredict at k = n / 2): every index is
    // written, and kept by advancing past it. idx[k] may be written, hence capacity n.
    for (uint32_t i = 0; i < n; ++i) {
      idx[taken] = i;
      taken += magnitude_key(v[i]) >= threshold ? 1u : 0u;
    }
  } else {
    // Keys > T: all of them (k - need in total); keys == T: the first `need` in index order.
    uint32_t ties = need;
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t key = magnitude_key(v[i]);
      if (key > threshold || (key == threshold && ties > 0)) {
        if (key == threshold) --ties;
        idx[taken++] = i;
      }
    }
  }
  visits += n;
  return visits;
}

}  // namespace tinyprop

#endif  // TINYPROP_WITH_CONV
