// Finite-difference checks of the backward kernels against their own forward functions:
// activations, dense input / weight gradients and every loss's delta.
//
// Central differences: g ~ (f(x + h) - f(x - h)) / (x+h - (x-h)), with the step measured after
// rounding to float and the quotient formed in double. Tolerance |a - g| <= kAbs + kRel |g|.
#include <gtest/gtest.h>
#include <math.h>

#include <cmath>
#include <string>

#include "test_util.h"
#include "tinyprop/kernels/activation.h"
#include "tinyprop/kernels/dense.h"
#include "tinyprop/loss.h"

namespace tinyprop_test {
namespace {

constexpr float kStep = 1e-3f;
constexpr double kAbs = 2e-3;
constexpr double kRel = 1e-2;

void expect_close(double analytic, double numeric, const char* what, size_t i) {
  EXPECT_LE(fabs(analytic - numeric), kAbs + kRel * fabs(numeric))
      << what << " [" << i << "]: analytic " << analytic << " numeric " << numeric;
}

// Central difference of f at coordinate i of v (v is restored afterwards).
template <typename F>
double central_difference(std::vector<float>& v, size_t i, F f) {
  const float orig = v[i];
  v[i] = orig + kStep;
  const float hi_x = v[i];
  const double hi = f();
  v[i] = orig - kStep;
  const float lo_x = v[i];
  const double lo = f();
  v[i] = orig;
  return (hi - lo) / (static_cast<double>(hi_x) - static_cast<double>(lo_x));
}

// ---- activations: L = sum_i g_i f(x_i), so dL/dx_i = g_i f'(x_i) ----------------------------

struct ActivationCase {
  LayerKind kind;
  float alpha;
};

void PrintTo(const ActivationCase& c, std::ostream* os) { *os << layer_kind_name(c.kind); }

class ActivationGradient : public ::testing::TestWithParam<ActivationCase> {};

TEST_P(ActivationGradient, MatchesFiniteDifferences) {
  const ActivationCase ac = GetParam();
  const uint32_t n = 64;
  Rng rng(11);
  std::vector<float> x = random_vector(rng, n, -3.0f, 3.0f);
  // Kinks (ReLU, leaky ReLU at 0): keep inputs at least 0.05 away, far beyond the step.
  for (float& v : x) {
    if (fabsf(v) < 0.05f) v = v < 0.0f ? -0.05f - v : 0.05f + v;
  }
  const std::vector<float> g = random_vector(rng, n, -1.0f, 1.0f);

  std::vector<float> y(n);
  activation_forward(ac.kind, ac.alpha, y.data(), x.data(), n);
  std::vector<float> d = g;  // dL/dy
  activation_backward(ac.kind, ac.alpha, d.data(), y.data(), n);

  std::vector<float> tmp(n);
  for (size_t i = 0; i < n; ++i) {
    const double numeric = central_difference(x, i, [&] {
      activation_forward(ac.kind, ac.alpha, tmp.data(), x.data(), n);
      double l = 0.0;
      for (size_t j = 0; j < n; ++j) l += static_cast<double>(g[j]) * tmp[j];
      return l;
    });
    expect_close(d[i], numeric, layer_kind_name(ac.kind), i);
  }
}

// In place (y == x) gives the same result as out of place: the model relies on it.
TEST_P(ActivationGradient, ForwardInPlaceMatchesOutOfPlace) {
  const ActivationCase ac = GetParam();
  Rng rng(12);
  std::vector<float> x = random_vector(rng, 33, -4.0f, 4.0f);
  std::vector<float> y(x.size());
  activation_forward(ac.kind, ac.alpha, y.data(), x.data(), 33);
  activation_forward(ac.kind, ac.alpha, x.data(), x.data(), 33);
  EXPECT_TRUE(same_bits(x.data(), y.data(), x.size()));
}

INSTANTIATE_TEST_SUITE_P(AllActivations, ActivationGradient,
                         ::testing::Values(ActivationCase{LayerKind::kReLU, 0.0f},
                                           ActivationCase{LayerKind::kLeakyReLU, 0.1f},
                                           ActivationCase{LayerKind::kSigmoid, 0.0f},
                                           ActivationCase{LayerKind::kTanh, 0.0f}),
                         [](const auto& info) { return layer_kind_name(info.param.kind); });

// ---- dense: y = W x + b, L = sum_{j in rows} g_j y_j -------------------------------------

struct DenseFixture {
  uint32_t n_in = 13, n_out = 9;
  std::vector<float> x, w, b, g;
  explicit DenseFixture(uint64_t seed) {
    Rng rng(seed);
    x = random_vector(rng, n_in, -1.0f, 1.0f);
    w = random_vector(rng, static_cast<size_t>(n_in) * n_out, -1.0f, 1.0f);
    b = random_vector(rng, n_out, -1.0f, 1.0f);
    g = random_vector(rng, n_out, -1.0f, 1.0f);
  }
  // L restricted to `rows` (all rows when rows is empty).
  double loss(const std::vector<uint32_t>& rows) const {
    std::vector<float> y(n_out);
    dense_forward(y.data(), x.data(), w.data(), b.data(), n_in, n_out);
    double l = 0.0;
    if (rows.empty()) {
      for (uint32_t j = 0; j < n_out; ++j) l += static_cast<double>(g[j]) * y[j];
    } else {
      for (uint32_t j : rows) l += static_cast<double>(g[j]) * y[j];
    }
    return l;
  }
};

TEST(DenseGradient, ForwardMatchesDoubleReference) {
  DenseFixture f(21);
  std::vector<float> y(f.n_out);
  dense_forward(y.data(), f.x.data(), f.w.data(), f.b.data(), f.n_in, f.n_out);
  for (uint32_t j = 0; j < f.n_out; ++j) {
    double ref = f.b[j];
    for (uint32_t i = 0; i < f.n_in; ++i) ref += static_cast<double>(f.w[j * f.n_in + i]) * f.x[i];
    EXPECT_NEAR(y[j], ref, 1e-5) << j;
  }
}

TEST(DenseGradient, InputGradientAllRows) {
  DenseFixture f(22);
  std::vector<float> dx(f.n_in, 123.0f);  // overwritten, not accumulated
  dense_backward_input(dx.data(), f.w.data(), f.g.data(), nullptr, f.n_out, f.n_in);
  for (size_t i = 0; i < f.n_in; ++i) {
    expect_close(dx[i], central_difference(f.x, i, [&] { return f.loss({}); }), "dx", i);
  }
}

TEST(DenseGradient, InputGradientSelectedRows) {
  DenseFixture f(23);
  const std::vector<uint32_t> rows = {7, 2, 5};  // order inside a selection is irrelevant
  std::vector<float> dx(f.n_in, -5.0f);
  dense_backward_input(dx.data(), f.w.data(), f.g.data(), rows.data(),
                       static_cast<uint32_t>(rows.size()), f.n_in);
  for (size_t i = 0; i < f.n_in; ++i) {
    expect_close(dx[i], central_difference(f.x, i, [&] { return f.loss(rows); }), "dx rows", i);
  }
}

TEST(DenseGradient, WeightGradientAccumulatesSelectedRows) {
  DenseFixture f(24);
  const std::vector<uint32_t> rows = {0, 8, 3};
  Rng rng(25);
  const std::vector<float> start = random_vector(rng, f.w.size(), -1.0f, 1.0f);
  std::vector<float> dw = start;
  dense_accumulate_weight_grad(dw.data(), f.x.data(), f.g.data(), rows.data(),
                               static_cast<uint32_t>(rows.size()), f.n_in);
  for (size_t p = 0; p < f.w.size(); ++p) {
    const double numeric = central_difference(f.w, p, [&] { return f.loss(rows); });
    expect_close(static_cast<double>(dw[p]) - start[p], numeric, "dw", p);
  }
  // Unselected rows are not touched at all.
  for (uint32_t j = 0; j < f.n_out; ++j) {
    if (std::find(rows.begin(), rows.end(), j) != rows.end()) continue;
    EXPECT_TRUE(same_bits(&dw[j * f.n_in], &start[j * f.n_in], f.n_in)) << "row " << j;
  }
}

TEST(DenseGradient, WeightGradientAllRows) {
  DenseFixture f(26);
  std::vector<float> dw(f.w.size(), 0.0f);
  dense_accumulate_weight_grad(dw.data(), f.x.data(), f.g.data(), nullptr, f.n_out, f.n_in);
  for (size_t p = 0; p < f.w.size(); ++p) {
    expect_close(dw[p], central_difference(f.w, p, [&] { return f.loss({}); }), "dw", p);
  }
}

// ---- losses: delta = dL/d(out) ------------------------------------------------------------

struct LossCase {
  const char* name;
  LossKind kind;
  bool soft_target;  // target vector instead of a label
  float lo, hi;      // range of the outputs (probabilities for BCE)
};

void PrintTo(const LossCase& c, std::ostream* os) { *os << c.name; }

class LossGradient : public ::testing::TestWithParam<LossCase> {};

TEST_P(LossGradient, DeltaMatchesFiniteDifferences) {
  const LossCase lc = GetParam();
  const uint32_t n = 7;
  const uint32_t label = 4;
  Rng rng(31);
  std::vector<float> out = random_vector(rng, n, lc.lo, lc.hi);
  std::vector<float> target = random_vector(rng, n, 0.0f, 1.0f);
  if (lc.kind == LossKind::kSoftmaxCrossEntropy) {  // a distribution
    float sum = 0.0f;
    for (float t : target) sum += t;
    for (float& t : target) t /= sum;
  }
  const float* tv = lc.soft_target ? target.data() : nullptr;

  std::vector<float> delta(n), scratch(n);
  const float l0 = loss_forward_backward(lc.kind, out.data(), n, tv, label, delta.data());
  EXPECT_TRUE(std::isfinite(l0));
  EXPECT_GT(l0, 0.0f);
  for (size_t i = 0; i < n; ++i) {
    const double numeric = central_difference(out, i, [&] {
      return static_cast<double>(
          loss_forward_backward(lc.kind, out.data(), n, tv, label, scratch.data()));
    });
    expect_close(delta[i], numeric, lc.name, i);
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllLosses, LossGradient,
    ::testing::Values(LossCase{"softmax_ce_label", LossKind::kSoftmaxCrossEntropy, false, -3, 3},
                      LossCase{"softmax_ce_soft", LossKind::kSoftmaxCrossEntropy, true, -3, 3},
                      LossCase{"bce_label", LossKind::kBinaryCrossEntropy, false, 0.05f, 0.95f},
                      LossCase{"bce_soft", LossKind::kBinaryCrossEntropy, true, 0.05f, 0.95f},
                      LossCase{"mse_label", LossKind::kMeanSquaredError, false, -2, 2},
                      LossCase{"mse_soft", LossKind::kMeanSquaredError, true, -2, 2}),
    [](const auto& info) { return std::string(info.param.name); });

// Loss values against formulas evaluated in double.
TEST(LossValue, MatchesDoubleFormulas) {
  const float out[3] = {0.5f, -1.0f, 2.0f};
  const float prob[3] = {0.2f, 0.7f, 0.9f};
  const float t[3] = {0.0f, 1.0f, 0.5f};
  float d[3];
  const double lse = log(exp(0.5) + exp(-1.0) + exp(2.0));
  EXPECT_NEAR(loss_forward_backward(LossKind::kSoftmaxCrossEntropy, out, 3, nullptr, 2, d),
              lse - 2.0, 1e-6);
  const double bce = -(log(0.8) + log(0.7) + 0.5 * log(0.9) + 0.5 * log(0.1)) / 3.0;
  EXPECT_NEAR(loss_forward_backward(LossKind::kBinaryCrossEntropy, prob, 3, t, 0, d), bce, 1e-6);
  const double mse = (0.25 + 4.0 + 2.25) / 3.0;
  EXPECT_NEAR(loss_forward_backward(LossKind::kMeanSquaredError, out, 3, t, 0, d), mse, 1e-6);
}

// Softmax cross-entropy stays finite for huge logits (max subtraction).
TEST(LossValue, SoftmaxStableForLargeLogits) {
  const float out[3] = {1000.0f, -1000.0f, 999.0f};
  float d[3];
  const float l = loss_forward_backward(LossKind::kSoftmaxCrossEntropy, out, 3, nullptr, 2, d);
  EXPECT_NEAR(l, log1p(exp(-1.0)) + 1.0, 1e-5);
  EXPECT_FALSE(has_non_finite(d, 3));
}

}  // namespace
}  // namespace tinyprop_test
