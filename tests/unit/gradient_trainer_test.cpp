// Finite-difference check of the trainer's parameter gradients through whole small networks,
// one per activation and loss. The analytic gradient is read from the batch accumulators: with a
// batch size far above the number of samples, one train_sample leaves state(i).dw / .db holding
// exactly dL/dW and dL/db for that sample, before any optimizer step.
//
// ReLU kinks: a coordinate is skipped when any ReLU / leaky ReLU output changes sign pattern
// between the +h and -h evaluations (a kink lies inside the difference interval).
#include <gtest/gtest.h>
#include <math.h>

#include <string>

#include "test_util.h"

namespace tinyprop_test {
namespace {

constexpr float kStep = 1e-3f;
constexpr double kAbs = 2e-3;
constexpr double kRel = 1e-2;

struct NetCase {
  const char* name;
  ModelSpec spec;
  bool soft_target;      // target vector (else a label)
  int frozen_layer = -1;  // a dense layer marked not trainable
};

void PrintTo(const NetCase& c, std::ostream* os) { *os << c.name; }

// Sign pattern of every piecewise-linear activation's output after the last forward.
std::vector<uint8_t> kink_mask(const Model& m) {
  std::vector<uint8_t> mask;
  for (uint32_t i = 0; i < m.n_layers(); ++i) {
    const Layer& l = m.layer(i);
    if (l.spec.kind != LayerKind::kReLU && l.spec.kind != LayerKind::kLeakyReLU) continue;
    for (uint32_t j = 0; j < l.out_size; ++j) mask.push_back(l.out[j] > 0.0f ? 1 : 0);
  }
  return mask;
}

// Tanh on the input, then 5-7-4 dense with leaky ReLU: the first layer owns its output buffer
// (nothing to run in place on) and the lowest trainable layer is layer 1.
ModelSpec input_activation_spec() {
  ModelSpec spec;
  spec.input = Shape{1, 1, 5};
  (void)spec.add_activation(LayerKind::kTanh);
  (void)spec.add_dense(7);
  (void)spec.add_activation(LayerKind::kLeakyReLU, 0.2f);
  (void)spec.add_dense(4);
  return spec;
}

class TrainerGradient : public ::testing::TestWithParam<NetCase> {};

TEST_P(TrainerGradient, AccumulatedGradientMatchesFiniteDifferences) {
  NetCase nc = GetParam();
  if (nc.frozen_layer >= 0) nc.spec.layers[nc.frozen_layer].trainable = false;
  Bound b(nc.spec, make_config(Method::kFull, OptimizerKind::kSgd, /*batch=*/1000), 5);
  ASSERT_EQ(b.status, Status::kOk);
  Model& m = b.model;
  Trainer& t = b.trainer;
  // Non-zero biases, so that the bias path is exercised with realistic values.
  Rng rng(6);
  randomize_biases(m, rng);
  const std::vector<float> x = random_vector(rng, m.input_size(), -1.0f, 1.0f);
  std::vector<float> target = random_vector(rng, m.output_size(), 0.05f, 0.95f);
  if (nc.spec.loss == LossKind::kSoftmaxCrossEntropy) {  // soft labels: a distribution
    float sum = 0.0f;
    for (float v : target) sum += v;
    for (float& v : target) v /= sum;
  }
  const Target tgt = nc.soft_target ? Target::of_values(target.data()) : Target::of_label(1);

  const std::vector<float> before = copy_of(m.params(), m.param_count());
  t.train_sample(x.data(), tgt, nullptr);
  ASSERT_TRUE(same_bits(before.data(), m.params(), m.param_count())) << "no step expected yet";

  auto loss_at = [&] { return static_cast<double>(t.loss(x.data(), tgt)); };
  (void)loss_at();
  const std::vector<uint8_t> base_mask = kink_mask(m);

  size_t checked = 0, skipped = 0;
  for (uint32_t i = 0; i < m.n_layers(); ++i) {
    const Layer& l = m.layer(i);
    if (l.n_weights == 0) continue;
    const LayerTrainState& st = t.state(i);
    if (!st.trainable) {
      EXPECT_EQ(st.dw, nullptr) << "frozen layer " << i << " got a gradient buffer";
      continue;
    }
    // Weights then biases: (parameter, analytic gradient) pairs.
    for (uint32_t p = 0; p < l.n_weights + l.n_bias; ++p) {
      float* param = p < l.n_weights ? &l.w[p] : &l.b[p - l.n_weights];
      const double analytic = p < l.n_weights ? st.dw[p] : st.db[p - l.n_weights];
      const float orig = *param;
      *param = orig + kStep;
      const float hi_x = *param;
      const double hi = loss_at();
      const std::vector<uint8_t> hi_mask = kink_mask(m);
      *param = orig - kStep;
      const float lo_x = *param;
      const double lo = loss_at();
      const std::vector<uint8_t> lo_mask = kink_mask(m);
      *param = orig;
      if (hi_mask != base_mask || lo_mask != base_mask) {
        ++skipped;
        continue;
      }
      const double numeric = (hi - lo) / (static_cast<double>(hi_x) - lo_x);
      ++checked;
      EXPECT_LE(fabs(analytic - numeric), kAbs + kRel * fabs(numeric))
          << nc.name << " layer " << i << (p < l.n_weights ? " w[" : " b[")
          << (p < l.n_weights ? p : p - l.n_weights) << "]: analytic " << analytic
          << " numeric " << numeric;
    }
  }
  EXPECT_GT(checked, 50u);
  EXPECT_LE(skipped * 10, checked) << "too many coordinates near a kink";
}

INSTANTIATE_TEST_SUITE_P(
    Networks, TrainerGradient,
    ::testing::Values(
        NetCase{"relu_softmax_label", mlp_spec({5, 7, 6, 4}, LayerKind::kReLU), false},
        NetCase{"leaky_softmax_soft",
                mlp_spec({5, 7, 6, 4}, LayerKind::kLeakyReLU, LossKind::kSoftmaxCrossEntropy,
                         false, LayerKind::kSigmoid, 0.1f),
                true},
        NetCase{"tanh_mse_values",
                mlp_spec({5, 7, 6, 3}, LayerKind::kTanh, LossKind::kMeanSquaredError), true},
        NetCase{"sigmoid_mse_label",
                mlp_spec({5, 7, 3}, LayerKind::kSigmoid, LossKind::kMeanSquaredError), false},
        NetCase{"tanh_sigmoid_bce",
                mlp_spec({5, 7, 6, 3}, LayerKind::kTanh, LossKind::kBinaryCrossEntropy, true,
                         LayerKind::kSigmoid),
                true},
        NetCase{"relu_frozen_middle",
                mlp_spec({5, 8, 7, 6, 4}, LayerKind::kReLU), false,
                /*frozen_layer=*/2},
        NetCase{"tanh_frozen_top", mlp_spec({5, 8, 7, 4}, LayerKind::kTanh), false,
                /*frozen_layer=*/4},
        NetCase{"input_activation_first", input_activation_spec(), false}),
    [](const auto& info) { return std::string(info.param.name); });

// Batch size 1 with plain SGD applies exactly w -= lr * grad (fused, no gradient buffer).
TEST(TrainerGradient, FusedSgdStepIsMinusLrTimesGradient) {
  const ModelSpec spec = mlp_spec({6, 9, 5}, LayerKind::kTanh);
  const float lr = 0.125f;
  Bound acc(spec, make_config(Method::kFull, OptimizerKind::kSgd, 1000, lr), 9);
  Bound fused(spec, make_config(Method::kFull, OptimizerKind::kSgd, 1, lr), 9);
  ASSERT_EQ(acc.status, Status::kOk);
  ASSERT_EQ(fused.status, Status::kOk);
  EXPECT_EQ(fused.plan.of(Region::kGradients), 0u);
  Rng rng(3);
  const std::vector<float> x = random_vector(rng, 6, -1.0f, 1.0f);
  const std::vector<float> before = copy_of(fused.model.params(), fused.model.param_count());
  acc.trainer.train_sample(x.data(), Target::of_label(2), nullptr);
  fused.trainer.train_sample(x.data(), Target::of_label(2), nullptr);
  EXPECT_EQ(fused.trainer.optimizer_steps(), 1u);
  EXPECT_EQ(acc.trainer.optimizer_steps(), 0u);
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    const Layer& l = fused.model.layer(i);
    if (l.n_weights == 0) continue;
    const size_t off = static_cast<size_t>(l.w - fused.model.params());
    for (uint32_t p = 0; p < l.n_weights + l.n_bias; ++p) {
      const double g = p < l.n_weights ? acc.trainer.state(i).dw[p]
                                       : acc.trainer.state(i).db[p - l.n_weights];
      // params() is one block: layer i's w then its b.
      const float now = p < l.n_weights ? l.w[p] : l.b[p - l.n_weights];
      const double change = static_cast<double>(now) - before[off + p];
      EXPECT_NEAR(change, -lr * g, 1e-6 + 1e-5 * fabs(g)) << "layer " << i << " p " << p;
    }
  }
}

}  // namespace
}  // namespace tinyprop_test
