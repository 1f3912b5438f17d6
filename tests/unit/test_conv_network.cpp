// Finite-difference check of the trainer's gradients through whole small CNNs that use every
// new layer kind (Conv2D with same / valid / strided padding, DepthwiseConv2D, MaxPool2D,
// AvgPool2D, GlobalAvgPool, Flatten) between activations and dense layers. As in
// gradient_trainer_test.cpp, a batch size far above the sample count leaves dW and db of one
// sample in the accumulators. Coordinates whose +-h evaluations change a ReLU sign pattern or a
// max-pool argmax (a kink inside the difference interval) are skipped.
#include <gtest/gtest.h>

#include <string>

#include "layers/conv_layer.h"
#include "test_conv_util.h"

namespace tinyprop_test {
namespace {

constexpr float kStep = 1e-3f;
constexpr double kAbs = 2e-3;
constexpr double kRel = 1e-2;

// ReLU / leaky ReLU signs and max-pool winners after the last forward.
std::vector<uint32_t> kink_signature(const Model& m, const float* x) {
  std::vector<uint32_t> sig;
  for (uint32_t i = 0; i < m.n_layers(); ++i) {
    const Layer& l = m.layer(i);
    if (l.spec.kind == LayerKind::kReLU || l.spec.kind == LayerKind::kLeakyReLU) {
      for (uint32_t j = 0; j < l.out_size; ++j) sig.push_back(l.out[j] > 0.0f ? 1 : 0);
    }
    if (l.spec.kind == LayerKind::kMaxPool2D) {
      const float* in = i == 0 ? x : m.layer(i - 1).out;
      const WindowGeometry g = layer_window(l);
      for (uint32_t e = 0; e < l.out_size; ++e) {
        uint32_t best = 0;
        float best_v = -1e30f;
        for_taps(g, e, [&](uint32_t c, uint32_t iy, uint32_t ix, uint32_t, uint32_t) {
          const uint32_t at = static_cast<uint32_t>(x_at(g, iy, ix, c));
          if (in[at] > best_v) {
            best_v = in[at];
            best = at;
          }
        });
        sig.push_back(best);
      }
    }
  }
  return sig;
}

struct CnnCase {
  const char* name;
  ModelSpec spec;
  LossKind loss;
};

void PrintTo(const CnnCase& c, std::ostream* os) { *os << c.name; }

class CnnGradient : public ::testing::TestWithParam<CnnCase> {};

TEST_P(CnnGradient, AccumulatedGradientMatchesFiniteDifferences) {
  CnnCase cc = GetParam();
  cc.spec.loss = cc.loss;
  Bound b(cc.spec, make_config(Method::kFull, OptimizerKind::kSgd, /*batch=*/1000), 5);
  ASSERT_EQ(b.status, Status::kOk);
  Model& m = b.model;
  Trainer& t = b.trainer;
  Rng rng(6);
  randomize_biases(m, rng);
  const std::vector<float> x = random_vector(rng, m.input_size(), -1.0f, 1.0f);
  const std::vector<float> target = random_vector(rng, m.output_size(), 0.0f, 1.0f);
  const Target tgt = cc.loss == LossKind::kSoftmaxCrossEntropy ? Target::of_label(1)
                                                                : Target::of_values(target.data());
  const std::vector<float> before = copy_of(m.params(), m.param_count());
  t.train_sample(x.data(), tgt, nullptr);
  ASSERT_TRUE(same_bits(before.data(), m.params(), m.param_count())) << "no step expected yet";

  auto loss_at = [&] { return static_cast<double>(t.loss(x.data(), tgt)); };
  (void)loss_at();
  const std::vector<uint32_t> base = kink_signature(m, x.data());

  size_t checked = 0, skipped = 0;
  uint32_t conv_layers = 0;
  for (uint32_t i = 0; i < m.n_layers(); ++i) {
    const Layer& l = m.layer(i);
    if (l.n_weights == 0) continue;
    if (layer_is_conv(l.spec.kind)) ++conv_layers;
    const LayerTrainState& st = t.state(i);
    ASSERT_TRUE(st.trainable);
    for (uint32_t p = 0; p < l.n_weights + l.n_bias; ++p) {
      float* param = p < l.n_weights ? &l.w[p] : &l.b[p - l.n_weights];
      const double analytic = p < l.n_weights ? st.dw[p] : st.db[p - l.n_weights];
      const float orig = *param;
      *param = orig + kStep;
      const float hi_x = *param;
      const double hi = loss_at();
      const bool hi_same = kink_signature(m, x.data()) == base;
      *param = orig - kStep;
      const float lo_x = *param;
      const double lo = loss_at();
      const bool lo_same = kink_signature(m, x.data()) == base;
      *param = orig;
      if (!hi_same || !lo_same) {
        ++skipped;
        continue;
      }
      const double numeric = (hi - lo) / (static_cast<double>(hi_x) - lo_x);
      ++checked;
      EXPECT_LE(fabs(analytic - numeric), kAbs + kRel * fabs(numeric))
          << cc.name << " layer " << i << " (" << layer_kind_name(l.spec.kind) << ")"
          << (p < l.n_weights ? " w[" : " b[") << (p < l.n_weights ? p : p - l.n_weights)
          << "]: analytic " << analytic << " numeric " << numeric;
    }
  }
  EXPECT_GE(conv_layers, 1u);
  EXPECT_GT(checked, 100u);
  EXPECT_LE(skipped * 10, checked) << "too many coordinates near a kink";
}

INSTANTIATE_TEST_SUITE_P(
    Networks, CnnGradient,
    ::testing::Values(CnnCase{"all_kinds_softmax", all_kinds_cnn(), LossKind::kSoftmaxCrossEntropy},
                      CnnCase{"all_kinds_mse", all_kinds_cnn(), LossKind::kMeanSquaredError},
                      CnnCase{"strided_gap_softmax", strided_gap_cnn(),
                              LossKind::kSoftmaxCrossEntropy},
                      CnnCase{"small_cnn_softmax", small_cnn(), LossKind::kSoftmaxCrossEntropy}),
    [](const auto& info) { return std::string(info.param.name); });

// A frozen conv between trainable layers passes the full error through (its own dx), so the
// lowest trainable conv's gradient still matches finite differences.
TEST(CnnGradient, FrozenConvInTheMiddlePassesTheErrorThrough) {
  ModelSpec spec = all_kinds_cnn();
  spec.layers[3].trainable = false;  // the depthwise conv
  Bound b(spec, make_config(Method::kFull, OptimizerKind::kSgd, 1000), 8);
  ASSERT_EQ(b.status, Status::kOk);
  EXPECT_EQ(b.trainer.state(3).dw, nullptr);
  Rng rng(2);
  const std::vector<float> x = random_vector(rng, b.model.input_size(), -1.0f, 1.0f);
  StepCounters c;
  b.trainer.train_sample(x.data(), Target::of_label(2), &c);
  EXPECT_EQ(c.n[3], 0u) << "a frozen layer is not sparsified";
  const Layer& l0 = b.model.layer(0);
  const float* dw = b.trainer.state(0).dw;
  size_t checked = 0;
  for (uint32_t p = 0; p < l0.n_weights; p += 7) {
    const float orig = l0.w[p];
    l0.w[p] = orig + kStep;
    const float hi_x = l0.w[p];
    const double hi = b.trainer.loss(x.data(), Target::of_label(2));
    l0.w[p] = orig - kStep;
    const float lo_x = l0.w[p];
    const double lo = b.trainer.loss(x.data(), Target::of_label(2));
    l0.w[p] = orig;
    const double numeric = (hi - lo) / (static_cast<double>(hi_x) - lo_x);
    // Kinks are rare at this step size; a generous bound still catches a missing pass-through
    // (which would leave dW at 0).
    if (fabs(numeric) > 1e-3) ++checked;
    EXPECT_LE(fabs(dw[p] - numeric), 5e-3 + 5e-2 * fabs(numeric)) << "w[" << p << "]";
  }
  EXPECT_GT(checked, 3u);
}

}  // namespace
}  // namespace tinyprop_test
