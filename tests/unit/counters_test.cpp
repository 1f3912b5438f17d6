// RunCounters keeps integer sums (no floating point on the device); its parts-per-million
// accessors must agree with the double ones a host computes, and must not overflow.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "tinyprop/counters.h"

namespace tinyprop {
namespace {

StepCounters step(uint32_t k0, uint32_t n0, uint32_t k1, uint32_t n1) {
  StepCounters s;
  s.k[0] = k0;
  s.n[0] = n0;
  s.k[1] = k1;
  s.n[1] = n1;
  return s;
}

uint32_t ppm(double ratio) { return static_cast<uint32_t>(std::llround(ratio * 1e6)); }

TEST(RunCounters, MeanRatioIsTheMeanOfKOverN) {
  RunCounters r;
  r.add(step(1, 3, 5, 10));
  r.add(step(2, 3, 10, 10));
  r.add(step(1, 3, 0, 10));
  StepCounters skipped = step(3, 3, 10, 10);
  skipped.skipped = true;  // not part of the mean
  r.add(skipped);
  EXPECT_EQ(r.steps, 4u);
  EXPECT_EQ(r.skipped, 1u);
  EXPECT_EQ(r.ratio_count[0], 3u);
  EXPECT_NEAR(r.mean_ratio(0), (1.0 / 3 + 2.0 / 3 + 1.0 / 3) / 3, 1e-9);
  EXPECT_NEAR(r.mean_ratio(1), 0.5, 1e-9);
  EXPECT_EQ(r.mean_ratio_ppm(0), 444444u);  // 4/9
  EXPECT_EQ(r.mean_ratio_ppm(1), 500000u);
  EXPECT_EQ(r.mean_ratio_ppm(2), 0u);  // never sparsified
  EXPECT_EQ(r.mean_ratio(2), 0.0);
  EXPECT_EQ(r.mean_ratio_ppm(kMaxLayers), 0u);  // out of range
}

TEST(RunCounters, AllSelectedIsExactlyOne) {
  RunCounters r;
  for (int i = 0; i < 1000; ++i) r.add(step(7, 7, 123, 123));
  EXPECT_EQ(r.mean_ratio(0), 1.0);
  EXPECT_EQ(r.mean_ratio_ppm(1), 1000000u);
}

TEST(RunCounters, PpmMatchesTheDoubleRatios) {
  RunCounters r;
  r.forward_macs = 123456789;
  r.backward_macs = 98765;
  r.backward_macs_full = 246913578;
  EXPECT_EQ(r.backward_ratio_ppm(), ppm(r.backward_ratio()));
  EXPECT_EQ(r.total_ratio_ppm(), ppm(r.total_ratio()));
  RunCounters none;
  EXPECT_EQ(none.backward_ratio_ppm(), 1000000u);
  EXPECT_EQ(none.total_ratio_ppm(), 1000000u);
  EXPECT_EQ(none.backward_ratio(), 1.0);
}

TEST(RunCounters, PpmDoesNotOverflowOnLongRuns) {
  RunCounters r;
  r.forward_macs = 4000000000000000000ull;  // 4e18: num * 10^6 would wrap 64 bits
  r.backward_macs = 1000000000000000000ull;
  r.backward_macs_full = 8000000000000000000ull;
  EXPECT_EQ(r.backward_ratio_ppm(), 125000u);
  EXPECT_EQ(r.total_ratio_ppm(), ppm(5.0 / 12.0));
}

}  // namespace
}  // namespace tinyprop
