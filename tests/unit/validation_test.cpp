// Validation: bad configurations and specs are rejected at plan/bind time with the documented
// status, so that the training hot path can run blind.
#include <gtest/gtest.h>
#include <math.h>

#include <functional>
#include <set>
#include <string>

#include "test_util.h"

namespace tinyprop_test {
namespace {

const ModelSpec& small_spec() {
  static const ModelSpec spec = mlp_spec({6, 5, 3}, LayerKind::kReLU);
  return spec;
}

// A bad config must be rejected by validate(), Trainer::plan() and bind_training() alike.
void expect_rejected(const TrainConfig& cfg, const std::string& what) {
  EXPECT_EQ(cfg.validate(), Status::kInvalidArgument) << what;
  MemoryPlan plan;
  EXPECT_EQ(Trainer::plan(small_spec(), cfg, &plan), Status::kInvalidArgument) << what;
  ArenaBuffer buf(1 << 16);
  Model m;
  Trainer t;
  EXPECT_EQ(bind_training(small_spec(), cfg, buf.data(), buf.size(), &m, &t),
            Status::kInvalidArgument)
      << what;
  EXPECT_FALSE(t.bound()) << what;
}

TEST(ConfigValidation, DefaultsAndEveryMethodAreValid) {
  TrainConfig cfg;
  EXPECT_EQ(cfg.validate(), Status::kOk);
  for (Method m : {Method::kFull, Method::kStatic, Method::kTinyProp, Method::kTinyPropV2}) {
    cfg.sparsity.method = m;
    EXPECT_EQ(cfg.validate(), Status::kOk) << method_name(m);
  }
  cfg.optimizer.kind = OptimizerKind::kAdam;
  EXPECT_EQ(cfg.validate(), Status::kOk);
  // Boundary values that are allowed.
  cfg.sparsity.ratio = 1.0f;
  cfg.sparsity.s_min = 0.0f;
  cfg.sparsity.s_max = 1.0f;
  cfg.sparsity.zeta = 1.0f;
  cfg.sparsity.skip_threshold = 1.0f;
  EXPECT_EQ(cfg.validate(), Status::kOk);
  cfg.sparsity.s_min = cfg.sparsity.s_max = 0.4f;
  EXPECT_EQ(cfg.validate(), Status::kOk);
}

TEST(ConfigValidation, BadValuesAreInvalidArguments) {
  const std::vector<std::pair<std::string, std::function<void(TrainConfig&)>>> bad = {
      {"lr 0", [](TrainConfig& c) { c.optimizer.learning_rate = 0.0f; }},
      {"lr < 0", [](TrainConfig& c) { c.optimizer.learning_rate = -0.1f; }},
      {"lr NaN", [](TrainConfig& c) { c.optimizer.learning_rate = NAN; }},
      {"momentum 1", [](TrainConfig& c) { c.optimizer.momentum = 1.0f; }},
      {"momentum < 0", [](TrainConfig& c) { c.optimizer.momentum = -0.5f; }},
      {"adam beta1 1",
       [](TrainConfig& c) {
         c.optimizer.kind = OptimizerKind::kAdam;
         c.optimizer.beta1 = 1.0f;
       }},
      {"adam beta2 NaN",
       [](TrainConfig& c) {
         c.optimizer.kind = OptimizerKind::kAdam;
         c.optimizer.beta2 = NAN;
       }},
      {"adam eps 0",
       [](TrainConfig& c) {
         c.optimizer.kind = OptimizerKind::kAdam;
         c.optimizer.epsilon = 0.0f;
       }},
      {"batch 0", [](TrainConfig& c) { c.batch_size = 0; }},
      {"ratio 0", [](TrainConfig& c) { c.sparsity.ratio = 0.0f; }},
      {"ratio > 1", [](TrainConfig& c) { c.sparsity.ratio = 1.5f; }},
      {"ratio NaN", [](TrainConfig& c) { c.sparsity.ratio = NAN; }},
      {"s_min > s_max",
       [](TrainConfig& c) {
         c.sparsity.s_min = 0.6f;
         c.sparsity.s_max = 0.5f;
       }},
      {"s_min < 0", [](TrainConfig& c) { c.sparsity.s_min = -0.1f; }},
      {"s_max > 1", [](TrainConfig& c) { c.sparsity.s_max = 1.1f; }},
      {"s_min NaN", [](TrainConfig& c) { c.sparsity.s_min = NAN; }},
      {"zeta 0", [](TrainConfig& c) { c.sparsity.zeta = 0.0f; }},
      {"zeta > 1", [](TrainConfig& c) { c.sparsity.zeta = 1.5f; }},
      {"zeta NaN", [](TrainConfig& c) { c.sparsity.zeta = NAN; }},
      {"skip threshold > 1", [](TrainConfig& c) { c.sparsity.skip_threshold = 2.0f; }},
      {"skip threshold < 0", [](TrainConfig& c) { c.sparsity.skip_threshold = -0.1f; }},
      {"y_max decay 0", [](TrainConfig& c) { c.sparsity.y_max_decay = 0.0f; }},
      {"y_max decay > 1", [](TrainConfig& c) { c.sparsity.y_max_decay = 1.5f; }},
      {"unknown method", [](TrainConfig& c) { c.sparsity.method = static_cast<Method>(9); }},
  };
  for (const auto& [what, mutate] : bad) {
    TrainConfig cfg;
    cfg.sparsity.method = Method::kTinyProp;
    mutate(cfg);
    expect_rejected(cfg, what);
  }
}

TEST(SpecValidation, EmptySpecIsRejected) {
  ModelSpec spec;
  spec.input = Shape{1, 1, 4};
  EXPECT_NE(spec.validate(), Status::kOk);
  MemoryPlan plan;
  EXPECT_NE(Model::plan(spec, &plan), Status::kOk);
  EXPECT_NE(Trainer::plan(spec, TrainConfig{}, &plan), Status::kOk);
}

TEST(SpecValidation, ZeroSizesAreBadShapes) {
  ModelSpec spec;
  spec.input = Shape{1, 1, 4};
  EXPECT_EQ(spec.add_dense(0), Status::kBadShape);
  EXPECT_EQ(spec.n_layers, 0u) << "a rejected layer is not recorded";
  // Written directly, bypassing the builder: validate() still catches it.
  spec.n_layers = 2;
  spec.layers[0].kind = LayerKind::kDense;
  spec.layers[0].units = 0;
  spec.layers[1].kind = LayerKind::kDense;
  spec.layers[1].units = 3;
  EXPECT_EQ(spec.validate(), Status::kBadShape);
  ModelSpec no_input = mlp_spec({4, 3, 2}, LayerKind::kReLU);
  no_input.input = Shape{1, 1, 0};
  EXPECT_EQ(no_input.validate(), Status::kBadShape);
  ArenaBuffer buf(4096);
  Model m;
  Trainer t;
  EXPECT_EQ(bind_training(no_input, TrainConfig{}, buf.data(), buf.size(), &m, &t),
            Status::kBadShape);
}

TEST(SpecValidation, TooManyLayers) {
  ModelSpec spec;
  spec.input = Shape{1, 1, 4};
  for (uint32_t i = 0; i < kMaxLayers; ++i) {
    ASSERT_EQ(i % 2 == 0 ? spec.add_dense(4) : spec.add_activation(LayerKind::kTanh), Status::kOk);
  }
  EXPECT_EQ(spec.add_dense(4), Status::kTooManyLayers);
  EXPECT_EQ(spec.add_activation(LayerKind::kReLU), Status::kTooManyLayers);
  EXPECT_EQ(spec.n_layers, kMaxLayers);
  EXPECT_EQ(spec.validate(), Status::kOk) << "exactly kMaxLayers is fine";
  spec.n_layers = kMaxLayers + 1;
  EXPECT_EQ(spec.validate(), Status::kTooManyLayers);
  MemoryPlan plan;
  EXPECT_EQ(Model::plan(spec, &plan), Status::kTooManyLayers);
}

TEST(SpecValidation, OtherBadSpecs) {
  ModelSpec spec;
  spec.input = Shape{1, 1, 4};
  EXPECT_EQ(spec.add_activation(LayerKind::kDense), Status::kInvalidArgument);
  // Leaky ReLU slope must lie in (0, 1).
  for (float alpha : {0.0f, 1.0f, -0.1f, NAN}) {
    ModelSpec s = mlp_spec({4, 3, 2}, LayerKind::kLeakyReLU, LossKind::kSoftmaxCrossEntropy,
                           false, LayerKind::kSigmoid, alpha);
    EXPECT_EQ(s.validate(), Status::kInvalidArgument) << "alpha " << alpha;
  }
  // Softmax over a single output is meaningless.
  EXPECT_EQ(mlp_spec({4, 3, 1}, LayerKind::kReLU).validate(), Status::kBadShape);
  EXPECT_EQ(mlp_spec({4, 3, 1}, LayerKind::kReLU, LossKind::kMeanSquaredError).validate(),
            Status::kOk);
  // Weights beyond 32-bit indexing.
  EXPECT_EQ(mlp_spec({70000, 70000, 2}, LayerKind::kReLU).validate(), Status::kBadShape);
  // make_mlp needs two sizes.
  const uint32_t sizes[] = {4};
  ModelSpec out;
  EXPECT_EQ(make_mlp(&out, sizes, 1), Status::kInvalidArgument);
  EXPECT_EQ(make_mlp(nullptr, sizes, 1), Status::kInvalidArgument);
  const uint32_t good[] = {4, 8, 3};
  EXPECT_EQ(make_mlp(&out, good, 3), Status::kOk);
  EXPECT_EQ(out.n_layers, 3u);
  EXPECT_EQ(out.param_count(), 4u * 8 + 8 + 8 * 3 + 3);
}

TEST(BindValidation, TrainerOnUnboundModelIsNotBound) {
  Model model;  // never bound
  Trainer trainer;
  Arena arena;
  EXPECT_EQ(trainer.bind(model, TrainConfig{}, arena), Status::kNotBound);
  EXPECT_FALSE(trainer.bound());
  // A model "bound" to a planning arena is not bound either.
  Arena planning;
  ASSERT_EQ(model.bind(small_spec(), planning), Status::kOk);
  EXPECT_EQ(trainer.bind(model, TrainConfig{}, planning), Status::kNotBound);
}

TEST(BindValidation, TrainerOnPlanningArenaFails) {
  ArenaBuffer buf(4096);
  Arena real(buf.data(), buf.size());
  Model model;
  ASSERT_EQ(model.bind(small_spec(), real), Status::kOk);
  Arena planning;
  Trainer trainer;
  EXPECT_EQ(trainer.bind(model, TrainConfig{}, planning), Status::kArenaTooSmall);
  EXPECT_FALSE(trainer.bound());
}

TEST(BindValidation, AllFrozenIsNothingToTrain) {
  ModelSpec spec = mlp_spec({6, 5, 3}, LayerKind::kReLU);
  spec.layers[0].trainable = false;
  spec.layers[2].trainable = false;
  MemoryPlan plan;
  EXPECT_EQ(Trainer::plan(spec, TrainConfig{}, &plan), Status::kNothingToTrain);
  ArenaBuffer buf(1 << 16);
  Model m;
  Trainer t;
  EXPECT_EQ(bind_training(spec, TrainConfig{}, buf.data(), buf.size(), &m, &t),
            Status::kNothingToTrain);
  EXPECT_FALSE(t.bound());
  // The model alone is fine: inference needs no trainable layer.
  EXPECT_TRUE(m.bound());
  // A spec of activations only has no parameters at all.
  ModelSpec act;
  act.input = Shape{1, 1, 4};
  ASSERT_EQ(act.add_activation(LayerKind::kTanh), Status::kOk);
  EXPECT_EQ(Trainer::plan(act, TrainConfig{}, &plan), Status::kNothingToTrain);
}

TEST(BindValidation, NullArguments) {
  ArenaBuffer buf(4096);
  Model m;
  Trainer t;
  EXPECT_EQ(bind_training(small_spec(), TrainConfig{}, nullptr, 4096, &m, &t),
            Status::kInvalidArgument);
  EXPECT_EQ(bind_training(small_spec(), TrainConfig{}, buf.data(), 4096, nullptr, &t),
            Status::kInvalidArgument);
  EXPECT_EQ(bind_training(small_spec(), TrainConfig{}, buf.data(), 4096, &m, nullptr),
            Status::kInvalidArgument);
  EXPECT_EQ(Model::plan(small_spec(), nullptr), Status::kInvalidArgument);
  EXPECT_EQ(Trainer::plan(small_spec(), TrainConfig{}, nullptr), Status::kInvalidArgument);
}

TEST(Names, StatusNamesAreDistinctAndMethodsRoundTrip) {
  std::set<std::string> names;
  for (int s = 0; s <= static_cast<int>(Status::kKindDisabled); ++s) {
    const char* n = status_name(static_cast<Status>(s));
    ASSERT_NE(n, nullptr);
    names.insert(n);
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(Status::kKindDisabled) + 1);
  EXPECT_NE(status_name(static_cast<Status>(200)), nullptr);
  for (Method m : {Method::kFull, Method::kStatic, Method::kTinyProp, Method::kTinyPropV2}) {
    Method parsed = Method::kFull;
    EXPECT_TRUE(parse_method(method_name(m), &parsed));
    EXPECT_EQ(parsed, m);
  }
  Method out;
  for (const char* bad : {"", "Full", "tinyprop2", "tinypropv", "fulll", "static "}) {
    EXPECT_FALSE(parse_method(bad, &out)) << "'" << bad << "'";
  }
  EXPECT_FALSE(parse_method(nullptr, &out));
  for (Region r : {Region::kParameters, Region::kGradients, Region::kOptimizerState,
                   Region::kActivations, Region::kScratch, Region::kIndices}) {
    EXPECT_STRNE(region_name(r), "unknown");
  }
}

}  // namespace
}  // namespace tinyprop_test
