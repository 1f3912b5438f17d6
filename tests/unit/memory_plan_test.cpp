// Pinned arena byte counts for the reference MLP 784-128-64-10 (ReLU, softmax cross-entropy).
//
// The expected numbers are derived here from the layer sizes and the documented layout rules
// (arena.h, model.cpp, trainer.cpp), and the literal totals are pinned as well, so that any
// change of the memory layout shows up as a test failure to be reviewed:
//   * every buffer is rounded up to 16 bytes (kArenaAlignment);
//   * parameters: one block of all weights and biases;
//   * activations: one buffer per dense layer output; elementwise activations run in place;
//   * gradients (batch > 1 only): dW and db per trainable layer;
//   * optimizer state: m_w, m_b (momentum or Adam), v_w, v_b (Adam);
//   * scratch: two error ping-pong buffers of the widest output at or above the lowest
//     trainable layer;
//   * indices: uint32 selection indices of the widest trainable layer, plus one touched-row
//     byte per output neuron of every trainable layer (batch > 1 only), plus per trainable
//     dense layer the kept list of its input's nonzero 4-float blocks: one uint16 per block up
//     to half of the n_in / 4 blocks (the zero-skip limit), at most 256.
#include <gtest/gtest.h>

#include "test_util.h"

namespace tinyprop_test {
namespace {

size_t r16(size_t bytes) { return (bytes + 15) / 16 * 16; }
// Bytes of a dense layer's kept nonzero-block list (the rule above).
size_t block_list_bytes(size_t n_in) {
  const size_t half = n_in / 4 * 50 / 100;
  return 2 * (half < 256 ? half : 256);
}

struct DenseShape {
  size_t n_in, n_out;
  bool trainable;
};

// The reference MLP's dense layers (the ReLUs own no memory).
std::vector<DenseShape> reference_dense(bool freeze_first = false) {
  return {{784, 128, !freeze_first}, {128, 64, true}, {64, 10, true}};
}

ModelSpec reference_spec(bool freeze_first = false) {
  ModelSpec spec = mlp_spec({784, 128, 64, 10}, LayerKind::kReLU);
  spec.layers[0].trainable = !freeze_first;
  return spec;
}

// Expected plan, region by region, from the rules above.
MemoryPlan expected_plan(const std::vector<DenseShape>& dense, const TrainConfig& cfg) {
  MemoryPlan p;
  auto at = [&p](Region r) -> size_t& { return p.bytes[static_cast<size_t>(r)]; };
  size_t n_params = 0;
  for (const DenseShape& d : dense) n_params += d.n_in * d.n_out + d.n_out;
  at(Region::kParameters) = r16(4 * n_params);
  for (const DenseShape& d : dense) at(Region::kActivations) += r16(4 * d.n_out);

  const size_t per_param = cfg.optimizer.kind == OptimizerKind::kAdam ? 2
                           : cfg.optimizer.momentum > 0.0f            ? 1
                                                                       : 0;
  const bool accumulate = cfg.batch_size > 1;
  size_t widest = 0;
  bool below_lowest_trainable = true;
  for (const DenseShape& d : dense) {
    if (d.trainable) below_lowest_trainable = false;
    if (below_lowest_trainable) continue;
    // In an MLP the activation after a dense layer has the same width, so the widest output
    // at or above the lowest trainable layer is the widest dense output there.
    widest = d.n_out > widest ? d.n_out : widest;
    if (!d.trainable) continue;
    const size_t layer_state = r16(4 * d.n_in * d.n_out) + r16(4 * d.n_out);
    if (accumulate) at(Region::kGradients) += layer_state;
    at(Region::kOptimizerState) += per_param * layer_state;
    if (accumulate) at(Region::kIndices) += r16(d.n_out);
    at(Region::kIndices) += r16(block_list_bytes(d.n_in));
  }
  size_t widest_trainable = 0;
  for (const DenseShape& d : dense) {
    if (d.trainable && d.n_out > widest_trainable) widest_trainable = d.n_out;
  }
  at(Region::kScratch) = 2 * r16(4 * widest);
  at(Region::kIndices) += r16(4 * widest_trainable);
  return p;
}

struct PlanCase {
  const char* name;
  OptimizerKind opt;
  float momentum;
  uint32_t batch;
  bool freeze_first;
  size_t pinned_total;  // literal, reviewed when the layout changes
};

void PrintTo(const PlanCase& c, std::ostream* os) { *os << c.name; }

TrainConfig config_of(const PlanCase& pc) {
  return make_config(Method::kTinyProp, pc.opt, pc.batch, 0.01f, pc.momentum);
}

class ReferencePlan : public ::testing::TestWithParam<PlanCase> {};

TEST_P(ReferencePlan, MatchesRulesPerRegionAndPinnedTotal) {
  const PlanCase pc = GetParam();
  const TrainConfig cfg = config_of(pc);
  MemoryPlan plan;
  ASSERT_EQ(Trainer::plan(reference_spec(pc.freeze_first), cfg, &plan), Status::kOk);
  const MemoryPlan expect = expected_plan(reference_dense(pc.freeze_first), cfg);
  for (size_t r = 0; r < static_cast<size_t>(Region::kCount); ++r) {
    EXPECT_EQ(plan.bytes[r], expect.bytes[r]) << region_name(static_cast<Region>(r));
  }
  EXPECT_EQ(plan.total(), pc.pinned_total);
  EXPECT_EQ(expect.total(), pc.pinned_total);
}

TEST_P(ReferencePlan, BindConsumesExactlyThePlan) {
  const PlanCase pc = GetParam();
  const TrainConfig cfg = config_of(pc);
  const ModelSpec spec = reference_spec(pc.freeze_first);
  MemoryPlan plan;
  ASSERT_EQ(Trainer::plan(spec, cfg, &plan), Status::kOk);

  // A larger arena: bind must take exactly the planned bytes, region by region.
  ArenaBuffer buf(plan.total() + 256);
  Arena arena(buf.data(), buf.size());
  Model model;
  Trainer trainer;
  ASSERT_EQ(model.bind(spec, arena), Status::kOk);
  ASSERT_EQ(trainer.bind(model, cfg, arena), Status::kOk);
  EXPECT_EQ(arena.used(), plan.total());
  for (size_t r = 0; r < static_cast<size_t>(Region::kCount); ++r) {
    EXPECT_EQ(arena.plan().bytes[r], plan.bytes[r]) << region_name(static_cast<Region>(r));
  }
  // Buffers are aligned and lie inside the arena.
  const uintptr_t lo = reinterpret_cast<uintptr_t>(buf.data());
  const uintptr_t hi = lo + plan.total();
  for (uint32_t i = 0; i < model.n_layers(); ++i) {
    const Layer& l = model.layer(i);
    for (const void* p : {static_cast<const void*>(l.out), static_cast<const void*>(l.w),
                          static_cast<const void*>(trainer.state(i).dw),
                          static_cast<const void*>(trainer.state(i).m_w),
                          static_cast<const void*>(trainer.state(i).v_w),
                          static_cast<const void*>(trainer.state(i).touched)}) {
      if (p == nullptr) continue;
      const uintptr_t a = reinterpret_cast<uintptr_t>(p);
      EXPECT_EQ(a % kArenaAlignment, 0u) << "layer " << i;
      EXPECT_GE(a, lo);
      EXPECT_LT(a, hi);
    }
  }
  // The exact size binds too; one byte less does not.
  Model m2;
  Trainer t2;
  EXPECT_EQ(bind_training(spec, cfg, buf.data(), plan.total(), &m2, &t2), Status::kOk);
  Model m3;
  Trainer t3;
  EXPECT_EQ(bind_training(spec, cfg, buf.data(), plan.total() - 1, &m3, &t3),
            Status::kArenaTooSmall);
  EXPECT_FALSE(t3.bound());
}

INSTANTIATE_TEST_SUITE_P(
    Reference, ReferencePlan,
    ::testing::Values(PlanCase{"sgd_b1", OptimizerKind::kSgd, 0.0f, 1, false, 440160},
                      PlanCase{"momentum_b1", OptimizerKind::kSgd, 0.9f, 1, false, 877712},
                      PlanCase{"adam_b1", OptimizerKind::kAdam, 0.0f, 1, false, 1315264},
                      PlanCase{"sgd_b8", OptimizerKind::kSgd, 0.0f, 8, false, 877920},
                      PlanCase{"adam_b32", OptimizerKind::kAdam, 0.0f, 32, false, 1753024},
                      PlanCase{"adam_b1_frozen_first", OptimizerKind::kAdam, 0.0f, 1, true,
                               510448}),
    [](const auto& info) { return std::string(info.param.name); });

// The pinned per-region numbers, literally (Adam, batch 32 touches every region).
TEST(ReferencePlan, PinnedRegionBytesAdamBatch32) {
  MemoryPlan plan;
  ASSERT_EQ(Trainer::plan(reference_spec(),
                          make_config(Method::kFull, OptimizerKind::kAdam, 32, 0.001f), &plan),
            Status::kOk);
  EXPECT_EQ(plan.of(Region::kParameters), 437552u);      // 109386 floats, rounded
  EXPECT_EQ(plan.of(Region::kGradients), 437552u);       // 401408+512+32768+256+2560+48
  EXPECT_EQ(plan.of(Region::kOptimizerState), 875104u);  // 2 x gradients
  EXPECT_EQ(plan.of(Region::kActivations), 816u);        // 512 + 256 + 48
  EXPECT_EQ(plan.of(Region::kScratch), 1024u);           // 2 x 128 floats
  // 128 uint32 + 128 + 64 + 16 touched flags + 98, 16, 8 uint16 block lists (208 + 32 + 16)
  EXPECT_EQ(plan.of(Region::kIndices), 976u);
}

TEST(ReferencePlan, ModelAloneAndMethodIndependence) {
  MemoryPlan model_plan;
  ASSERT_EQ(Model::plan(reference_spec(), &model_plan), Status::kOk);
  EXPECT_EQ(model_plan.total(), 437552u + 816u);
  EXPECT_EQ(model_plan.of(Region::kGradients), 0u);
  // The method does not change the memory: selection buffers exist for every method.
  MemoryPlan a, b;
  ASSERT_EQ(Trainer::plan(reference_spec(), make_config(Method::kFull), &a), Status::kOk);
  ASSERT_EQ(Trainer::plan(reference_spec(), make_config(Method::kTinyPropV2), &b), Status::kOk);
  EXPECT_EQ(a.total(), b.total());
}

TEST(ArenaBind, OneByteLessFailsForTheModelAlone) {
  MemoryPlan plan;
  ASSERT_EQ(Model::plan(reference_spec(), &plan), Status::kOk);
  ArenaBuffer buf(plan.total());
  Arena exact(buf.data(), plan.total());
  Model m;
  EXPECT_EQ(m.bind(reference_spec(), exact), Status::kOk);
  EXPECT_TRUE(m.bound());
  Arena short_arena(buf.data(), plan.total() - 1);
  Model m2;
  EXPECT_EQ(m2.bind(reference_spec(), short_arena), Status::kArenaTooSmall);
  EXPECT_FALSE(m2.bound());
}

TEST(ArenaBind, MisalignedArenaIsRejected) {
  const ModelSpec spec = mlp_spec({8, 6, 3}, LayerKind::kReLU);
  const TrainConfig cfg = make_config(Method::kFull);
  MemoryPlan plan;
  ASSERT_EQ(Trainer::plan(spec, cfg, &plan), Status::kOk);
  ArenaBuffer buf(plan.total() + 64);
  for (size_t offset : {1u, 4u, 8u, 15u}) {
    unsigned char* p = static_cast<unsigned char*>(buf.data()) + offset;
    Model m;
    Trainer t;
    EXPECT_EQ(bind_training(spec, cfg, p, plan.total() + 32, &m, &t), Status::kArenaMisaligned)
        << "offset " << offset;
    EXPECT_FALSE(m.bound());
  }
  unsigned char* aligned = static_cast<unsigned char*>(buf.data()) + 16;
  Model m;
  Trainer t;
  EXPECT_EQ(bind_training(spec, cfg, aligned, plan.total(), &m, &t), Status::kOk);
}

TEST(ArenaBind, PlanningArenaCountsWithoutMemory) {
  Arena planning;
  EXPECT_TRUE(planning.planning());
  EXPECT_EQ(planning.take(Region::kScratch, 1), nullptr);
  EXPECT_EQ(planning.take(Region::kScratch, 17), nullptr);
  EXPECT_EQ(planning.take(Region::kIndices, 0), nullptr);
  EXPECT_EQ(planning.plan().of(Region::kScratch), 48u);  // 16 + 32
  EXPECT_EQ(planning.used(), 48u);
  // A model bound to a planning arena is not bound.
  Model m;
  EXPECT_EQ(m.bind(mlp_spec({4, 3}, LayerKind::kReLU), planning), Status::kOk);
  EXPECT_FALSE(m.bound());
}

}  // namespace
}  // namespace tinyprop_test
