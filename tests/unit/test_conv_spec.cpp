// Model specs with convolution and pooling layers: output shapes against PyTorch's / TF's
// formulas, parameter counts, memory plans, names, and malformed specs rejected with a Status.
#include <gtest/gtest.h>

#include "test_conv_util.h"

namespace tinyprop_test {
namespace {

ModelSpec input_of(uint32_t h, uint32_t w, uint32_t c) {
  ModelSpec s;
  s.input = Shape{h, w, c};
  return s;
}

// The output shape of a one-layer spec, or a zero shape when validate() refuses it.
TEST(ConvSpec, OutputShapesFollowTheFormulas) {
  struct Case {
    uint32_t in, k, s;
    int pad;
  };
  const Case cases[] = {{28, 3, 1, 0}, {28, 3, 1, 1}, {28, 3, 1, kSame}, {28, 3, 2, kSame},
                        {7, 3, 2, 0},  {7, 3, 2, 1},  {7, 3, 2, kSame},  {5, 5, 1, 0},
                        {9, 4, 3, 2},  {10, 4, 3, kSame}, {1, 1, 1, 0},  {6, 2, 2, 1}};
  for (const Case& c : cases) {
    uint32_t out = 0, before = 0;
    axis(c.in, c.k, c.s, c.pad, &out, &before);
    const uint32_t pad = c.pad == kSame ? kPadSame : static_cast<uint32_t>(c.pad);
    ModelSpec s = input_of(c.in, c.in, 3);
    ASSERT_EQ(s.add_conv2d(8, c.k, c.s, pad), Status::kOk);
    ASSERT_EQ(s.add_dense(2), Status::kOk);
    ASSERT_EQ(s.validate(), Status::kOk) << c.in << " k" << c.k << " s" << c.s << " p" << c.pad;
    const Shape o = s.output_shape(0);
    EXPECT_EQ(o.h, out);
    EXPECT_EQ(o.w, out);
    EXPECT_EQ(o.c, 8u);
    EXPECT_EQ(window_rows(s.layers[0], c.in).pad_before, before);
    // Pooling and depthwise keep the channels.
    ModelSpec p = input_of(c.in, c.in, 3);
    ASSERT_EQ(p.add_max_pool2d(c.k, c.s, pad), Status::kOk);
    ASSERT_EQ(p.add_depthwise_conv2d(1), Status::kOk);
    ASSERT_EQ(p.add_dense(2), Status::kOk);
    if (c.pad == kSame || static_cast<uint32_t>(c.pad) < c.k) {
      ASSERT_EQ(p.validate(), Status::kOk);
      EXPECT_EQ(p.output_shape(0).h, out);
      EXPECT_EQ(p.output_shape(1).c, 3u);
    }
  }
}

TEST(ConvSpec, RectangularWindowsThroughAdd) {
  ModelSpec s = input_of(9, 12, 2);
  LayerSpec l;
  l.kind = LayerKind::kConv2D;
  l.filters = 3;
  l.kernel_h = 2;
  l.kernel_w = 5;
  l.stride_h = 1;
  l.stride_w = 3;
  l.pad_h = 0;
  l.pad_w = 1;
  ASSERT_EQ(s.add(l), Status::kOk);
  ASSERT_EQ(s.add_dense(2), Status::kOk);
  ASSERT_EQ(s.validate(), Status::kOk);
  const Shape o = s.output_shape(0);
  EXPECT_EQ(o.h, 8u);                 // (9 - 2) / 1 + 1
  EXPECT_EQ(o.w, 4u);                 // (12 + 2 - 5) / 3 + 1
  EXPECT_EQ(s.param_count(), 3u * 2 * 5 * 2 + 3 + (8u * 4 * 3) * 2 + 2);
}

TEST(ConvSpec, ParamCountsAndLayerSizes) {
  ModelSpec s = input_of(28, 28, 1);
  ASSERT_EQ(s.add_conv2d(8, 3), Status::kOk);           // 26 x 26 x 8: 8*9*1 + 8 = 80
  ASSERT_EQ(s.add_activation(LayerKind::kReLU), Status::kOk);
  ASSERT_EQ(s.add_max_pool2d(2), Status::kOk);          // 13 x 13 x 8
  ASSERT_EQ(s.add_conv2d(16, 3), Status::kOk);          // 11 x 11 x 16: 16*9*8 + 16 = 1168
  ASSERT_EQ(s.add_activation(LayerKind::kReLU), Status::kOk);
  ASSERT_EQ(s.add_max_pool2d(2), Status::kOk);          // 5 x 5 x 16
  ASSERT_EQ(s.add_depthwise_conv2d(3, 1, 1), Status::kOk);  // 16*9 + 16 = 160
  ASSERT_EQ(s.add_flatten(), Status::kOk);              // 400
  ASSERT_EQ(s.add_dense(10), Status::kOk);              // 4010
  ASSERT_EQ(s.validate(), Status::kOk);
  EXPECT_EQ(s.param_count(), 80u + 1168u + 160u + 4010u);
  EXPECT_EQ(s.output_shape(7).size(), 400u);
  EXPECT_EQ(s.output_shape(7).h, 1u);

  MemoryPlan plan;
  ASSERT_EQ(Model::plan(s, &plan), Status::kOk);
  std::unique_ptr<ArenaBuffer> arena(new ArenaBuffer(plan.total()));
  Arena a(arena->data(), plan.total());
  Model m;
  ASSERT_EQ(m.bind(s, a), Status::kOk);
  EXPECT_EQ(m.param_count(), s.param_count());
  EXPECT_EQ(m.layer(0).n_weights, 72u);
  EXPECT_EQ(m.layer(0).n_bias, 8u);
  EXPECT_EQ(m.layer(3).n_weights, 16u * 3 * 3 * 8);
  EXPECT_EQ(m.layer(6).n_weights, 16u * 9);
  EXPECT_EQ(m.layer(8).w, m.layer(6).b + 16) << "parameters stay one contiguous block";
  // Activations and Flatten run in place; pooling layers own their outputs.
  EXPECT_TRUE(m.layer(1).in_place);
  EXPECT_FALSE(m.layer(2).in_place);
  EXPECT_NE(m.layer(2).out, m.layer(1).out);
  EXPECT_TRUE(m.layer(7).in_place);
  EXPECT_EQ(m.layer(7).out, m.layer(6).out);
  // Activations: conv0 (26*26*8), pool (13*13*8), conv (11*11*16), pool (5*5*16),
  // depthwise (5*5*16), dense (10) floats, each rounded up to 16 bytes.
  auto rounded = [](size_t floats) { return (floats * 4 + 15) / 16 * 16; };
  EXPECT_EQ(plan.of(Region::kActivations), rounded(5408) + rounded(1352) + rounded(1936) +
                                               rounded(400) + rounded(400) + rounded(10));
  EXPECT_EQ(m.forward_macs(), 5408u * 9 + 1936u * 72 + 400u * 9 + 4000u);
}

// A leading Flatten copies the caller's input (it cannot alias a buffer it does not own).
TEST(ConvSpec, FlattenAsFirstLayer) {
  ModelSpec s = input_of(2, 3, 2);
  ASSERT_EQ(s.add_flatten(), Status::kOk);
  ASSERT_EQ(s.add_dense(3), Status::kOk);
  Bound b(s, make_config(Method::kFull), 1);
  ASSERT_EQ(b.status, Status::kOk);
  EXPECT_FALSE(b.model.layer(0).in_place);
  std::vector<float> x(12);
  for (uint32_t i = 0; i < 12; ++i) x[i] = 0.1f * static_cast<float>(i);
  (void)b.model.forward(x.data());
  EXPECT_TRUE(same_bits(b.model.layer(0).out, x.data(), 12));
}

// Convolutions keep filter gradients and touched flags even at batch size 1; channel mode adds
// a float and an index per output channel of the widest conv.
TEST(ConvSpec, TrainingPlanOfAConvLayer) {
  const ModelSpec s = small_cnn(4, 8);  // conv 8 x 3 x 3 x 1 (+8) on 12 x 12 -> 10 x 10 x 8
  MemoryPlan plan, chan;
  TrainConfig cfg = make_config(Method::kTinyProp);
  ASSERT_EQ(Trainer::plan(s, cfg, &plan), Status::kOk);
  EXPECT_EQ(plan.of(Region::kGradients), 288u + 32u);  // dW 72 floats, db 8 floats
  cfg.sparsity.conv_selection = ConvSelection::kChannel;
  ASSERT_EQ(Trainer::plan(s, cfg, &chan), Status::kOk);
  EXPECT_EQ(chan.of(Region::kGradients), plan.of(Region::kGradients));
  EXPECT_EQ(chan.of(Region::kScratch), plan.of(Region::kScratch) + 32u);
  EXPECT_EQ(chan.of(Region::kIndices), plan.of(Region::kIndices) + 32u);
  // Indices: selection over 800 elements (3200 bytes), 8 touched flags (16 bytes) and the
  // dense layer's kept nonzero-block list (25 of the 50 blocks of its 200 inputs: 64 bytes).
  EXPECT_EQ(plan.of(Region::kIndices), 3200u + 16u + 64u);
  // A frozen conv keeps nothing.
  ModelSpec frozen = s;
  frozen.layers[0].trainable = false;
  MemoryPlan fp;
  ASSERT_EQ(Trainer::plan(frozen, make_config(Method::kFull), &fp), Status::kOk);
  EXPECT_EQ(fp.of(Region::kGradients), 0u);
}

TEST(ConvSpec, MalformedSpecsAreRejected) {
  // Kernel larger than the input without padding.
  ModelSpec s = input_of(4, 4, 1);
  ASSERT_EQ(s.add_conv2d(2, 5), Status::kOk);  // builders only record; validate() decides
  ASSERT_EQ(s.add_dense(2), Status::kOk);
  EXPECT_EQ(s.validate(), Status::kBadShape);
  MemoryPlan plan;
  EXPECT_EQ(Model::plan(s, &plan), Status::kBadShape);
  EXPECT_EQ(Trainer::plan(s, make_config(Method::kFull), &plan), Status::kBadShape);
  // ... but padding makes it fit: 4 + 2 * 1 >= 5.
  s.layers[0].pad_h = s.layers[0].pad_w = 1;
  EXPECT_EQ(s.validate(), Status::kOk);
  // Rectangular: too tall only.
  s.layers[0].pad_h = 0;
  EXPECT_EQ(s.validate(), Status::kBadShape);

  // Zero stride, zero kernel, padding >= kernel, zero filters.
  ModelSpec z = input_of(8, 8, 2);
  EXPECT_EQ(z.add_conv2d(4, 3, 0), Status::kInvalidArgument);
  EXPECT_EQ(z.add_conv2d(4, 0), Status::kInvalidArgument);
  EXPECT_EQ(z.add_conv2d(0, 3), Status::kBadShape);
  EXPECT_EQ(z.add_depthwise_conv2d(3, 0), Status::kInvalidArgument);
  EXPECT_EQ(z.add_max_pool2d(0), Status::kInvalidArgument);
  EXPECT_EQ(z.add_conv2d(4, 70000), Status::kInvalidArgument) << "does not fit the spec field";
  EXPECT_EQ(z.n_layers, 0u) << "rejected builders add nothing";
  ASSERT_EQ(z.add_conv2d(4, 3), Status::kOk);
  ASSERT_EQ(z.add_dense(2), Status::kOk);
  ASSERT_EQ(z.validate(), Status::kOk);
  ModelSpec bad = z;
  bad.layers[0].stride_w = 0;
  EXPECT_EQ(bad.validate(), Status::kInvalidArgument);
  bad = z;
  bad.layers[0].kernel_h = 0;
  EXPECT_EQ(bad.validate(), Status::kInvalidArgument);
  bad = z;
  bad.layers[0].pad_h = 3;  // a whole window of padding
  EXPECT_EQ(bad.validate(), Status::kInvalidArgument);
  bad = z;
  bad.layers[0].filters = 0;
  EXPECT_EQ(bad.validate(), Status::kBadShape);

  // Pooling larger than its input; a conv after the map shrank to 1 x 1.
  ModelSpec p = input_of(3, 3, 1);
  ASSERT_EQ(p.add_max_pool2d(2), Status::kOk);  // 1 x 1
  ASSERT_EQ(p.add_conv2d(2, 2), Status::kOk);   // 2 > 1
  ASSERT_EQ(p.add_dense(2), Status::kOk);
  EXPECT_EQ(p.validate(), Status::kBadShape);
  ModelSpec ap = input_of(3, 3, 1);
  ASSERT_EQ(ap.add_avg_pool2d(4), Status::kOk);
  ASSERT_EQ(ap.add_dense(2), Status::kOk);
  EXPECT_EQ(ap.validate(), Status::kBadShape);

  // Too many layers: the builder refuses the 25th; a hand-edited count is caught by validate.
  ModelSpec many = input_of(8, 8, 1);
  for (uint32_t i = 0; i < kMaxLayers; ++i) ASSERT_EQ(many.add_flatten(), Status::kOk);
  EXPECT_EQ(many.add_conv2d(2, 3), Status::kTooManyLayers);
  EXPECT_EQ(many.add_max_pool2d(2), Status::kTooManyLayers);
  EXPECT_EQ(many.add_global_avg_pool(), Status::kTooManyLayers);
  EXPECT_EQ(many.add(LayerSpec{}), Status::kTooManyLayers);
  many.n_layers = kMaxLayers + 1;
  EXPECT_EQ(many.validate(), Status::kTooManyLayers);

  // A softmax output of one channel after global pooling.
  ModelSpec one = input_of(4, 4, 1);
  ASSERT_EQ(one.add_global_avg_pool(), Status::kOk);
  EXPECT_EQ(one.validate(), Status::kBadShape);
}

TEST(ConvSpec, NamesAndSelectionParsing) {
  EXPECT_STREQ(layer_kind_name(LayerKind::kConv2D), "conv2d");
  EXPECT_STREQ(layer_kind_name(LayerKind::kDepthwiseConv2D), "depthwise_conv2d");
  EXPECT_STREQ(layer_kind_name(LayerKind::kMaxPool2D), "max_pool2d");
  EXPECT_STREQ(layer_kind_name(LayerKind::kAvgPool2D), "avg_pool2d");
  EXPECT_STREQ(layer_kind_name(LayerKind::kGlobalAvgPool), "global_avg_pool");
  EXPECT_STREQ(layer_kind_name(LayerKind::kFlatten), "flatten");
  EXPECT_TRUE(layer_has_params(LayerKind::kConv2D));
  EXPECT_TRUE(layer_has_params(LayerKind::kDepthwiseConv2D));
  EXPECT_FALSE(layer_has_params(LayerKind::kMaxPool2D));
  EXPECT_FALSE(layer_has_params(LayerKind::kFlatten));
  EXPECT_TRUE(layer_is_activation(LayerKind::kTanh));
  EXPECT_FALSE(layer_is_activation(LayerKind::kFlatten));
  // The existing enumerators keep their values (model files store them).
  EXPECT_EQ(static_cast<int>(LayerKind::kTanh), 4);
  EXPECT_EQ(static_cast<int>(LayerKind::kConv2D), 5);
  EXPECT_EQ(static_cast<int>(LayerKind::kFlatten), 10);

  ConvSelection sel = ConvSelection::kElement;
  EXPECT_TRUE(parse_conv_selection("channel", &sel));
  EXPECT_EQ(sel, ConvSelection::kChannel);
  EXPECT_TRUE(parse_conv_selection("element", &sel));
  EXPECT_EQ(sel, ConvSelection::kElement);
  EXPECT_FALSE(parse_conv_selection("filter", &sel));
  EXPECT_FALSE(parse_conv_selection(nullptr, &sel));
  TrainConfig cfg;
  cfg.sparsity.conv_selection = static_cast<ConvSelection>(7);
  EXPECT_EQ(cfg.validate(), Status::kInvalidArgument);
}

}  // namespace
}  // namespace tinyprop_test
