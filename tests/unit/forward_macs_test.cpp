// Model::forward_macs() is summed once when the layers are laid out (bind, bind_pretrained,
// plan), not at every step. After every kind of model set-up the tests use it must equal a
// recomputation over the model's current layers (layer_forward_macs, the per-layer count the
// step used to sum) and, for the MLPs, the hand count sum of n_in n_out; and every training
// step must report it in StepCounters::forward_macs.
#include <gtest/gtest.h>

#include <vector>

#include "layers/layer.h"
#include "test_conv_util.h"
#include "test_util.h"
#include "tinyprop/checkpoint.h"

namespace tinyprop_test {
namespace {

// The sum the trainer used to redo at every step.
uint64_t recomputed(const Model& m) {
  uint64_t macs = 0;
  for (uint32_t i = 0; i < m.n_layers(); ++i) macs += layer_forward_macs(m.layer(i));
  return macs;
}

constexpr uint64_t k8_6_3 = 8 * 6 + 6 * 3;
constexpr uint64_t k20_16_8_4 = 20 * 16 + 16 * 8 + 8 * 4;

// Binds m to spec in the first `bytes` of buf (a fresh arena each time).
Status bind_in(Model& m, const ModelSpec& spec, ArenaBuffer& buf, size_t bytes) {
  Arena arena(buf.data(), bytes);
  return m.bind(spec, arena);
}

ModelSpec mlp_8_6_3() { return mlp_spec({8, 6, 3}, LayerKind::kReLU); }

std::vector<float> pretrained(const ModelSpec& spec, uint64_t seed) {
  Rng rng(seed);
  return random_vector(rng, spec.param_count(), -0.5f, 0.5f);
}

// Trains a few steps and checks every step's counter against the model's value.
void expect_steps_report(Trainer& trainer, Model& model, uint32_t dim, uint64_t want) {
  const Dataset d = make_blobs(6, dim, model.output_size(), 0.3f, 11);
  for (uint32_t i = 0; i < d.size(); ++i) {
    StepCounters c;
    trainer.train_sample(d.row(i), Target::of_label(d.y[i]), &c);
    EXPECT_EQ(c.forward_macs, want) << "step " << i;
  }
  EXPECT_EQ(model.forward_macs(), want);
  EXPECT_EQ(recomputed(model), want);
}

TEST(ForwardMacs, UnboundModelIsZero) {
  Model m;
  EXPECT_EQ(m.forward_macs(), 0u);
  EXPECT_EQ(recomputed(m), 0u);
}

TEST(ForwardMacs, BindAndBindPretrainedInArenaAndInPlace) {
  const ModelSpec spec = mlp_8_6_3();
  MemoryPlan plan;
  ASSERT_EQ(Model::plan(spec, &plan), Status::kOk);
  ArenaBuffer buf(plan.total());

  Model a;
  Arena arena_a(buf.data(), buf.size());
  ASSERT_EQ(a.bind(spec, arena_a), Status::kOk);
  EXPECT_EQ(a.forward_macs(), k8_6_3);
  EXPECT_EQ(recomputed(a), k8_6_3);

  ModelSpec frozen = spec;
  frozen.layers[0].trainable = false;  // a frozen first layer still runs forward
  const std::vector<float> params = pretrained(frozen, 3);
  for (FrozenParams where : {FrozenParams::kInArena, FrozenParams::kInPlace}) {
    Model b;
    ArenaBuffer buf_b(plan.total());
    Arena arena_b(buf_b.data(), buf_b.size());
    ASSERT_EQ(b.bind_pretrained(frozen, arena_b, params.data(), where), Status::kOk);
    EXPECT_EQ(b.forward_macs(), k8_6_3);
    EXPECT_EQ(recomputed(b), k8_6_3);
    // Loading parameters, drawing new ones, switching zero-skipping and running the model
    // change no shape.
    ASSERT_EQ(b.load_params(params.data(), b.param_count()), Status::kOk);
    Rng rng(9);
    b.init_params(rng);
    b.set_zero_skipping(false);
    const std::vector<float> x(8, 0.0f);
    (void)b.forward(x.data());
    b.set_zero_skipping(true);
    (void)b.forward(x.data());
    EXPECT_LE(b.forward_macs_done(), b.forward_macs());
    EXPECT_EQ(b.forward_macs(), k8_6_3);
    EXPECT_EQ(recomputed(b), k8_6_3);
  }
}

TEST(ForwardMacs, PlanningLaysOutTheShapes) {
  const ModelSpec spec = small_cnn();
  MemoryPlan plan;
  Model scratch;
  ASSERT_EQ(Model::plan(spec, &plan, FrozenParams::kInArena, &scratch), Status::kOk);
  EXPECT_FALSE(scratch.bound());
  EXPECT_EQ(scratch.forward_macs(), recomputed(scratch));
  // c4k3 valid on 12x12x1: 10x10x4 outputs of 9 MACs; dense 100 -> 10.
  EXPECT_EQ(scratch.forward_macs(), 400u * 9 + 100u * 10);

  Model model;
  Trainer trainer;
  ASSERT_EQ(Trainer::plan(spec, make_config(Method::kFull), &plan, FrozenParams::kInArena,
                          &model, &trainer),
            Status::kOk);
  EXPECT_EQ(model.forward_macs(), 400u * 9 + 100u * 10);
}

// One model re-bound to a large and a small MLP in one arena sized for the large one.
size_t model_bytes(const ModelSpec& spec) {
  MemoryPlan plan;
  return ok(Model::plan(spec, &plan)) ? plan.total() : 0;
}
class ForwardMacsRebind : public ::testing::Test {
 protected:
  const ModelSpec big = mlp_spec({20, 16, 8, 4}, LayerKind::kTanh);
  const ModelSpec small = mlp_8_6_3();
  ArenaBuffer buf{model_bytes(big)};
  Model m;
};

TEST_F(ForwardMacsRebind, FollowsTheNewSpec) {
  ASSERT_EQ(bind_in(m, big, buf, buf.size()), Status::kOk);
  EXPECT_EQ(m.forward_macs(), k20_16_8_4);
  ASSERT_EQ(bind_in(m, small, buf, buf.size()), Status::kOk);
  EXPECT_EQ(m.forward_macs(), k8_6_3);
  EXPECT_EQ(recomputed(m), k8_6_3);
  ASSERT_EQ(bind_in(m, big, buf, buf.size()), Status::kOk);
  EXPECT_EQ(m.forward_macs(), k20_16_8_4);
  EXPECT_EQ(recomputed(m), m.forward_macs());
}

TEST_F(ForwardMacsRebind, FailedBindsAgreeWithTheLayersLeft) {
  ASSERT_EQ(bind_in(m, small, buf, buf.size()), Status::kOk);
  // Too small an arena: the layers are laid out for `big`, the model is left unbound.
  EXPECT_EQ(bind_in(m, big, buf, 64), Status::kArenaTooSmall);
  EXPECT_FALSE(m.bound());
  EXPECT_EQ(m.forward_macs(), recomputed(m));
  // An invalid spec is refused before anything is laid out: the layers and the count stay.
  ASSERT_EQ(bind_in(m, small, buf, buf.size()), Status::kOk);
  ModelSpec invalid = small;
  invalid.input = Shape{0, 0, 0};
  EXPECT_NE(bind_in(m, invalid, buf, buf.size()), Status::kOk);
  EXPECT_EQ(m.forward_macs(), k8_6_3);
  EXPECT_EQ(recomputed(m), k8_6_3);
}

TEST(ForwardMacs, EveryLayerKindAndEveryStepOfTraining) {
  struct Case {
    const char* name;
    ModelSpec spec;
    Method method;
  };
  std::vector<Case> cases = {
      {"mlp", mlp_spec({12, 10, 4}, LayerKind::kReLU), Method::kTinyProp},
      {"small_cnn", small_cnn(4), Method::kStatic},
      {"all_kinds_cnn", all_kinds_cnn(), Method::kFull},
      {"strided_gap_cnn", strided_gap_cnn(), Method::kBudget},
  };
  for (Case& c : cases) {
    SCOPED_TRACE(c.name);
    Bound b(c.spec, make_config(c.method));
    ASSERT_EQ(b.status, Status::kOk);
    const uint64_t want = recomputed(b.model);
    EXPECT_GT(want, 0u);
    EXPECT_EQ(b.model.forward_macs(), want);
    expect_steps_report(b.trainer, b.model, b.model.input_size(), want);
  }
}

TEST(ForwardMacs, FrozenLayersAndBatchesAndCheckpointRestore) {
  ModelSpec spec = mlp_spec({12, 10, 6, 4}, LayerKind::kReLU);
  spec.layers[0].trainable = false;  // frozen dense layer: counted forward like any other
  const uint64_t want = 12u * 10 + 10u * 6 + 6u * 4;
  const TrainConfig cfg = make_config(Method::kTinyProp, OptimizerKind::kAdam, 2, 0.01f);
  Bound a(spec, cfg);
  ASSERT_EQ(a.status, Status::kOk);
  EXPECT_EQ(a.model.forward_macs(), want);
  expect_steps_report(a.trainer, a.model, 12, want);

  std::vector<uint8_t> bytes(checkpoint_size(a.trainer, CheckpointMode::kFull));
  size_t written = 0;
  ASSERT_EQ(checkpoint_save(a.trainer, CheckpointMode::kFull, 6, bytes.data(), bytes.size(),
                            &written),
            Status::kOk);
  Bound b(spec, cfg);  // the same frozen weights (a checkpoint requires them), no steps yet
  ASSERT_EQ(b.status, Status::kOk);
  ASSERT_EQ(checkpoint_restore(b.trainer, bytes.data(), written), Status::kOk);
  EXPECT_EQ(b.model.forward_macs(), want);
  EXPECT_EQ(recomputed(b.model), want);
  expect_steps_report(b.trainer, b.model, 12, want);

  // Re-binding the trainer to the same model (bind_training lays the model out again).
  ASSERT_EQ(bind_training(spec, cfg, b.arena->data(), b.plan.total(), &b.model, &b.trainer),
            Status::kOk);
  EXPECT_EQ(b.model.forward_macs(), want);
  expect_steps_report(b.trainer, b.model, 12, want);
}

}  // namespace
}  // namespace tinyprop_test
