// Sizes that do not fit: every parameter count, buffer size and arena total is checked before
// it can wrap around, so an impossible model is refused at validation (kTooLarge) instead of
// being planned into a small arena and written out of bounds.
#include <gtest/gtest.h>
#include <stdint.h>

#include "test_util.h"

namespace tinyprop_test {
namespace {

// mlp:46340-46340-46340-2: each big dense layer fits (46340^2 + 46340 < 2^31), the model does
// not: 4294976562 parameters, which a 32-bit sum wraps to 9266.
ModelSpec wrapping_mlp() { return mlp_spec({46340, 46340, 46340, 2}, LayerKind::kReLU); }

TEST(SizeOverflow, ParametersBeyondTheLimitAreTooLargeNotWrapped) {
  const ModelSpec spec = wrapping_mlp();
  EXPECT_EQ(spec.validate(), Status::kTooLarge);
  EXPECT_NE(spec.param_count(), 9266u);  // saturates instead of wrapping
  EXPECT_EQ(spec.param_count(), 0xFFFFFFFFu);
  MemoryPlan plan;
  EXPECT_EQ(Model::plan(spec, &plan), Status::kTooLarge);
  EXPECT_EQ(Trainer::plan(spec, TrainConfig{}, &plan), Status::kTooLarge);
  ArenaBuffer buf(1 << 12);
  Model m;
  Trainer t;
  EXPECT_EQ(bind_training(spec, TrainConfig{}, buf.data(), buf.size(), &m, &t), Status::kTooLarge);
  EXPECT_FALSE(m.bound());
  // A model just below the limit is still valid (2116138002 parameters) and counted exactly;
  // one more hidden unit's worth of layers beyond it is not.
  const ModelSpec below = mlp_spec({46000, 46000, 2}, LayerKind::kReLU);
  EXPECT_EQ(below.validate(), Status::kOk);
  EXPECT_EQ(below.param_count(), 46000u * 46000u + 46000u + 46000u * 2u + 2u);
  EXPECT_EQ(mlp_spec({46340, 46340, 2}, LayerKind::kReLU).validate(), Status::kTooLarge);
}

TEST(SizeOverflow, ConvolutionsThatWrapAreTooLarge) {
  // 1x1x46340 input, two 1x1 convolutions of 46340 filters, dense 2: the same wrapped sum.
  ModelSpec spec;
  spec.input = Shape{1, 1, 46340};
  ASSERT_EQ(spec.add_conv2d(46340, 1), Status::kOk);
  ASSERT_EQ(spec.add_activation(LayerKind::kReLU), Status::kOk);
  ASSERT_EQ(spec.add_conv2d(46340, 1), Status::kOk);
  ASSERT_EQ(spec.add_activation(LayerKind::kReLU), Status::kOk);
  ASSERT_EQ(spec.add_dense(2), Status::kOk);
  EXPECT_EQ(spec.validate(), Status::kTooLarge);
  MemoryPlan plan;
  EXPECT_EQ(Model::plan(spec, &plan), Status::kTooLarge);
}

TEST(SizeOverflow, LayerParamsAreCountedIn64Bits) {
  LayerSpec dense;
  dense.kind = LayerKind::kDense;
  dense.units = 70000;
  EXPECT_EQ(layer_params(dense, Shape{1, 1, 70000}), 70000ull * 70000ull + 70000ull);
  LayerSpec conv;
  conv.kind = LayerKind::kConv2D;
  conv.filters = 8;
  conv.kernel_h = 3;
  conv.kernel_w = 5;
  EXPECT_EQ(layer_params(conv, Shape{9, 9, 2}), 8ull * 3 * 5 * 2 + 8);
  LayerSpec relu;
  relu.kind = LayerKind::kReLU;
  EXPECT_EQ(layer_params(relu, Shape{1, 1, 10}), 0u);
}

TEST(SizeOverflow, ArenaRefusesSizesThatWrapSizeT) {
  const size_t max = static_cast<size_t>(-1);
  Arena planning;
  EXPECT_EQ(planning.take(Region::kParameters, max - 3), nullptr);  // rounding would wrap to 0
  EXPECT_FALSE(planning.ok());
  EXPECT_TRUE(planning.too_large());

  Arena counts;
  EXPECT_EQ(counts.take_array<float>(Region::kParameters, max / 2), nullptr);  // bytes wrap
  EXPECT_TRUE(counts.too_large());

  Arena sums;  // two halves whose sum wraps the region total
  (void)sums.take(Region::kActivations, max / 2 + 1);
  EXPECT_TRUE(sums.ok());
  (void)sums.take(Region::kActivations, max / 2 + 1);
  EXPECT_TRUE(sums.too_large());
  EXPECT_LE(sums.plan().of(Region::kActivations), max);

  ArenaBuffer buf(256);  // a real arena: the same checks, nothing handed out
  Arena real(buf.data(), buf.size());
  EXPECT_EQ(real.take(Region::kScratch, max - 3), nullptr);
  EXPECT_FALSE(real.ok());
}

TEST(SizeOverflow, PlanTotalSaturates) {
  MemoryPlan p;
  p.bytes[0] = static_cast<size_t>(-1) - 10;
  p.bytes[1] = 100;
  EXPECT_EQ(p.total(), static_cast<size_t>(-1));
}

}  // namespace
}  // namespace tinyprop_test
