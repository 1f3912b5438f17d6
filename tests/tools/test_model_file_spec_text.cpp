// Text model specs: "mlp:784-128-64-10[:activation]" and their canonical descriptions.
#include <gtest/gtest.h>

#include "error.h"
#include "model_file.h"
#include "test_data_helpers.h"

namespace tinyprop::host {
namespace {

using test::contains;
using test::error_of;

TEST(ModelSpecText, ParsesAnMlpLikeMakeMlp) {
  const ModelSpec s = parse_model_spec("mlp:784-128-64-10");
  ModelSpec expected;
  const uint32_t sizes[] = {784, 128, 64, 10};
  ASSERT_TRUE(ok(make_mlp(&expected, sizes, 4)));
  ASSERT_EQ(s.n_layers, 5u);
  EXPECT_EQ(s.input.size(), 784u);
  EXPECT_EQ(s.input.h, 1u);
  EXPECT_EQ(s.loss, LossKind::kSoftmaxCrossEntropy);
  for (uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(s.layers[i].kind, expected.layers[i].kind) << i;
    EXPECT_EQ(s.layers[i].units, expected.layers[i].units) << i;
    EXPECT_EQ(s.layers[i].trainable, expected.layers[i].trainable) << i;
  }
  EXPECT_EQ(s.layers[1].kind, LayerKind::kReLU);
  EXPECT_EQ(s.layers[4].units, 10u);
  EXPECT_EQ(s.param_count(), 784u * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10);
}

TEST(ModelSpecText, ActivationSuffix) {
  EXPECT_EQ(parse_model_spec("mlp:4-3-2:tanh").layers[1].kind, LayerKind::kTanh);
  EXPECT_EQ(parse_model_spec("mlp:4-3-2:sigmoid").layers[1].kind, LayerKind::kSigmoid);
  EXPECT_EQ(parse_model_spec("mlp:4-3-2:relu").layers[1].kind, LayerKind::kReLU);
  const ModelSpec leaky = parse_model_spec("mlp:4-3-3-2:leaky_relu");
  EXPECT_EQ(leaky.layers[1].kind, LayerKind::kLeakyReLU);
  EXPECT_EQ(leaky.layers[3].kind, LayerKind::kLeakyReLU);
  EXPECT_EQ(parse_model_spec("mlp:4-2").n_layers, 1u);  // no hidden layer: softmax regression
}

TEST(ModelSpecText, NonsenseIsRejectedWithAReason) {
  const struct {
    const char* text;
    const char* reason;
  } cases[] = {
      {"mlp:", "no layer sizes"},
      {"mlp", "no layer sizes"},
      {"", "expected 'mlp:"},
      {"mlp:784", "needs at least an input and an output size"},
      {"mlp:0-10", "layer size 1 is zero"},
      {"mlp:784-0-10", "layer size 2 is zero"},
      {"mlp:784-x-10", "layer size 2 'x' is not a positive integer"},
      {"mlp:784--10", "layer size 2 is empty"},
      {"mlp:784-10-", "layer size 3 is empty"},
      {"mlp:-784-10", "layer size 1 is empty"},
      {"mlp:784-+5-10", "'+5' is not a positive integer"},
      {"mlp:784-99999999999999999999-10", "is too large"},
      {"mlp:784-1", "softmax needs at least 2 outputs"},
      {"mlp:784-10:swish", "unknown activation 'swish' (relu|leaky_relu|sigmoid|tanh)"},
      {"mlp:784-10:relu:x", "too many ':' sections"},
      {"cnn:28x28-conv8-10", "model type 'cnn' is not supported yet"},
      {"MLP:784-10", "model type 'MLP' is not supported yet"},
      {"mlp:2-2-2-2-2-2-2-2-2-2-2-2-2-2", "25 layers, at most 24"},
  };
  for (const auto& c : cases) {
    const std::string msg = error_of([&] { parse_model_spec(c.text); });
    EXPECT_TRUE(contains(msg, c.reason)) << "'" << c.text << "' gave: " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  // 13 sizes make 12 dense + 11 activation layers = 23, within the limit.
  EXPECT_EQ(parse_model_spec("mlp:2-2-2-2-2-2-2-2-2-2-2-2-2").n_layers, 23u);
}

TEST(ModelSpecText, DescribeIsCanonicalForMlps) {
  for (const char* text : {"mlp:784-128-64-10", "mlp:4-2", "mlp:10-5-3:tanh", "mlp:3-3-3:leaky_relu", "mlp:8-4-2:sigmoid"}) {
    EXPECT_EQ(describe_model_spec(parse_model_spec(text)), text);
  }
  EXPECT_EQ(describe_model_spec(parse_model_spec("mlp:4-3-2:relu")), "mlp:4-3-2");
}

TEST(ModelSpecText, DescribeListsOtherSpecs) {
  ModelSpec s;
  s.input = Shape{28, 28, 1};
  s.loss = LossKind::kMeanSquaredError;
  ASSERT_TRUE(ok(s.add_dense(16, false)));
  ASSERT_TRUE(ok(s.add_activation(LayerKind::kLeakyReLU, 0.2f)));
  ASSERT_TRUE(ok(s.add_dense(4)));
  EXPECT_EQ(describe_model_spec(s),
            "input 28x28x1 -> dense 16 (frozen) -> leaky_relu(0.2) -> dense 4 | loss mean_squared_error");
  // A frozen layer alone is enough to leave the canonical form.
  ModelSpec m = parse_model_spec("mlp:4-3-2");
  m.layers[0].trainable = false;
  EXPECT_EQ(describe_model_spec(m).rfind("input 1x1x4 -> dense 3 (frozen)", 0), 0u);
}

}  // namespace
}  // namespace tinyprop::host
