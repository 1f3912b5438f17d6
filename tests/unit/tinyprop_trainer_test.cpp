// TinyProp inside the trainer: k bounds and work counters for random configurations, the
// Y_max = 0 guard on a whole network, and tinypropv2's step skipping.
#include <gtest/gtest.h>
#include <math.h>

#include "test_util.h"
#include "tinyprop/loss.h"

namespace tinyprop_test {
namespace {

uint32_t floor_k(double bpr, uint32_t n) {
  const double kf = floor(bpr * n);
  if (kf < 1.0) return 1;
  return kf > n ? n : static_cast<uint32_t>(kf);
}

// Work the spec's cost model predicts from the step's k: weight gradient for every trainable
// layer, error to the layer below for all but the lowest (no frozen layers here).
void expect_counters_consistent(const Model& m, const StepCounters& c) {
  uint64_t macs = 0, full = 0;
  uint32_t lowest = 0;
  while (m.layer(lowest).n_weights == 0) ++lowest;
  for (uint32_t i = 0; i < m.n_layers(); ++i) {
    const Layer& l = m.layer(i);
    if (l.n_weights == 0) {
      EXPECT_EQ(c.n[i], 0u);
      continue;
    }
    const uint64_t passes = i > lowest ? 2 : 1;
    full += passes * l.in_size * l.out_size;
    if (c.skipped) {
      EXPECT_EQ(c.k[i], 0u);
      continue;
    }
    EXPECT_EQ(c.n[i], l.out_size) << "layer " << i;
    EXPECT_GE(c.k[i], 1u) << "layer " << i;
    EXPECT_LE(c.k[i], l.out_size) << "layer " << i;
    macs += passes * c.k[i] * l.in_size;
  }
  EXPECT_EQ(c.backward_macs, macs);
  EXPECT_EQ(c.backward_macs_full, full);
  EXPECT_EQ(c.forward_macs, m.forward_macs());
}

TEST(TinyPropTrainer, KStaysInBoundsForRandomConfigs) {
  Rng rng(301);
  const Method methods[] = {Method::kStatic, Method::kTinyProp, Method::kTinyPropV2};
  for (int trial = 0; trial < 40; ++trial) {
    TrainConfig cfg;
    cfg.sparsity.method = methods[rng.uniform_below(3)];
    cfg.sparsity.ratio = 1.0f - rng.uniform01();  // (0, 1]
    cfg.sparsity.s_min = rng.uniform01();
    cfg.sparsity.s_max = rng.uniform01();
    if (cfg.sparsity.s_min > cfg.sparsity.s_max) std::swap(cfg.sparsity.s_min, cfg.sparsity.s_max);
    cfg.sparsity.zeta = 1.0f - rng.uniform01();
    cfg.sparsity.skip_threshold = 0.5f * rng.uniform01();
    cfg.optimizer.kind = rng.uniform_below(2) ? OptimizerKind::kAdam : OptimizerKind::kSgd;
    cfg.optimizer.learning_rate = 0.01f;
    cfg.batch_size = 1 + rng.uniform_below(4);
    const uint32_t h1 = 1 + rng.uniform_below(40), h2 = 1 + rng.uniform_below(40);
    const uint32_t classes = 2 + rng.uniform_below(5);
    const ModelSpec spec = mlp_spec({8, h1, h2, classes}, LayerKind::kTanh);
    Bound b(spec, cfg, 10 + trial);
    ASSERT_EQ(b.status, Status::kOk) << "trial " << trial;
    const Dataset d = make_blobs(60, 8, classes, 1.0f, 20 + trial);
    for (uint32_t s = 0; s < d.size(); ++s) {
      StepCounters c;
      b.trainer.train_sample(d.row(s), Target::of_label(d.y[s]), &c);
      SCOPED_TRACE(::testing::Message() << "trial " << trial << " sample " << s);
      expect_counters_consistent(b.model, c);
      if (testing::Test::HasFailure()) return;
    }
    EXPECT_FALSE(has_non_finite(b.model.params(), b.model.param_count()));
  }
}

// Y_max = 0: every error is exactly zero. No NaN anywhere, and k = clamp(floor(S_min zeta^d N)).
void check_zero_error_run(Bound& b, const std::vector<float>& target, const SparsityConfig& sp) {
  Model& m = b.model;
  for (int step = 0; step < 5; ++step) {
    StepCounters c;
    b.trainer.train_sample(std::vector<float>(m.input_size(), 0.5f).data(),
                           Target::of_values(target.data()), &c);
    EXPECT_EQ(b.trainer.last_loss(), 0.0f);
    EXPECT_FALSE(c.skipped) << "the guard reads Y / Y_max as 1: never skip";
    uint32_t depth = 0;
    for (uint32_t i = m.n_layers(); i-- > 0;) {
      const Layer& l = m.layer(i);
      if (l.n_weights == 0) continue;
      const double bpr = static_cast<double>(sp.s_min) * pow(static_cast<double>(sp.zeta), depth);
      EXPECT_EQ(c.k[i], floor_k(bpr, l.out_size)) << "layer " << i << " depth " << depth;
      EXPECT_EQ(b.trainer.state(i).y_max, 0.0f);
      const LayerTrainState& st = b.trainer.state(i);
      EXPECT_FALSE(has_non_finite(st.m_w, l.n_weights));
      EXPECT_FALSE(has_non_finite(st.v_w, l.n_weights));
      ++depth;
    }
    EXPECT_FALSE(has_non_finite(m.params(), m.param_count()));
  }
}

class ZeroError : public ::testing::TestWithParam<Method> {};

TEST_P(ZeroError, TargetEqualsOutput) {
  const ModelSpec spec = mlp_spec({6, 40, 30, 20}, LayerKind::kTanh, LossKind::kMeanSquaredError);
  TrainConfig cfg = make_config(GetParam(), OptimizerKind::kAdam, 1, 0.01f);
  cfg.sparsity.s_min = 0.33f;  // k = 6, 4, 3 from the output down
  cfg.sparsity.s_max = 0.9f;
  cfg.sparsity.zeta = 0.5f;
  Bound b(spec, cfg, 8);
  ASSERT_EQ(b.status, Status::kOk);
  const std::vector<float> x(6, 0.5f);
  const float* out = b.model.forward(x.data());
  const std::vector<float> target(out, out + b.model.output_size());
  const std::vector<float> before = copy_of(b.model.params(), b.model.param_count());
  check_zero_error_run(b, target, cfg.sparsity);
  // A zero gradient moves nothing (SGD or Adam with zero moments).
  EXPECT_TRUE(same_bits(before.data(), b.model.params(), before.size()));
}

TEST_P(ZeroError, ZeroedLastLayer) {
  const ModelSpec spec = mlp_spec({6, 40, 30, 20}, LayerKind::kReLU, LossKind::kMeanSquaredError);
  TrainConfig cfg = make_config(GetParam(), OptimizerKind::kSgd, 1, 0.01f, 0.9f);
  cfg.sparsity.s_min = 0.33f;
  cfg.sparsity.zeta = 0.5f;
  Bound b(spec, cfg, 9);
  ASSERT_EQ(b.status, Status::kOk);
  Layer& last = b.model.layer(spec.n_layers - 1);
  for (uint32_t i = 0; i < last.n_weights; ++i) last.w[i] = 0.0f;
  for (uint32_t i = 0; i < last.n_bias; ++i) last.b[i] = 0.0f;
  check_zero_error_run(b, std::vector<float>(20, 0.0f), cfg.sparsity);
}

INSTANTIATE_TEST_SUITE_P(TinyPropMethods, ZeroError,
                         ::testing::Values(Method::kTinyProp, Method::kTinyPropV2),
                         [](const auto& info) { return std::string(method_name(info.param)); });

// ---- tinypropv2 -----------------------------------------------------------------------------

TEST(TinyPropV2, NeverSkipsTheFirstSample) {
  const ModelSpec spec = mlp_spec({8, 16, 4}, LayerKind::kReLU);
  TrainConfig cfg = make_config(Method::kTinyPropV2, OptimizerKind::kSgd, 1, 0.05f);
  cfg.sparsity.skip_threshold = 1.0f;  // the strictest rule: skip unless Y = Y_max
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    Bound b(spec, cfg, seed);
    ASSERT_EQ(b.status, Status::kOk);
    const Dataset d = make_blobs(4, 8, 4, 1.0f, seed);
    for (int run = 0; run < 2; ++run) {  // a fresh run after reset_run() too
      const std::vector<float> before = copy_of(b.model.params(), b.model.param_count());
      StepCounters c;
      b.trainer.train_sample(d.row(run), Target::of_label(d.y[run]), &c);
      EXPECT_FALSE(c.skipped) << "seed " << seed << " run " << run;
      EXPECT_FALSE(same_bits(before.data(), b.model.params(), before.size()));
      b.trainer.reset_run();
      EXPECT_EQ(b.trainer.optimizer_steps(), 0u);
    }
  }
}

// The skip decisions equal the rule a = Y_L / Y_max,L < tau evaluated here from the loss's
// delta; a skipped sample changes no parameter and takes no optimizer step.
class SkipRule : public ::testing::TestWithParam<uint32_t> {};

TEST_P(SkipRule, MatchesIndependentRuleAndSkipsCleanly) {
  const uint32_t batch = GetParam();
  const ModelSpec spec = mlp_spec({10, 24, 16, 4}, LayerKind::kReLU);
  TrainConfig cfg = make_config(Method::kTinyPropV2, OptimizerKind::kSgd, batch, 0.05f);
  const float tau = 0.3f;
  cfg.sparsity.skip_threshold = tau;
  Bound b(spec, cfg, 12);
  ASSERT_EQ(b.status, Status::kOk);
  const Dataset d = make_blobs(400, 10, 4, 1.0f, 13);
  std::vector<float> delta(4);
  float y_max = 0.0f;
  RunCounters run;
  uint64_t expected_skips = 0, trained = 0;
  for (uint32_t s = 0; s < d.size(); ++s) {
    const Target t = Target::of_label(d.y[s]);
    const float* out = b.model.forward(d.row(s));
    (void)loss_forward_backward(spec.loss, out, 4, nullptr, t.label, delta.data());
    float y = 0.0f;
    for (float v : delta) y += fabsf(v);
    y_max = y > y_max ? y : y_max;
    const bool expect_skip = y / y_max < tau;

    const std::vector<float> before = copy_of(b.model.params(), b.model.param_count());
    const uint64_t steps_before = b.trainer.optimizer_steps();
    StepCounters c;
    b.trainer.train_sample(d.row(s), t, &c);
    run.add(c);
    ASSERT_EQ(c.skipped, expect_skip) << "sample " << s << " a = " << y / y_max;
    if (expect_skip) {
      ++expected_skips;
      EXPECT_TRUE(same_bits(before.data(), b.model.params(), before.size())) << s;
      EXPECT_EQ(b.trainer.optimizer_steps(), steps_before);
      EXPECT_EQ(c.backward_macs, 0u);
      EXPECT_EQ(c.updated_params, 0u);
    } else {
      ++trained;
    }
    expect_counters_consistent(b.model, c);
  }
  EXPECT_EQ(run.skipped, expected_skips);
  EXPECT_EQ(run.steps, d.size());
  // Meaningful only if both outcomes happened often.
  EXPECT_GT(expected_skips, 20u);
  EXPECT_GT(trained, 20u);
  // Skipped samples do not fill a batch: one optimizer step per `batch` trained samples.
  EXPECT_EQ(b.trainer.optimizer_steps(), trained / batch);
}

INSTANTIATE_TEST_SUITE_P(BatchSizes, SkipRule, ::testing::Values(1u, 4u));

// A skipped sample reports the same full-backprop cost as a trained one, frozen layers between
// trainable ones included (they cost one dense pass, dx only, in both cases); otherwise
// backward_ratio() of a tinypropv2 run would be skewed by the skip rate.
TEST(TinyPropV2, SkippedSamplesCountTheSameFullCost) {
  ModelSpec spec = mlp_spec({10, 24, 16, 12, 4}, LayerKind::kReLU);
  spec.layers[2].trainable = false;  // dense 24 -> 16, between trainable layers
  TrainConfig cfg = make_config(Method::kTinyPropV2, OptimizerKind::kSgd, 1, 0.05f);
  cfg.sparsity.skip_threshold = 0.3f;
  Bound b(spec, cfg, 14);
  ASSERT_EQ(b.status, Status::kOk);
  // Lowest trainable layer: weights only; frozen: dx only; the others: weights and dx.
  const uint64_t full = 1u * 10 * 24 + 1u * 24 * 16 + 2u * 16 * 12 + 2u * 12 * 4;
  const Dataset d = make_blobs(300, 10, 4, 1.0f, 15);
  uint32_t skipped = 0;
  for (uint32_t s = 0; s < d.size(); ++s) {
    StepCounters c;
    b.trainer.train_sample(d.row(s), Target::of_label(d.y[s]), &c);
    skipped += c.skipped ? 1 : 0;
    ASSERT_EQ(c.backward_macs_full, full) << "sample " << s << (c.skipped ? " (skipped)" : "");
  }
  EXPECT_GT(skipped, 10u);
  EXPECT_LT(skipped, d.size() - 10);
}

TEST(TinyPropTrainer, ResetRunClearsTheRunState) {
  const ModelSpec spec = mlp_spec({8, 16, 4}, LayerKind::kReLU);
  Bound b(spec, make_config(Method::kTinyProp, OptimizerKind::kAdam, 3, 0.01f), 2);
  ASSERT_EQ(b.status, Status::kOk);
  const Dataset d = make_blobs(20, 8, 4, 1.0f, 2);
  for (uint32_t s = 0; s < 20; ++s) b.trainer.train_sample(d.row(s), Target::of_label(d.y[s]), nullptr);
  EXPECT_GT(b.trainer.state(0).y_max, 0.0f);
  b.trainer.reset_run();
  EXPECT_EQ(b.trainer.optimizer_steps(), 0u);
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    const Layer& l = b.model.layer(i);
    if (l.n_weights == 0) continue;
    const LayerTrainState& st = b.trainer.state(i);
    EXPECT_EQ(st.y_max, 0.0f);
    const std::vector<float> zeros(l.n_weights, 0.0f);
    EXPECT_TRUE(same_bits(st.m_w, zeros.data(), l.n_weights));
    EXPECT_TRUE(same_bits(st.v_w, zeros.data(), l.n_weights));
    EXPECT_TRUE(same_bits(st.dw, zeros.data(), l.n_weights)) << "pending gradient dropped";
  }
}

}  // namespace
}  // namespace tinyprop_test
