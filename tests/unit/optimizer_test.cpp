// Optimizer updates against the documented formulas (PyTorch's forms) evaluated in double, and
// the trainer's use of them: mean gradient over a batch, Adam's bias correction at step 1.
#include <gtest/gtest.h>
#include <math.h>

#include "test_util.h"
#include "tinyprop/optimizer.h"

namespace tinyprop_test {
namespace {

struct OptCase {
  const char* name;
  OptimizerKind kind;
  float momentum;
};

void PrintTo(const OptCase& c, std::ostream* os) { *os << c.name; }

class OptimizerFormula : public ::testing::TestWithParam<OptCase> {};

// Five steps of optimizer_update on random gradients g = scale * src, against
//   SGD:       w -= lr g
//   momentum:  m = mu m + g;  w -= lr m
//   Adam:      m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//              w -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps),  bc_i = 1 - b_i^t
TEST_P(OptimizerFormula, MatchesReferenceOverSeveralSteps) {
  const OptCase oc = GetParam();
  OptimizerConfig cfg;
  cfg.kind = oc.kind;
  cfg.learning_rate = 0.05f;
  cfg.momentum = oc.momentum;
  cfg.beta1 = 0.8f;
  cfg.beta2 = 0.95f;
  cfg.epsilon = 1e-3f;
  const uint32_t n = 37;
  Rng rng(401);
  std::vector<float> w = random_vector(rng, n, -1.0f, 1.0f);
  std::vector<float> m(n, 0.0f), v(n, 0.0f);
  std::vector<double> rw(w.begin(), w.end()), rm(n, 0.0), rv(n, 0.0);
  const uint32_t per_param = optimizer_state_per_param(cfg);
  EXPECT_EQ(per_param, oc.kind == OptimizerKind::kAdam ? 2u : (oc.momentum > 0 ? 1u : 0u));
  double b1t = 1.0, b2t = 1.0;
  for (int t = 1; t <= 5; ++t) {
    const std::vector<float> src = random_vector(rng, n, -2.0f, 2.0f);
    const float scale = 0.25f * static_cast<float>(t);
    b1t *= cfg.beta1;
    b2t *= cfg.beta2;
    OptimizerStep step;
    step.lr = cfg.learning_rate;
    step.bias_correction1 = static_cast<float>(1.0 - b1t);
    step.bias_correction2 = static_cast<float>(1.0 - b2t);
    optimizer_update(cfg, step, w.data(), per_param >= 1 ? m.data() : nullptr,
                     per_param >= 2 ? v.data() : nullptr, src.data(), scale, n);
    for (uint32_t i = 0; i < n; ++i) {
      const double g = static_cast<double>(scale) * src[i];
      const double lr = cfg.learning_rate;
      if (oc.kind == OptimizerKind::kSgd && oc.momentum == 0.0f) {
        rw[i] -= lr * g;
      } else if (oc.kind == OptimizerKind::kSgd) {
        rm[i] = oc.momentum * rm[i] + g;
        rw[i] -= lr * rm[i];
      } else {
        rm[i] = cfg.beta1 * rm[i] + (1.0 - cfg.beta1) * g;
        rv[i] = cfg.beta2 * rv[i] + (1.0 - cfg.beta2) * g * g;
        rw[i] -= (lr / (1.0 - b1t)) * rm[i] / (sqrt(rv[i]) / sqrt(1.0 - b2t) + cfg.epsilon);
      }
      ASSERT_NEAR(w[i], rw[i], 1e-5 * (1.0 + fabs(rw[i]))) << "step " << t << " i " << i;
      if (per_param >= 1) {
        ASSERT_NEAR(m[i], rm[i], 1e-5 * (1.0 + fabs(rm[i])));
      }
      if (per_param >= 2) {
        ASSERT_NEAR(v[i], rv[i], 1e-5 * (1.0 + fabs(rv[i])));
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, OptimizerFormula,
                         ::testing::Values(OptCase{"sgd", OptimizerKind::kSgd, 0.0f},
                                           OptCase{"momentum", OptimizerKind::kSgd, 0.9f},
                                           OptCase{"adam", OptimizerKind::kAdam, 0.0f}),
                         [](const auto& info) { return std::string(info.param.name); });

// The gradient of a sample, read from a trainer whose batch never fills.
std::vector<double> summed_gradient(const ModelSpec& spec, const Dataset& d, uint32_t samples,
                                    uint64_t seed) {
  Bound acc(spec, make_config(Method::kFull, OptimizerKind::kSgd, 1000), seed);
  EXPECT_EQ(acc.status, Status::kOk);
  for (uint32_t s = 0; s < samples; ++s) {
    acc.trainer.train_sample(d.row(s), Target::of_label(d.y[s]), nullptr);
  }
  std::vector<double> g;  // in params() order: w then b per layer
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    const Layer& l = acc.model.layer(i);
    for (uint32_t p = 0; p < l.n_weights; ++p) g.push_back(acc.trainer.state(i).dw[p]);
    for (uint32_t p = 0; p < l.n_bias; ++p) g.push_back(acc.trainer.state(i).db[p]);
  }
  return g;
}

TEST(TrainerOptimizer, BatchStepUsesTheMeanGradient) {
  const ModelSpec spec = mlp_spec({6, 10, 4}, LayerKind::kTanh);
  const Dataset d = make_blobs(4, 6, 4, 1.0f, 402);
  const float lr = 0.5f;
  Bound b(spec, make_config(Method::kFull, OptimizerKind::kSgd, 4, lr), 9);
  ASSERT_EQ(b.status, Status::kOk);
  const std::vector<float> before = copy_of(b.model.params(), b.model.param_count());
  for (uint32_t s = 0; s < 4; ++s) {
    b.trainer.train_sample(d.row(s), Target::of_label(d.y[s]), nullptr);
    if (s < 3) {
      ASSERT_TRUE(same_bits(before.data(), b.model.params(), before.size()));
    }
  }
  EXPECT_EQ(b.trainer.optimizer_steps(), 1u);
  const std::vector<double> g = summed_gradient(spec, d, 4, 9);
  ASSERT_EQ(g.size(), before.size());
  for (size_t p = 0; p < g.size(); ++p) {
    const double expect = before[p] - lr * g[p] / 4.0;
    ASSERT_NEAR(b.model.params()[p], expect, 1e-6 + 1e-5 * fabs(expect)) << p;
  }
}

TEST(TrainerOptimizer, FlushAppliesAPartialBatchAsItsMean) {
  const ModelSpec spec = mlp_spec({6, 10, 4}, LayerKind::kTanh);
  const Dataset d = make_blobs(3, 6, 4, 1.0f, 403);
  const float lr = 0.5f;
  Bound b(spec, make_config(Method::kFull, OptimizerKind::kSgd, 8, lr), 9);
  ASSERT_EQ(b.status, Status::kOk);
  const std::vector<float> before = copy_of(b.model.params(), b.model.param_count());
  for (uint32_t s = 0; s < 3; ++s) {
    b.trainer.train_sample(d.row(s), Target::of_label(d.y[s]), nullptr);
  }
  b.trainer.flush(nullptr);
  EXPECT_EQ(b.trainer.optimizer_steps(), 1u);
  b.trainer.flush(nullptr);  // empty: no-op
  EXPECT_EQ(b.trainer.optimizer_steps(), 1u);
  const std::vector<double> g = summed_gradient(spec, d, 3, 9);
  for (size_t p = 0; p < g.size(); ++p) {
    const double expect = before[p] - lr * g[p] / 3.0;
    ASSERT_NEAR(b.model.params()[p], expect, 1e-6 + 1e-5 * fabs(expect)) << p;
  }
}

// Adam's first step with bias correction: m / bc1 = g and sqrt(v / bc2) = |g|, so every
// parameter moves by lr g / (|g| + eps).
TEST(TrainerOptimizer, AdamFirstStepIsBiasCorrected) {
  const ModelSpec spec = mlp_spec({6, 10, 4}, LayerKind::kTanh);
  const Dataset d = make_blobs(1, 6, 4, 1.0f, 404);
  TrainConfig cfg = make_config(Method::kFull, OptimizerKind::kAdam, 1, 0.01f);
  Bound b(spec, cfg, 9);
  ASSERT_EQ(b.status, Status::kOk);
  const std::vector<float> before = copy_of(b.model.params(), b.model.param_count());
  b.trainer.train_sample(d.row(0), Target::of_label(d.y[0]), nullptr);
  const std::vector<double> g = summed_gradient(spec, d, 1, 9);
  const double lr = cfg.optimizer.learning_rate, eps = cfg.optimizer.epsilon;
  for (size_t p = 0; p < g.size(); ++p) {
    const double expect = before[p] - lr * g[p] / (fabs(g[p]) + eps);
    ASSERT_NEAR(b.model.params()[p], expect, 2e-6) << p << " g " << g[p];
  }
}

TEST(TrainerOptimizer, LearningRateCanChangeBetweenSteps) {
  const ModelSpec spec = mlp_spec({6, 10, 4}, LayerKind::kTanh);
  const Dataset d = make_blobs(1, 6, 4, 1.0f, 405);
  Bound b(spec, make_config(Method::kFull, OptimizerKind::kSgd, 1, 0.1f), 9);
  ASSERT_EQ(b.status, Status::kOk);
  b.trainer.set_learning_rate(0.3f);
  EXPECT_EQ(b.trainer.config().optimizer.learning_rate, 0.3f);
  const std::vector<float> before = copy_of(b.model.params(), b.model.param_count());
  b.trainer.train_sample(d.row(0), Target::of_label(d.y[0]), nullptr);
  const std::vector<double> g = summed_gradient(spec, d, 1, 9);
  for (size_t p = 0; p < g.size(); ++p) {
    ASSERT_NEAR(b.model.params()[p], before[p] - 0.3 * g[p], 1e-6 + 1e-5 * fabs(before[p]));
  }
}

}  // namespace
}  // namespace tinyprop_test
