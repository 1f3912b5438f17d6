// Pooling kernels: MaxPool2D, AvgPool2D, GlobalAvgPool forward against naive definitions and
// backward against central finite differences of L = sum_e r_e y_e. Max-pool inputs are a
// shuffled ladder of distinct values (spacing 0.01), so a perturbation of 1e-3 never changes a
// window's maximum: the objective is linear around the point and the differences are exact.
#include <gtest/gtest.h>

#include <string>

#include "test_conv_util.h"
#include "tinyprop/kernels/pool.h"

namespace tinyprop_test {
namespace {

struct PoolCase {
  const char* name;
  uint32_t in_h, in_w, c, k_h, k_w, s_h, s_w;
  int pad;
};

void PrintTo(const PoolCase& c, std::ostream* os) { *os << c.name; }

const PoolCase kPools[] = {
    {"k2_s2", 8, 6, 3, 2, 2, 2, 2, 0},
    {"k2_s2_odd", 7, 5, 2, 2, 2, 2, 2, 0},
    {"k3_s2_p1", 7, 8, 2, 3, 3, 2, 2, 1},
    {"k3_s1_overlap", 5, 6, 3, 3, 3, 1, 1, 0},
    {"k3_s2_same_asym", 6, 8, 2, 3, 3, 2, 2, kSame},
    {"k2x3_s1x2", 5, 7, 2, 2, 3, 1, 2, 0},
    {"k2_s2_same_odd", 5, 5, 1, 2, 2, 2, 2, kSame},
};

class PoolKernels : public ::testing::TestWithParam<std::tuple<PoolCase, bool>> {
 protected:
  void SetUp() override {
    const PoolCase& pc = std::get<0>(GetParam());
    is_max = std::get<1>(GetParam());
    g = geometry(pc.in_h, pc.in_w, pc.c, pc.c, pc.k_h, pc.k_w, pc.s_h, pc.s_w, pc.pad);
    Rng rng(3);
    const uint32_t n = static_cast<uint32_t>(in_count(g));
    std::vector<uint32_t> order = all_indices(n);
    rng.shuffle(order.data(), n);
    x.resize(n);
    for (uint32_t i = 0; i < n; ++i) x[i] = 0.01f * static_cast<float>(order[i]) - 1.0f;
    r = random_vector(rng, out_count(g), -1.0f, 1.0f);
  }
  std::vector<float> forward(const std::vector<float>& xs) const {
    std::vector<float> y(out_count(g));
    if (is_max) {
      max_pool2d_forward(y.data(), xs.data(), g);
    } else {
      avg_pool2d_forward(y.data(), xs.data(), g);
    }
    return y;
  }
  bool is_max = false;
  WindowGeometry g;
  std::vector<float> x, r;
};

TEST_P(PoolKernels, ForwardMatchesDefinition) {
  const std::vector<float> y = forward(x);
  for (uint32_t e = 0; e < y.size(); ++e) {
    double best = -1e30, sum = 0.0;
    uint32_t count = 0;
    for_taps(g, e, [&](uint32_t c, uint32_t iy, uint32_t ix, uint32_t, uint32_t) {
      const double v = x[x_at(g, iy, ix, c)];
      best = v > best ? v : best;
      sum += v;
      ++count;
    });
    ASSERT_GT(count, 0u);
    const double want = is_max ? best : sum / count;  // padding neither wins nor counts
    EXPECT_NEAR(y[e], want, 1e-6) << "e " << e;
  }
}

TEST_P(PoolKernels, BackwardMatchesFiniteDifferences) {
  std::vector<float> dx(in_count(g), 7.0f);  // overwritten
  if (is_max) {
    max_pool2d_backward_input(dx.data(), x.data(), r.data(), g);
  } else {
    avg_pool2d_backward_input(dx.data(), r.data(), g);
  }
  const float h = 1e-3f;
  auto objective = [&] {
    const std::vector<float> y = forward(x);
    double s = 0.0;
    for (size_t e = 0; e < y.size(); ++e) s += static_cast<double>(r[e]) * y[e];
    return s;
  };
  for (size_t i = 0; i < x.size(); ++i) {
    const float orig = x[i];
    x[i] = orig + h;
    const double step_hi = static_cast<double>(x[i]) - orig;
    const double hi = objective();
    x[i] = orig - h;
    const double step_lo = static_cast<double>(orig) - x[i];
    const double lo = objective();
    x[i] = orig;
    const double numeric = (hi - lo) / (step_hi + step_lo);
    EXPECT_NEAR(dx[i], numeric, 2e-3 + 1e-3 * fabs(numeric)) << "dx[" << i << "]";
  }
}

INSTANTIATE_TEST_SUITE_P(Windows, PoolKernels,
                         ::testing::Combine(::testing::ValuesIn(kPools), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param).name) +
                                  (std::get<1>(info.param) ? "_max" : "_avg");
                         });

// Ties: the first maximum in window scan order (rows, then columns) receives the error, as in
// PyTorch; the forward value is that maximum.
TEST(PoolKernels, MaxPoolTieGoesToFirstInScanOrder) {
  const WindowGeometry g = geometry(2, 2, 1, 1, 2, 2, 2, 2, 0);
  const float x[4] = {0.5f, 0.9f, 0.9f, 0.9f};
  const float dy[1] = {2.0f};
  float y[1] = {0.0f}, dx[4];
  max_pool2d_forward(y, x, g);
  max_pool2d_backward_input(dx, x, dy, g);
  EXPECT_EQ(y[0], 0.9f);
  EXPECT_EQ(dx[0], 0.0f);
  EXPECT_EQ(dx[1], 2.0f);
  EXPECT_EQ(dx[2], 0.0f);
  EXPECT_EQ(dx[3], 0.0f);
}

// Negative inputs next to padding: padding is not a zero that could win the maximum.
TEST(PoolKernels, MaxPoolPaddingNeverWins) {
  const WindowGeometry g = geometry(3, 3, 1, 1, 3, 3, 2, 2, 1);  // 2 x 2 outputs
  std::vector<float> x(9);
  for (uint32_t i = 0; i < 9; ++i) x[i] = -1.0f - 0.1f * static_cast<float>(i);
  std::vector<float> y(4);
  max_pool2d_forward(y.data(), x.data(), g);
  EXPECT_EQ(y[0], x[0]);  // window rows -1..1, cols -1..1: best real input is x[0] = -1
  EXPECT_EQ(y[3], x[4]);  // rows 1..3, cols 1..3 -> inputs (1..2, 1..2): best x[4]
}

TEST(PoolKernels, GlobalAvgPoolForwardAndBackward) {
  const uint32_t hw = 5 * 3, c = 4;
  Rng rng(9);
  std::vector<float> x = random_vector(rng, hw * c, -1.0f, 1.0f);
  const std::vector<float> r = random_vector(rng, c, -1.0f, 1.0f);
  std::vector<float> y(c), dx(hw * c, 3.0f);
  global_avg_pool_forward(y.data(), x.data(), hw, c);
  for (uint32_t j = 0; j < c; ++j) {
    double s = 0.0;
    for (uint32_t p = 0; p < hw; ++p) s += x[p * c + j];
    EXPECT_NEAR(y[j], s / hw, 1e-6);
  }
  global_avg_pool_backward_input(dx.data(), r.data(), hw, c);
  const float h = 0.05f;  // linear: exact up to rounding
  for (size_t i = 0; i < x.size(); ++i) {
    auto objective = [&] {
      global_avg_pool_forward(y.data(), x.data(), hw, c);
      double s = 0.0;
      for (uint32_t j = 0; j < c; ++j) s += static_cast<double>(r[j]) * y[j];
      return s;
    };
    const float orig = x[i];
    x[i] = orig + h;
    const double hi = objective();
    x[i] = orig - h;
    const double lo = objective();
    x[i] = orig;
    EXPECT_NEAR(dx[i], (hi - lo) / (2.0 * h), 1e-5) << "dx[" << i << "]";
  }
}

}  // namespace
}  // namespace tinyprop_test
