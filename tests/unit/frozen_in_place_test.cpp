// Frozen layers' parameters left in the caller's array (FrozenParams::kInPlace): the same bits
// as copies in the arena for every method and batch size, a parameter region of the trainable
// layers only, the source array never written, and load_params/init_params skipping them.
#include <gtest/gtest.h>

#include "test_util.h"

namespace tinyprop_test {
namespace {

// 8x8x2 -> conv c4k3 (frozen) -> relu -> max pool 2 -> flatten -> dense 6 (trainable) -> relu
// -> dense 5 (frozen, between trainable layers: the error passes through it) -> dense 3.
ModelSpec frozen_spec() {
  ModelSpec s;
  s.input = Shape{8, 8, 2};
  (void)s.add_conv2d(4, 3, 1, 0, /*trainable=*/false);
  (void)s.add_activation(LayerKind::kReLU);
  (void)s.add_max_pool2d(2);
  (void)s.add_flatten();
  (void)s.add_dense(6);
  (void)s.add_activation(LayerKind::kReLU);
  (void)s.add_dense(5, /*trainable=*/false);
  (void)s.add_dense(3);
  return s;
}

std::vector<float> pretrained(const ModelSpec& spec) {
  std::vector<float> p(spec.param_count());
  Rng rng(5);
  for (float& v : p) v = rng.uniform(-0.5f, 0.5f);
  return p;
}

// Every parameter, layer by layer, in params() order.
std::vector<float> read_params(const Model& m) {
  std::vector<float> out;
  for (uint32_t i = 0; i < m.n_layers(); ++i) {
    const Layer& l = m.layer(i);
    out.insert(out.end(), l.w, l.w + l.n_weights);
    out.insert(out.end(), l.b, l.b + l.n_bias);
  }
  return out;
}

TEST(FrozenInPlace, PlanCountsOnlyTrainableParameters) {
  const ModelSpec spec = frozen_spec();
  const TrainConfig cfg = make_config(Method::kTinyProp);
  MemoryPlan in_arena, in_place;
  ASSERT_EQ(Trainer::plan(spec, cfg, &in_arena), Status::kOk);
  ASSERT_EQ(Trainer::plan(spec, cfg, &in_place, FrozenParams::kInPlace), Status::kOk);
  // Trainable: dense 36 -> 6 (222 floats) and dense 5 -> 3 (18): 240 floats = 960 bytes.
  EXPECT_EQ(in_place.of(Region::kParameters), 960u);
  EXPECT_EQ(in_arena.of(Region::kParameters), (spec.param_count() * 4 + 15) / 16 * 16);
  for (uint32_t r = 1; r < static_cast<uint32_t>(Region::kCount); ++r) {
    EXPECT_EQ(in_place.bytes[r], in_arena.bytes[r]) << region_name(static_cast<Region>(r));
  }
  MemoryPlan model_only;
  ASSERT_EQ(Model::plan(spec, &model_only, FrozenParams::kInPlace), Status::kOk);
  EXPECT_EQ(model_only.of(Region::kParameters), 960u);
}

TEST(FrozenInPlace, SameBitsAsInArenaForEveryMethod) {
  const ModelSpec spec = frozen_spec();
  const std::vector<float> params = pretrained(spec);
  for (Method method : {Method::kFull, Method::kStatic, Method::kTinyProp, Method::kTinyPropV2}) {
    for (uint32_t batch : {1u, 4u}) {
      const TrainConfig cfg = make_config(method, OptimizerKind::kAdam, batch, 0.01f);
      std::vector<float> source = params;
      MemoryPlan plan_a, plan_b;
      ASSERT_EQ(Trainer::plan(spec, cfg, &plan_a), Status::kOk);
      ASSERT_EQ(Trainer::plan(spec, cfg, &plan_b, FrozenParams::kInPlace), Status::kOk);
      ArenaBuffer buf_a(plan_a.total()), buf_b(plan_b.total());
      Arena arena_a(buf_a.data(), plan_a.total()), arena_b(buf_b.data(), plan_b.total());
      Model a, b;
      Trainer ta, tb;
      ASSERT_EQ(a.bind_pretrained(spec, arena_a, params.data(), FrozenParams::kInArena),
                Status::kOk);
      ASSERT_EQ(b.bind_pretrained(spec, arena_b, source.data(), FrozenParams::kInPlace),
                Status::kOk);
      ASSERT_EQ(ta.bind(a, cfg, arena_a), Status::kOk);
      ASSERT_EQ(tb.bind(b, cfg, arena_b), Status::kOk);
      EXPECT_EQ(arena_b.used(), plan_b.total());
      EXPECT_EQ(b.params(), nullptr);
      EXPECT_EQ(b.layer(0).w, source.data());
      EXPECT_TRUE(b.layer(0).params_in_place && b.layer(6).params_in_place);
      EXPECT_FALSE(b.layer(4).params_in_place);
      Rng rng(9);
      std::vector<float> x(spec.input.size());
      for (uint32_t step = 0; step < 24; ++step) {
        for (float& v : x) v = rng.uniform(0.0f, 1.0f);
        ta.train_sample(x.data(), Target::of_label(step % 3), nullptr);
        tb.train_sample(x.data(), Target::of_label(step % 3), nullptr);
      }
      ta.flush(nullptr);
      tb.flush(nullptr);
      const std::vector<float> pa = read_params(a), pb = read_params(b);
      EXPECT_TRUE(same_bits(pa.data(), pb.data(), spec.param_count()))
          << method_name(method) << " batch " << batch;
      EXPECT_TRUE(same_bits(source.data(), params.data(), spec.param_count()));  // only read
      EXPECT_FALSE(same_bits(pa.data(), params.data(), spec.param_count()));     // it trained
    }
  }
}

TEST(FrozenInPlace, LoadAndInitSkipLayersInPlace) {
  const ModelSpec spec = frozen_spec();
  const std::vector<float> params = pretrained(spec);
  MemoryPlan plan;
  ASSERT_EQ(Model::plan(spec, &plan, FrozenParams::kInPlace), Status::kOk);
  ArenaBuffer buf(plan.total());
  Arena arena(buf.data(), plan.total());
  Model m;
  EXPECT_EQ(m.bind_pretrained(spec, arena, nullptr, FrozenParams::kInPlace),
            Status::kInvalidArgument);
  ASSERT_EQ(m.bind_pretrained(spec, arena, params.data(), FrozenParams::kInPlace), Status::kOk);
  const std::vector<float> zeros(spec.param_count(), 0.0f);
  ASSERT_EQ(m.load_params(zeros.data(), spec.param_count()), Status::kOk);
  EXPECT_EQ(m.load_params(zeros.data(), spec.param_count() - 1), Status::kInvalidArgument);
  EXPECT_EQ(m.layer(0).w[0], params[0]);  // in place: still the pretrained value
  EXPECT_EQ(m.layer(4).w[0], 0.0f);       // in the arena: loaded
  Rng rng(3);
  m.init_params(rng);
  EXPECT_EQ(m.layer(0).w[0], params[0]);
  EXPECT_NE(m.layer(4).w[0], 0.0f);
}

}  // namespace
}  // namespace tinyprop_test
