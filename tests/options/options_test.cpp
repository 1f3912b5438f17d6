// The core built with its footprint options changed (tests/CMakeLists.txt: TINYPROP_MAX_LAYERS=8,
// TINYPROP_WITH_CONV=0, TINYPROP_WITH_POOL=0): the capacity follows the option, disabled layer
// kinds are refused with a clear status (C++ and C API), and the C API storage shrinks with it.
#include <gtest/gtest.h>

#include "tinyprop/tinyprop.h"
#include "tinyprop/tinyprop_c.h"

namespace tinyprop {
namespace {

static_assert(kMaxLayers == 8 && TP_MAX_LAYERS == 8u, "built with TINYPROP_MAX_LAYERS=8");

ModelSpec dense_layers(uint32_t n) {
  ModelSpec spec;
  spec.input = Shape{1, 1, 4};
  for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(spec.add_dense(4), Status::kOk) << i;
  return spec;
}

TEST(FootprintOptions, LayerCapacityFollowsTheOption) {
  ModelSpec spec = dense_layers(8);
  EXPECT_EQ(spec.validate(), Status::kOk);
  EXPECT_EQ(spec.add_dense(4), Status::kTooManyLayers);
  spec.n_layers = 9;
  EXPECT_EQ(spec.validate(), Status::kTooManyLayers);
  // The objects shrink with it: a 24-layer build's Model holds 24 Layers and a copy of the spec.
  EXPECT_LT(sizeof(Model), 8 * sizeof(Layer) + sizeof(ModelSpec) + 64);
  EXPECT_LE(sizeof(Model), static_cast<size_t>(TP_MODEL_BYTES));
  EXPECT_LE(sizeof(Trainer), static_cast<size_t>(TP_TRAINER_BYTES));
  EXPECT_LE(sizeof(ModelSpec), static_cast<size_t>(TP_SPEC_BYTES));
  EXPECT_EQ(tp_model_storage_bytes(), sizeof(Model));
}

TEST(FootprintOptions, DisabledKindsAreRefused) {
  EXPECT_FALSE(layer_kind_enabled(LayerKind::kConv2D));
  EXPECT_FALSE(layer_kind_enabled(LayerKind::kDepthwiseConv2D));
  EXPECT_FALSE(layer_kind_enabled(LayerKind::kMaxPool2D));
  EXPECT_FALSE(layer_kind_enabled(LayerKind::kAvgPool2D));
  EXPECT_FALSE(layer_kind_enabled(LayerKind::kGlobalAvgPool));
  EXPECT_TRUE(layer_kind_enabled(LayerKind::kDense));
  EXPECT_TRUE(layer_kind_enabled(LayerKind::kFlatten));
  ModelSpec conv;
  conv.input = Shape{6, 6, 1};
  ASSERT_EQ(conv.add_conv2d(2, 3), Status::kOk);  // builders only record
  ASSERT_EQ(conv.add_flatten(), Status::kOk);
  ASSERT_EQ(conv.add_dense(3), Status::kOk);
  EXPECT_EQ(conv.validate(), Status::kKindDisabled);
  MemoryPlan plan;
  EXPECT_EQ(Trainer::plan(conv, TrainConfig{}, &plan), Status::kKindDisabled);
  ModelSpec pool;
  pool.input = Shape{4, 4, 2};
  ASSERT_EQ(pool.add_max_pool2d(2), Status::kOk);
  ASSERT_EQ(pool.add_flatten(), Status::kOk);
  ASSERT_EQ(pool.add_dense(3), Status::kOk);
  EXPECT_EQ(pool.validate(), Status::kKindDisabled);
  EXPECT_STREQ(status_name(Status::kKindDisabled), "layer kind disabled in this build");
  EXPECT_EQ(static_cast<int>(Status::kKindDisabled), static_cast<int>(TP_KIND_DISABLED));
  EXPECT_STREQ(tp_status_name(TP_KIND_DISABLED), "layer kind disabled in this build");
}

}  // namespace
}  // namespace tinyprop
