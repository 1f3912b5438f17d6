// Model::plan and Trainer::plan from the spec alone (src/core/plan.cpp, a few hundred bytes of
// stack) must give exactly the plan that laying out real objects gives (the overloads with
// scratch objects, which run Model::layout and Trainer::layout), region by region, and the
// same status when planning fails, for every kind of layer, optimizer, batch size, selection
// granularity and place of frozen parameters.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "test_util.h"

namespace tinyprop_test {
namespace {

std::vector<ModelSpec> specs() {
  std::vector<ModelSpec> out;
  out.push_back(mlp_spec({16, 32, 16, 4}, LayerKind::kReLU));
  out.push_back(mlp_spec({784, 128, 64, 10}, LayerKind::kTanh));
  out.push_back(mlp_spec({5, 3}, LayerKind::kReLU));
  out.push_back(mlp_spec({8, 6, 1}, LayerKind::kLeakyReLU, LossKind::kBinaryCrossEntropy, true));
  ModelSpec frozen_first = mlp_spec({20, 12, 8, 3}, LayerKind::kSigmoid);
  frozen_first.layers[0].trainable = false;  // frozen lower layer: errors stop above it
  out.push_back(frozen_first);
  ModelSpec cnn;
  cnn.input = Shape{12, 12, 2};
  EXPECT_EQ(cnn.add_conv2d(4, 3, 1, 1), Status::kOk);
  EXPECT_EQ(cnn.add_activation(LayerKind::kReLU), Status::kOk);
  EXPECT_EQ(cnn.add_max_pool2d(2), Status::kOk);
  EXPECT_EQ(cnn.add_depthwise_conv2d(3, 1, kPadSame), Status::kOk);
  EXPECT_EQ(cnn.add_avg_pool2d(2), Status::kOk);
  EXPECT_EQ(cnn.add_conv2d(6, 1, 1, 0, false), Status::kOk);  // a frozen conv in between
  EXPECT_EQ(cnn.add_flatten(), Status::kOk);
  EXPECT_EQ(cnn.add_dense(5), Status::kOk);
  out.push_back(cnn);
  ModelSpec gap;
  gap.input = Shape{6, 6, 3};
  EXPECT_EQ(gap.add_conv2d(8, 3, 2, 0, false), Status::kOk);
  EXPECT_EQ(gap.add_global_avg_pool(), Status::kOk);
  EXPECT_EQ(gap.add_dense(4), Status::kOk);
  out.push_back(gap);
  return out;
}

std::vector<TrainConfig> configs() {
  std::vector<TrainConfig> out;
  for (Method m : {Method::kFull, Method::kTinyProp, Method::kTinyPropV2}) {
    for (uint32_t batch : {1u, 4u}) {
      for (int opt = 0; opt < 3; ++opt) {
        TrainConfig c = make_config(m, opt == 2 ? OptimizerKind::kAdam : OptimizerKind::kSgd,
                                    batch, 0.01f, opt == 1 ? 0.9f : 0.0f);
        out.push_back(c);
        c.sparsity.conv_selection = ConvSelection::kChannel;
        out.push_back(c);
      }
    }
  }
  return out;
}

void expect_same(const MemoryPlan& a, const MemoryPlan& b, const char* what) {
  for (uint32_t r = 0; r < static_cast<uint32_t>(Region::kCount); ++r) {
    EXPECT_EQ(a.bytes[r], b.bytes[r]) << what << ", region " << r;
  }
}

TEST(PlanFromSpec, EqualsTheLaidOutPlanForEveryKindOfModel) {
  auto model = std::make_unique<Model>();
  auto trainer = std::make_unique<Trainer>();
  uint32_t compared = 0;
  for (const ModelSpec& spec : specs()) {
    for (FrozenParams frozen : {FrozenParams::kInArena, FrozenParams::kInPlace}) {
      MemoryPlan a, b;
      ASSERT_EQ(Model::plan(spec, &a, frozen), Status::kOk);
      ASSERT_EQ(Model::plan(spec, &b, frozen, model.get()), Status::kOk);
      expect_same(a, b, "model");
      for (const TrainConfig& config : configs()) {
        MemoryPlan c, d;
        const Status s1 = Trainer::plan(spec, config, &c, frozen);
        const Status s2 = Trainer::plan(spec, config, &d, frozen, model.get(), trainer.get());
        ASSERT_EQ(s1, s2);
        ASSERT_EQ(s1, Status::kOk);
        expect_same(c, d, "trainer");
        EXPECT_GT(c.total(), a.total());
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 7u * 2u * 36u);
}

TEST(PlanFromSpec, RefusesLikeTheLaidOutPlan) {
  auto model = std::make_unique<Model>();
  auto trainer = std::make_unique<Trainer>();
  ModelSpec frozen_all = mlp_spec({6, 4, 3}, LayerKind::kReLU);
  frozen_all.layers[0].trainable = frozen_all.layers[2].trainable = false;
  ModelSpec empty;
  ModelSpec too_big;
  too_big.input = Shape{1, 1, 65536};
  (void)too_big.add_dense(65536);
  TrainConfig bad = make_config(Method::kTinyProp);
  bad.batch_size = 0;
  const TrainConfig good = make_config(Method::kTinyProp);
  struct Case {
    ModelSpec spec;
    TrainConfig config;
    Status want;
  };
  for (const Case& c : {Case{frozen_all, good, Status::kNothingToTrain},
                        Case{empty, good, Status::kBadShape},
                        Case{too_big, good, Status::kBadShape},
                        Case{mlp_spec({6, 4, 3}, LayerKind::kReLU), bad, Status::kInvalidArgument}}) {
    MemoryPlan p;
    EXPECT_EQ(Trainer::plan(c.spec, c.config, &p), c.want);
    EXPECT_EQ(Trainer::plan(c.spec, c.config, &p, FrozenParams::kInArena, model.get(),
                            trainer.get()),
              c.want);
  }
  EXPECT_EQ(Model::plan(empty, nullptr), Status::kInvalidArgument);
}

}  // namespace
}  // namespace tinyprop_test
