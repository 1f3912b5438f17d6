// Sparse methods at ratio 1 are full backprop, bit for bit; tinyprop with S_min = S_max = r and
// zeta = 1 is static r, bit for bit (spec section 3).
#include <gtest/gtest.h>

#include <string>

#include "test_util.h"

namespace tinyprop_test {
namespace {



const ModelSpec& net() {
  static const ModelSpec spec = mlp_spec({12, 24, 16, 5}, LayerKind::kReLU);
  return spec;
}

const Dataset& data() {
  static const Dataset d = make_blobs(300, 12, 5, 0.8f, 77);
  return d;
}


// Trains `steps` samples; returns the final parameters and the per-step k of every layer.
struct RunResult {
  std::vector<float> params;
  std::vector<uint32_t> ks;
  float last_loss = 0.0f;
};

RunResult train(const TrainConfig& config, uint32_t steps) {
  Bound b(net(), config, 42);
  EXPECT_EQ(b.status, Status::kOk);
  RunResult r;
  if (!ok(b.status)) return r;
  const Dataset& d = data();
  StepCounters c;
  for (uint32_t s = 0; s < steps; ++s) {
    const uint32_t i = s % d.size();
    b.trainer.train_sample(d.row(i), Target::of_label(d.y[i]), &c);
    EXPECT_FALSE(c.skipped);
    for (uint32_t l = 0; l < b.model.n_layers(); ++l) r.ks.push_back(c.k[l]);
  }
  r.params = copy_of(b.model.params(), b.model.param_count());
  r.last_loss = b.trainer.last_loss();
  return r;
}

class SparseIdentity : public ::testing::TestWithParam<TrainCase> {};

TEST_P(SparseIdentity, RatioOneEqualsFullBitForBit) {
  const TrainCase oc = GetParam();
  const uint32_t steps = 300;
  const RunResult full = train(oc.config(Method::kFull), steps);
  ASSERT_FALSE(full.params.empty());

  // Training must have moved the parameters, or the comparison would prove nothing.
  Bound fresh(net(), oc.config(Method::kFull), 42);
  EXPECT_FALSE(same_bits(full.params.data(), fresh.model.params(), full.params.size()));

  TrainConfig st = oc.config(Method::kStatic);
  st.sparsity.ratio = 1.0f;
  TrainConfig tp = oc.config(Method::kTinyProp);
  tp.sparsity.s_min = tp.sparsity.s_max = tp.sparsity.zeta = 1.0f;
  TrainConfig v2 = tp;
  v2.sparsity.method = Method::kTinyPropV2;
  v2.sparsity.skip_threshold = 0.0f;  // Y / Y_max < 0 never holds: never skips

  for (const TrainConfig& cfg : {st, tp, v2}) {
    const RunResult r = train(cfg, steps);
    ASSERT_EQ(r.params.size(), full.params.size());
    EXPECT_TRUE(same_bits(r.params.data(), full.params.data(), full.params.size()))
        << method_name(cfg.sparsity.method);
    EXPECT_EQ(r.ks, full.ks) << method_name(cfg.sparsity.method);
    EXPECT_EQ(memcmp(&r.last_loss, &full.last_loss, sizeof(float)), 0);
  }
}

TEST_P(SparseIdentity, TinyPropWithFixedBoundsEqualsStatic) {
  const TrainCase oc = GetParam();
  for (float r : {0.1f, 0.3f, 0.5f, 0.7f}) {
    TrainConfig st = oc.config(Method::kStatic);
    st.sparsity.ratio = r;
    TrainConfig tp = oc.config(Method::kTinyProp);
    tp.sparsity.s_min = tp.sparsity.s_max = r;
    tp.sparsity.zeta = 1.0f;
    const RunResult a = train(st, 300);
    const RunResult b = train(tp, 300);
    ASSERT_FALSE(a.params.empty());
    EXPECT_TRUE(same_bits(a.params.data(), b.params.data(), a.params.size())) << "r " << r;
    EXPECT_EQ(a.ks, b.ks) << "r " << r;
    // And the ratio really sparsified: k = floor(r N) on the 24-wide layer.
    EXPECT_EQ(a.ks[0], spec_k(static_cast<double>(r), 24));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Optimizers, SparseIdentity,
    ::testing::Values(TrainCase{"sgd_b1", OptimizerKind::kSgd, 0.05f, 0.0f, 1},
                      TrainCase{"sgd_b8", OptimizerKind::kSgd, 0.1f, 0.0f, 8},
                      TrainCase{"momentum_b1", OptimizerKind::kSgd, 0.02f, 0.9f, 1},
                      TrainCase{"momentum_b8", OptimizerKind::kSgd, 0.05f, 0.9f, 8},
                      TrainCase{"adam_b1", OptimizerKind::kAdam, 0.005f, 0.0f, 1},
                      TrainCase{"adam_b8", OptimizerKind::kAdam, 0.01f, 0.0f, 8}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace tinyprop_test
