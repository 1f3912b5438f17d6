// Same seed, same bits: the Rng against an independent reference implementation, its
// distributions, and whole training runs repeated.
#include <gtest/gtest.h>
#include <math.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "test_util.h"

namespace tinyprop_test {
namespace {

// Reference xoshiro128** seeded through splitmix64 (Blackman and Vigna's published
// algorithms), written independently of src/core/rng.cpp.
class ReferenceXoshiro {
 public:
  explicit ReferenceXoshiro(uint64_t seed) {
    uint64_t x = seed;
    const uint64_t a = splitmix(x), b = splitmix(x);
    s_[0] = static_cast<uint32_t>(a & 0xFFFFFFFFu);
    s_[1] = static_cast<uint32_t>(a >> 32);
    s_[2] = static_cast<uint32_t>(b & 0xFFFFFFFFu);
    s_[3] = static_cast<uint32_t>(b >> 32);
  }
  uint32_t next() {
    const uint32_t result = rotl(s_[1] * 5, 7) * 9;
    const uint32_t t = s_[1] << 9;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 11);
    return result;
  }

 private:
  static uint64_t splitmix(uint64_t& x) {
    x += 0x9E3779B97F4A7C15ull;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  static uint32_t rotl(uint32_t v, int k) { return (v << k) | (v >> (32 - k)); }
  uint32_t s_[4];
};

TEST(Rng, MatchesReferenceXoshiro128StarStar) {
  for (uint64_t seed : {1ull, 2ull, 42ull, 0xDEADBEEFCAFEull}) {
    Rng rng(seed);
    ReferenceXoshiro ref(seed);
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(rng.next_u32(), ref.next()) << "seed " << seed;
  }
}

TEST(Rng, SameSeedSameSequenceAndReseedRestarts) {
  Rng a(99), b(99), c(100);
  bool differs = false;
  std::vector<uint32_t> first;
  for (int i = 0; i < 100; ++i) {
    const uint32_t va = a.next_u32();
    first.push_back(va);
    EXPECT_EQ(va, b.next_u32());
    differs |= va != c.next_u32();
  }
  EXPECT_TRUE(differs);
  a.reseed(99);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.next_u32(), first[i]);
}

TEST(Rng, ShuffleIsAPermutation) {
  Rng rng(5);
  for (uint32_t n : {0u, 1u, 2u, 3u, 10u, 257u, 1000u}) {
    std::vector<uint32_t> items(n);
    for (uint32_t i = 0; i < n; ++i) items[i] = i;
    rng.shuffle(items.data(), n);
    std::vector<uint32_t> sorted = items;
    std::sort(sorted.begin(), sorted.end());
    for (uint32_t i = 0; i < n; ++i) ASSERT_EQ(sorted[i], i) << "n " << n;
    if (n >= 10) {
      uint32_t fixed = 0;
      for (uint32_t i = 0; i < n; ++i) fixed += items[i] == i ? 1 : 0;
      EXPECT_LT(fixed, n / 2) << "barely shuffled";
    }
  }
}

TEST(Rng, ShuffleReachesEveryOrderOfThree) {
  Rng rng(6);
  int counts[6] = {};
  std::vector<std::vector<uint32_t>> orders;
  for (int rep = 0; rep < 6000; ++rep) {
    std::vector<uint32_t> v = {0, 1, 2};
    rng.shuffle(v.data(), 3);
    auto it = std::find(orders.begin(), orders.end(), v);
    if (it == orders.end()) {
      orders.push_back(v);
      it = orders.end() - 1;
    }
    ++counts[it - orders.begin()];
  }
  ASSERT_EQ(orders.size(), 6u);
  for (int c : counts) EXPECT_NEAR(c, 1000, 150);  // about 5 standard deviations
}

TEST(Rng, UniformBelowStaysInRange) {
  Rng rng(7);
  for (uint32_t bound : {1u, 2u, 3u, 7u, 10u, 1000u, 0x80000001u, 0xFFFFFFFFu}) {
    for (int i = 0; i < 5000; ++i) ASSERT_LT(rng.uniform_below(bound), bound) << bound;
  }
  EXPECT_EQ(rng.uniform_below(0), 0u);
  // Roughly uniform: chi-square over 10 bins, 100k draws (99.9% quantile with 9 dof: 27.9).
  uint32_t bins[10] = {};
  for (int i = 0; i < 100000; ++i) ++bins[rng.uniform_below(10)];
  double chi2 = 0.0;
  for (uint32_t b : bins) chi2 += (b - 10000.0) * (b - 10000.0) / 10000.0;
  EXPECT_LT(chi2, 27.9);
}

TEST(Rng, FloatDistributions) {
  Rng rng(8);
  double sum = 0.0, sum_sq = 0.0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    const float u = rng.uniform01();
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    const float r = rng.uniform(-3.0f, 5.0f);
    ASSERT_GE(r, -3.0f);
    ASSERT_LT(r, 5.0f);
    const float z = rng.normal();
    ASSERT_TRUE(std::isfinite(z));
    sum += z;
    sum_sq += static_cast<double>(z) * z;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.02);
  EXPECT_NEAR(sum_sq / n, 1.0, 0.03);
}

// Init + 200 training steps, twice with the same seed: the same bits.
class TrainingDeterminism : public ::testing::TestWithParam<Method> {};

TEST_P(TrainingDeterminism, SameSeedSameBits) {
  const ModelSpec spec = mlp_spec({12, 20, 10, 4}, LayerKind::kTanh);
  const Dataset d = make_blobs(200, 12, 4, 1.0f, 31);
  for (uint32_t batch : {1u, 4u}) {
    const TrainConfig cfg = make_config(GetParam(), OptimizerKind::kAdam, batch, 0.01f);
    auto run = [&](uint64_t seed) {
      Bound b(spec, cfg, seed);
      EXPECT_EQ(b.status, Status::kOk);
      std::vector<uint32_t> order(d.size());
      for (uint32_t i = 0; i < d.size(); ++i) order[i] = i;
      Rng shuffle_rng(seed + 1000);
      shuffle_rng.shuffle(order.data(), d.size());
      std::vector<float> trace;  // parameters, then every loss
      for (uint32_t s = 0; s < 200; ++s) {
        b.trainer.train_sample(d.row(order[s]), Target::of_label(d.y[order[s]]), nullptr);
        trace.push_back(b.trainer.last_loss());
      }
      b.trainer.flush(nullptr);
      trace.insert(trace.begin(), b.model.params(), b.model.params() + b.model.param_count());
      return trace;
    };
    const std::vector<float> a = run(17), b = run(17), c = run(18);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_TRUE(same_bits(a.data(), b.data(), a.size())) << "batch " << batch;
    EXPECT_FALSE(same_bits(a.data(), c.data(), a.size())) << "the seed must matter";
  }
}

INSTANTIATE_TEST_SUITE_P(AllMethods, TrainingDeterminism,
                         ::testing::Values(Method::kFull, Method::kStatic, Method::kTinyProp,
                                           Method::kTinyPropV2),
                         [](const auto& info) { return std::string(method_name(info.param)); });

TEST(InitParams, HeUniformBoundsAndZeroBias) {
  const ModelSpec spec = mlp_spec({50, 30, 5}, LayerKind::kReLU);
  Bound b(spec, make_config(Method::kFull), 3);
  ASSERT_EQ(b.status, Status::kOk);
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    const Layer& l = b.model.layer(i);
    if (l.n_weights == 0) continue;
    const double bound = sqrt(6.0 / l.in_size);
    double max_abs = 0.0;
    for (uint32_t p = 0; p < l.n_weights; ++p) max_abs = std::max(max_abs, fabs(l.w[p] * 1.0));
    EXPECT_LE(max_abs, bound);
    EXPECT_GT(max_abs, 0.9 * bound) << "uniform over the whole range";
    for (uint32_t p = 0; p < l.n_bias; ++p) EXPECT_EQ(l.b[p], 0.0f);
  }
}

}  // namespace
}  // namespace tinyprop_test
