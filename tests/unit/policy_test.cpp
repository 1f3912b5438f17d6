// decide_ratio against the spec's formula, computed independently here in double:
//   Y = sum |delta|;  Y_max = max(Y_max, Y)
//   bpr = (S_min + (S_max - S_min) Y / Y_max) zeta^d   (S_min zeta^d when Y_max = 0)
//   k = clamp(floor(clamp(bpr, 0, 1) N), 1, N)
#include <gtest/gtest.h>
#include <math.h>

#include <cmath>

#include "test_util.h"
#include "tinyprop/select.h"
#include "tinyprop/sparsity.h"

namespace tinyprop_test {
namespace {

SparsityConfig tinyprop_cfg(float s_min, float s_max, float zeta) {
  SparsityConfig c;
  c.method = Method::kTinyProp;
  c.s_min = s_min;
  c.s_max = s_max;
  c.zeta = zeta;
  return c;
}

// The spec's bpr in double, from the float inputs.
double spec_bpr(const SparsityConfig& c, double y, double y_max, uint32_t depth) {
  const double damping = pow(static_cast<double>(c.zeta), depth);
  double bpr = y_max > 0.0 ? (c.s_min + (static_cast<double>(c.s_max) - c.s_min) * (y / y_max))
                           : c.s_min;
  bpr *= damping;
  return bpr < 0.0 ? 0.0 : (bpr > 1.0 ? 1.0 : bpr);
}

uint32_t floor_k(double bpr, uint32_t n) {
  const double kf = floor(bpr * n);
  if (kf < 1.0) return 1;
  return kf > n ? n : static_cast<uint32_t>(kf);
}

TEST(DecideRatio, FullAndStatic) {
  const std::vector<float> delta(40, 0.5f);
  float y_max = 3.0f;
  SparsityConfig c;
  c.method = Method::kFull;
  EXPECT_EQ(decide_ratio(c, delta.data(), 40, 2, &y_max).k, 40u);
  c.method = Method::kStatic;
  c.ratio = 0.25f;
  EXPECT_EQ(decide_ratio(c, delta.data(), 40, 2, &y_max).k, 10u);
  c.ratio = 0.01f;
  EXPECT_EQ(decide_ratio(c, delta.data(), 40, 0, &y_max).k, 1u);
  EXPECT_EQ(y_max, 3.0f) << "full and static never touch Y_max";
}

TEST(DecideRatio, MatchesSpecFormulaOverRandomSequences) {
  Rng rng(201);
  size_t compared = 0;
  for (int config = 0; config < 40; ++config) {
    float s_min = rng.uniform01(), s_max = rng.uniform01();
    if (s_min > s_max) std::swap(s_min, s_max);
    const float zeta = 0.05f + 0.95f * rng.uniform01();
    const SparsityConfig c = tinyprop_cfg(s_min, s_max, zeta);
    const uint32_t n = 1 + rng.uniform_below(200);
    const uint32_t depth = rng.uniform_below(4);
    float y_max = 0.0f;
    double ref_y_max = 0.0;
    for (int step = 0; step < 30; ++step) {
      // Error scales that both rise and fall, so Y / Y_max covers (0, 1].
      const float scale = expf(rng.uniform(-3.0f, 3.0f));
      const std::vector<float> delta = random_vector(rng, n, -scale, scale);
      double y = 0.0;
      for (float d : delta) y += fabs(static_cast<double>(d));
      ref_y_max = y > ref_y_max ? y : ref_y_max;

      const RatioDecision d = decide_ratio(c, delta.data(), n, depth, &y_max);
      const double bpr = spec_bpr(c, y, ref_y_max, depth);
      ASSERT_NEAR(y_max, ref_y_max, 1e-5 * ref_y_max);
      ASSERT_NEAR(d.relative_error, y / ref_y_max, 1e-5);
      ASSERT_NEAR(d.ratio, bpr, 1e-5);
      ASSERT_GE(d.k, 1u);
      ASSERT_LE(d.k, n);
      // Exact unless bpr * n lies within float rounding of an integer.
      const double kf = bpr * n;
      if (fabs(kf - nearbyint(kf)) > 1e-3) {
        ASSERT_EQ(d.k, floor_k(bpr, n)) << "n " << n << " depth " << depth << " bpr " << bpr;
        ++compared;
      } else {
        ASSERT_LE(std::abs(static_cast<int>(d.k) - static_cast<int>(floor_k(bpr, n))), 1);
      }
    }
  }
  EXPECT_GT(compared, 1000u);
}

TEST(DecideRatio, DepthDampingIsZetaToTheD) {
  // Constant error: Y / Y_max = 1, so bpr = S_max zeta^d.
  const SparsityConfig c = tinyprop_cfg(0.1f, 0.8f, 0.5f);
  const std::vector<float> delta(1000, 0.01f);
  const uint32_t expect[] = {800, 400, 200, 100, 50, 25};
  for (uint32_t depth = 0; depth < 6; ++depth) {
    float y_max = 0.0f;
    const RatioDecision d = decide_ratio(c, delta.data(), 1000, depth, &y_max);
    EXPECT_EQ(d.k, expect[depth]) << "depth " << depth;
    EXPECT_NEAR(d.ratio, 0.8 * pow(0.5, depth), 1e-6);
  }
}

TEST(DecideRatio, ZeroErrorGuard) {
  const std::vector<float> zero(50, 0.0f);
  const SparsityConfig c = tinyprop_cfg(0.3f, 0.9f, 0.5f);
  for (uint32_t depth = 0; depth < 4; ++depth) {
    float y_max = 0.0f;
    const RatioDecision d = decide_ratio(c, zero.data(), 50, depth, &y_max);
    EXPECT_EQ(y_max, 0.0f);
    EXPECT_FALSE(std::isnan(d.ratio));
    EXPECT_FALSE(std::isnan(d.relative_error));
    EXPECT_EQ(d.k, floor_k(static_cast<double>(c.s_min) * pow(0.5, depth), 50)) << "depth " << depth;
  }
  // Y = 0 after a non-zero error: Y / Y_max = 0, bpr = S_min zeta^d.
  float y_max = 4.0f;
  const RatioDecision d = decide_ratio(c, zero.data(), 50, 1, &y_max);
  EXPECT_EQ(d.relative_error, 0.0f);
  EXPECT_EQ(d.k, 7u);  // floor(0.3 * 0.5 * 50) = 7
}

TEST(DecideRatio, SMinZeroStillKeepsOneNeuron) {
  const SparsityConfig c = tinyprop_cfg(0.0f, 0.0f, 1.0f);
  const std::vector<float> delta(9, 1.0f);
  float y_max = 0.0f;
  EXPECT_EQ(decide_ratio(c, delta.data(), 9, 0, &y_max).k, 1u);
}

TEST(DecideRatio, YMaxDecayAppliesBeforeTheUpdate) {
  SparsityConfig c = tinyprop_cfg(0.0f, 1.0f, 1.0f);
  c.y_max_decay = 0.5f;
  const std::vector<float> delta(10, 0.3f);  // Y = 3
  float y_max = 8.0f;
  const RatioDecision d = decide_ratio(c, delta.data(), 10, 0, &y_max);
  EXPECT_FLOAT_EQ(y_max, 4.0f);
  EXPECT_NEAR(d.relative_error, 0.75, 1e-6);
  EXPECT_EQ(d.k, 7u);
}

TEST(LocalError, IsTheL1Norm) {
  const float delta[5] = {1.0f, -2.0f, 0.5f, 0.0f, -0.25f};
  EXPECT_FLOAT_EQ(local_error(delta, 5), 3.75f);
}

}  // namespace
}  // namespace tinyprop_test
