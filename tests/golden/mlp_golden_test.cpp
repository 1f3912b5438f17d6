// End-to-end golden tests: a small MLP trained by tinyprop's Trainer (Method::kFull) against
// the same network in PyTorch, fixtures tests/fixtures/mlp_*.json from refgen/make_golden.py.
//
// * One sample: forward output, loss, and every layer's dW and db. The trainer runs with a batch
//   size larger than the number of samples, so after one train_sample() its accumulators
//   state(i).dw / .db hold exactly that sample's gradient.
// * 10 optimizer steps of torch.optim.SGD (lr 0.1, plain and momentum 0.9) and torch.optim.Adam
//   (lr 1e-2) at batch size 1 (fused per-row updates) and 4 (accumulate, then mean): every
//   per-sample loss along the way, and the final weights.
//
// Tolerances (|got - want| <= abs + rel |want|):
//   forward, loss, gradients: rel 1e-5, abs 1e-7 (a few float32 ulps of rounding differences
//     between our kernels and torch's BLAS summation order, plus a floor for values near 0);
//   trajectory losses: rel 1e-5, abs 1e-6 per loss value;
//   final weights: rel 1e-5, abs 1e-6.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "golden_fixture.h"

namespace tinyprop::golden {
namespace {

constexpr Tolerance kGradTol{1e-5, 1e-7};
constexpr Tolerance kLossTol{1e-5, 1e-6};
constexpr Tolerance kWeightTol{1e-5, 1e-6};

class MlpGolden : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    fixture_ = load_fixture(GetParam());
    ASSERT_FALSE(fixture_.is_null());
    spec_ = model_spec(fixture_.at("model"));
  }
  const Json& data() const { return fixture_.at("data"); }
  std::vector<float> x(size_t s) const { return floats(data().at("x").at(s)); }

  Json fixture_;
  ModelSpec spec_;
};

OptimizerConfig optimizer_of(const Json& j) {
  OptimizerConfig o;
  const std::string kind = j.at("kind");
  o.kind = kind == "adam" ? OptimizerKind::kAdam : OptimizerKind::kSgd;
  o.learning_rate = j.at("lr").get<float>();
  if (o.kind == OptimizerKind::kSgd) {
    o.momentum = j.at("momentum").get<float>();
  } else {
    o.beta1 = j.at("beta1").get<float>();
    o.beta2 = j.at("beta2").get<float>();
    o.epsilon = j.at("epsilon").get<float>();
  }
  return o;
}

TEST_P(MlpGolden, ForwardLossAndGradientsOfOneSample) {
  const Json& single = fixture_.at("single_sample");
  const size_t s = single.at("sample");
  TrainConfig cfg;
  cfg.batch_size = 2;  // > 1 sample: gradients stay in the accumulators, no update happens
  auto setup = bind(spec_, cfg);
  ASSERT_NE(setup, nullptr);
  Model& model = setup->model;
  Trainer& trainer = setup->trainer;
  set_params(model, fixture_.at("initial"));

  const std::vector<float> xs = x(s);
  const std::vector<float> want_out = floats(single.at("output"));
  ASSERT_EQ(want_out.size(), model.output_size());
  EXPECT_TRUE(all_close(model.forward(xs.data()), want_out, kGradTol, "Model::forward"));

  std::vector<float> target_values;
  const Target target = target_of(data(), s, &target_values);
  EXPECT_TRUE(close(trainer.loss(xs.data(), target), single.at("loss").get<float>(), kGradTol,
                    "Trainer::loss"));

  trainer.train_sample(xs.data(), target, nullptr);
  ASSERT_EQ(trainer.optimizer_steps(), 0u);
  EXPECT_TRUE(close(trainer.last_loss(), single.at("loss").get<float>(), kGradTol, "last_loss"));
  for (const Json& g : single.at("grads")) {
    const uint32_t i = g.at("layer");
    SCOPED_TRACE("layer " + std::to_string(i));
    const LayerTrainState& st = trainer.state(i);
    ASSERT_NE(st.dw, nullptr);
    EXPECT_TRUE(all_close(st.dw, floats(g.at("dw")), kGradTol, "dW"));
    EXPECT_TRUE(all_close(st.db, floats(g.at("db")), kGradTol, "db"));
  }
}

TEST_P(MlpGolden, TrajectoriesMatchTorchOptim) {
  const Json& trajectories = fixture_.at("trajectories");
  ASSERT_FALSE(trajectories.empty());
  for (const Json& t : trajectories) {
    SCOPED_TRACE(t.at("name").get<std::string>());
    TrainConfig cfg;
    cfg.optimizer = optimizer_of(t.at("optimizer"));
    cfg.sparsity.method = Method::kFull;
    cfg.batch_size = t.at("batch_size");
    auto setup = bind(spec_, cfg);
    ASSERT_NE(setup, nullptr);
    set_params(setup->model, fixture_.at("initial"));
    Trainer& trainer = setup->trainer;

    const uint32_t steps = t.at("steps"), batch = cfg.batch_size;
    std::vector<float> sample_losses, step_losses;
    for (uint32_t s = 0; s < steps * batch; ++s) {
      std::vector<float> target_values;
      const std::vector<float> xs = x(s);
      trainer.train_sample(xs.data(), target_of(data(), s, &target_values), nullptr);
      sample_losses.push_back(trainer.last_loss());
      // torch's batch loss is the mean of the batch's per-sample losses.
      if ((s + 1) % batch == 0) {
        double sum = 0.0;
        for (uint32_t k = s + 1 - batch; k <= s; ++k) sum += sample_losses[k];
        step_losses.push_back(static_cast<float>(sum / batch));
      }
    }
    EXPECT_EQ(trainer.optimizer_steps(), steps);
    EXPECT_TRUE(all_close(sample_losses, floats(t.at("sample_losses")), kLossTol,
                          "per-sample losses"));
    EXPECT_TRUE(all_close(step_losses, floats(t.at("step_losses")), kLossTol, "step losses"));
    for (const Json& p : t.at("final")) {
      const uint32_t i = p.at("layer");
      const Layer& l = setup->model.layer(i);
      EXPECT_TRUE(all_close(l.w, floats(p.at("w")), kWeightTol,
                            "final W of layer " + std::to_string(i)));
      EXPECT_TRUE(all_close(l.b, floats(p.at("b")), kWeightTol,
                            "final b of layer " + std::to_string(i)));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, MlpGolden,
                         ::testing::Values("mlp_relu_ce.json", "mlp_tanh_sigmoid_mse.json",
                                           "mlp_leaky_bce.json"),
                         [](const ::testing::TestParamInfo<const char*>& param_info) {
                           const std::string file = param_info.param;
                           return file.substr(0, file.find('.'));  // test name: file stem
                         });

}  // namespace
}  // namespace tinyprop::golden
