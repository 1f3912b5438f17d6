// The branch-free x86 forms of ReLU (forward and backward) and of the zero-block scan
// (find_nonzero_blocks_into) against their scalar definitions, bit for bit, on inputs with
// +0, -0, NaN, infinities and denormals, every tail length and unaligned pointers (on targets
// without SSE the scalar loops themselves run: the same checks hold).
#include <gtest/gtest.h>
#include <math.h>

#include <string>
#include <vector>

#include "test_util.h"
#include "tinyprop/kernels/activation.h"
#include "tinyprop/kernels/dense.h"

namespace tinyprop_test {
namespace {

// Values a ReLU must treat exactly: both zeros, NaNs of both signs, infinities, denormals,
// and ordinary numbers of both signs.
std::vector<float> special_values(Rng& rng, uint32_t n) {
  const float specials[] = {0.0f, -0.0f, NAN, -NAN, INFINITY, -INFINITY, 1e-40f, -1e-40f};
  std::vector<float> v(n);
  for (uint32_t i = 0; i < n; ++i) {
    v[i] = rng.uniform01() < 0.3f ? specials[static_cast<uint32_t>(rng.uniform01() * 8.0f) % 8]
                                  : rng.uniform(-2.0f, 2.0f);
  }
  return v;
}

TEST(BranchFreeRelu, ForwardAndBackwardHaveTheScalarBits) {
  Rng rng(41);
  for (uint32_t n = 0; n <= 70; ++n) {
    for (uint32_t offset : {0u, 1u, 3u}) {  // unaligned starts
      const std::vector<float> x = special_values(rng, n + offset);
      const std::vector<float> d0 = special_values(rng, n + offset);
      std::vector<float> y(n + offset, 7.0f);
      activation_forward(LayerKind::kReLU, 0.0f, y.data() + offset, x.data() + offset, n);
      std::vector<float> d = d0;
      activation_backward(LayerKind::kReLU, 0.0f, d.data() + offset, x.data() + offset, n);
      for (uint32_t i = 0; i < n; ++i) {
        const float xi = x[offset + i];
        const float want_y = xi > 0.0f ? xi : 0.0f;
        const float want_d = xi > 0.0f ? d0[offset + i] : 0.0f;
        const std::string where = "n " + std::to_string(n) + " i " + std::to_string(i);
        EXPECT_EQ(bits_of(y[offset + i]), bits_of(want_y)) << where;
        EXPECT_EQ(bits_of(d[offset + i]), bits_of(want_d)) << where;
      }
      for (uint32_t i = 0; i < offset; ++i) EXPECT_EQ(y[i], 7.0f);  // nothing before y
    }
  }
}

// The scan's contract, written out independently: the nonzero blocks of four (a NaN counts as
// nonzero, both zeros as zero) in index order; no skipping (skip false, count 0) when there are
// more than nonzero_block_capacity(n) of them or when each of the first 16 blocks holds a
// nonzero.
TEST(BranchFreeZeroScan, ListAndDecisionMatchTheContract) {
  Rng rng(43);
  uint32_t skipped = 0, dense = 0;
  for (uint32_t n : {0u, 3u, 4u, 9u, 63u, 64u, 65u, 100u, 128u, 784u, 1030u}) {
    for (float p_zero_block : {0.0f, 0.5f, 0.7f, 0.9f, 1.0f}) {
      std::vector<float> x = special_values(rng, n);
      for (uint32_t b = 0; b + 4 <= n; b += 4) {
        if (rng.uniform01() < p_zero_block) {
          for (uint32_t i = b; i < b + 4; ++i) x[i] = rng.uniform01() < 0.5f ? 0.0f : -0.0f;
        }
      }
      std::vector<uint16_t> want;
      for (uint32_t b = 0; b + 4 <= n; b += 4) {
        bool nonzero = false;
        for (uint32_t i = b; i < b + 4; ++i) nonzero = nonzero || x[i] != 0.0f || x[i] != x[i];
        if (nonzero) want.push_back(static_cast<uint16_t>(b / 4));
      }
      const uint32_t cap = nonzero_block_capacity(n);
      bool want_skip = n / 4 > 0 && want.size() <= cap;
      if (want.size() >= 16 && want[15] == 15) want_skip = false;  // the first 16 all nonzero
      std::vector<uint16_t> list(cap + 1, 0xBEEF);  // one sentinel past the capacity
      const BlockList got = find_nonzero_blocks_into(x.data(), n, list.data());
      const std::string where = "n " + std::to_string(n) + " p " + std::to_string(p_zero_block);
      ASSERT_EQ(got.skip, want_skip) << where;
      EXPECT_EQ(list[cap], 0xBEEF) << where;
      if (!want_skip) {
        EXPECT_EQ(got.count, 0u) << where;
        ++dense;
        continue;
      }
      ++skipped;
      ASSERT_EQ(got.count, want.size()) << where;
      for (uint32_t t = 0; t < got.count; ++t) EXPECT_EQ(list[t], want[t]) << where;
    }
  }
  EXPECT_GT(skipped, 10u);
  EXPECT_GT(dense, 10u);
}

// A list that fills the capacity exactly keeps its last entry when zero blocks follow, and one
// nonzero block more turns skipping off; the first 16 blocks with one zero block still skip.
TEST(BranchFreeZeroScan, ExactlyFullListAndTheProbeEdge) {
  const uint32_t n = 784;
  const uint32_t cap = nonzero_block_capacity(n);
  ASSERT_GT(cap, 1u);
  ASSERT_LT(cap + 1, n / 4);
  for (uint32_t nonzero : {cap, cap + 1}) {
    std::vector<float> x(n, 0.0f);
    // Blocks 1 to `nonzero` hold a nonzero, block 0 and those after them do not.
    for (uint32_t t = 1; t <= nonzero; ++t) x[4 * t + 3] = -1.0f;
    std::vector<uint16_t> list(cap + 1, 0xBEEF);
    const BlockList got = find_nonzero_blocks_into(x.data(), n, list.data());
    EXPECT_EQ(list[cap], 0xBEEF);
    if (nonzero > cap) {
      EXPECT_FALSE(got.skip);
      continue;
    }
    ASSERT_TRUE(got.skip);
    ASSERT_EQ(got.count, cap);
    for (uint32_t t = 0; t < cap; ++t) EXPECT_EQ(list[t], t + 1) << t;
  }
  std::vector<float> x(n, 0.0f);
  for (uint32_t i = 0; i < 64; ++i) x[i] = 1.0f;  // the first 16 blocks nonzero: dense
  std::vector<uint16_t> list(cap + 1, 0xBEEF);
  EXPECT_FALSE(find_nonzero_blocks_into(x.data(), n, list.data()).skip);
  x[60] = x[61] = x[62] = x[63] = -0.0f;  // block 15 zero: the list (blocks 0 to 14)
  const BlockList got = find_nonzero_blocks_into(x.data(), n, list.data());
  ASSERT_TRUE(got.skip);
  ASSERT_EQ(got.count, 15u);
  for (uint32_t t = 0; t < 15; ++t) EXPECT_EQ(list[t], t);
}

}  // namespace
}  // namespace tinyprop_test
