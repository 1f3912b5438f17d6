// core/u64_float.h against the C conversions (which on the host are exact, in hardware): the
// helpers exist so that a firmware links no double-precision code, and must give the same values
// so that host and device compute the same budgets.
#include "core/u64_float.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

namespace tinyprop {
namespace {

uint32_t bits_of(float f) {
  uint32_t b = 0;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

TEST(U64Float, ToFloatRoundsLikeTheCConversion) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    // Every magnitude: a random value shifted right by 0..63 bits.
    const uint64_t x = rng() >> (i % 64);
    ASSERT_EQ(bits_of(u64_to_float(x)), bits_of(static_cast<float>(x))) << x;
  }
  // Ties and near-ties around 2^32 and 2^63, where the sticky bit decides.
  for (int e = 24; e < 64; ++e) {
    const uint64_t base = uint64_t{1} << e;
    for (int64_t d = -3; d <= 3; ++d) {
      const uint64_t half_ulp = e >= 24 ? (uint64_t{1} << (e - 24)) : 0;
      for (uint64_t x : {base + static_cast<uint64_t>(d), base + half_ulp + static_cast<uint64_t>(d),
                         base - half_ulp / 2 + static_cast<uint64_t>(d)}) {
        ASSERT_EQ(bits_of(u64_to_float(x)), bits_of(static_cast<float>(x))) << x;
      }
    }
  }
  EXPECT_EQ(bits_of(u64_to_float(UINT64_MAX)), bits_of(static_cast<float>(UINT64_MAX)));
  EXPECT_EQ(u64_to_float(0), 0.0f);
}

TEST(U64Float, ToU64TruncatesLikeTheCConversion) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<uint32_t> bits(0, 0x5f7fffffu);  // +0 .. just below 2^64
  for (int i = 0; i < 200000; ++i) {
    uint32_t b = bits(rng);
    float v = 0.0f;
    std::memcpy(&v, &b, sizeof v);
    ASSERT_EQ(float_to_u64(v), static_cast<uint64_t>(v)) << v;
  }
  for (float v : {0.0f, 0.5f, 0.999999f, 1.0f, 1.5f, 4294967295.0f, 4294967296.0f, 1e18f,
                  std::nextafter(18446744073709551616.0f, 0.0f)}) {
    EXPECT_EQ(float_to_u64(v), static_cast<uint64_t>(v)) << v;
  }
  EXPECT_EQ(float_to_u64(-1.0f), 0u);
  EXPECT_EQ(float_to_u64(NAN), 0u);
  EXPECT_EQ(float_to_u64(18446744073709551616.0f), UINT64_MAX);
  EXPECT_EQ(float_to_u64(INFINITY), UINT64_MAX);
}

}  // namespace
}  // namespace tinyprop
