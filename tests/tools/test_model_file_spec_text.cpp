// Text model specs: "mlp:784-128-64-10[:activation]", "cnn:28x28x1-c8k3-p2-c16k3-p2-d10" and
// their canonical descriptions.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/error.h"
#include "formats/model_file.h"
#include "test_data_helpers.h"
#include "test_model_file_util.h"

namespace tinyprop::host {
namespace {

using test::contains;
using test::error_of;
using test::expect_same_spec;

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
      {"", "expected 'mlp:<in>-<hidden>...-<out>[:activation]' or 'cnn:<H>x<W>x<C>-<layer>...'"},
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
      {"cnn:28x28-conv8-10", "'28x28' (item 1): the input must be HxWxC (e.g. 28x28x1)"},
      {"MLP:784-10", "model type 'MLP' is not supported (mlp or cnn"},
      {"rnn:4-2", "model type 'rnn' is not supported (mlp or cnn"},
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

namespace tinyprop::host {
namespace {

using test::contains;
using test::error_of;
using test::expect_same_spec;

LayerSpec window(LayerKind kind, uint16_t kh, uint16_t kw, uint16_t sh, uint16_t sw, uint16_t ph,
                 uint16_t pw, bool same = false, uint32_t filters = 0) {
  LayerSpec l;
  l.kind = kind;
  l.kernel_h = kh;
  l.kernel_w = kw;
  l.stride_h = sh;
  l.stride_w = sw;
  l.pad_h = ph;
  l.pad_w = pw;
  l.pad_same = same;
  l.filters = filters;
  l.trainable = layer_has_params(kind);
  return l;
}

// The example of docs/MODEL_FORMAT.md is exactly the spec the builders make (docs/CONV.md's MNIST CNN).
TEST(ModelSpecTextCnn, DocExampleIsTheBuilderSpec) {
  ModelSpec expected;
  expected.input = Shape{28, 28, 1};
  ASSERT_TRUE(ok(expected.add_conv2d(8, 3)));
  ASSERT_TRUE(ok(expected.add_activation(LayerKind::kReLU)));
  ASSERT_TRUE(ok(expected.add_max_pool2d(2)));
  ASSERT_TRUE(ok(expected.add_conv2d(16, 3)));
  ASSERT_TRUE(ok(expected.add_activation(LayerKind::kReLU)));
  ASSERT_TRUE(ok(expected.add_max_pool2d(2)));
  ASSERT_TRUE(ok(expected.add_flatten()));
  ASSERT_TRUE(ok(expected.add_dense(10)));
  const ModelSpec s = parse_model_spec("cnn:28x28x1-c8k3-p2-c16k3-p2-d10");
  expect_same_spec(s, expected);
  EXPECT_EQ(s.param_count(), 5258u);
  EXPECT_EQ(s.output_shape(5).size(), 400u);
  // p<K> is max pooling's alias; m<K> the canonical form.
  expect_same_spec(parse_model_spec("cnn:28x28x1-c8k3-m2-c16k3-m2-d10"), expected);
  EXPECT_EQ(describe_model_spec(s), "cnn:28x28x1-c8k3-m2-c16k3-m2-d10");
}

// Each token against the LayerSpec it must produce: "cnn:<input>-<token>-d4".
TEST(ModelSpecTextCnn, WindowTokens) {
  using K = LayerKind;
  const struct {
    const char* token;
    LayerSpec layer;
  } cases[] = {
      {"c8k3", window(K::kConv2D, 3, 3, 1, 1, 0, 0, false, 8)},
      {"c8k3s2", window(K::kConv2D, 3, 3, 2, 2, 0, 0, false, 8)},
      {"c8k3pad1", window(K::kConv2D, 3, 3, 1, 1, 1, 1, false, 8)},
      {"c8k3s2+same", window(K::kConv2D, 3, 3, 2, 2, 0, 0, true, 8)},
      {"c4k3x5s1x2pad1x2", window(K::kConv2D, 3, 5, 1, 2, 1, 2, false, 4)},
      {"c4k1", window(K::kConv2D, 1, 1, 1, 1, 0, 0, false, 4)},
      {"dw3", window(K::kDepthwiseConv2D, 3, 3, 1, 1, 0, 0)},
      {"dw5s2+same", window(K::kDepthwiseConv2D, 5, 5, 2, 2, 0, 0, true)},
      {"dw3x1pad1x0", window(K::kDepthwiseConv2D, 3, 1, 1, 1, 1, 0)},
      {"m2", window(K::kMaxPool2D, 2, 2, 2, 2, 0, 0)},
      {"p2", window(K::kMaxPool2D, 2, 2, 2, 2, 0, 0)},
      {"m3s2", window(K::kMaxPool2D, 3, 3, 2, 2, 0, 0)},
      {"m3s2+same", window(K::kMaxPool2D, 3, 3, 2, 2, 0, 0, true)},
      {"m2x3", window(K::kMaxPool2D, 2, 3, 2, 3, 0, 0)},
      {"a2", window(K::kAvgPool2D, 2, 2, 2, 2, 0, 0)},
      {"a3s1pad1", window(K::kAvgPool2D, 3, 3, 1, 1, 1, 1)},
      {"a3s1+same", window(K::kAvgPool2D, 3, 3, 1, 1, 0, 0, true)},
  };
  for (const auto& c : cases) {
    const std::string text = std::string("cnn:16x12x3-") + c.token + "-d4";
    ModelSpec expected;
    expected.input = Shape{16, 12, 3};
    ASSERT_TRUE(ok(expected.add(c.layer)));
    if (layer_has_params(c.layer.kind)) ASSERT_TRUE(ok(expected.add_activation(LayerKind::kReLU)));
    ASSERT_TRUE(ok(expected.add_flatten()));
    ASSERT_TRUE(ok(expected.add_dense(4)));
    SCOPED_TRACE(text);
    expect_same_spec(parse_model_spec(text), expected);
  }
}

TEST(ModelSpecTextCnn, ActivationsFlattenAndGlobalPooling) {
  // The activation follows every layer with parameters but the last; the suffix picks it.
  ModelSpec s = parse_model_spec("cnn:8x8x1-c4k3-d5-d2:leaky_relu");
  ASSERT_EQ(s.n_layers, 6u);  // conv, leaky, flatten, dense, leaky, dense
  EXPECT_EQ(s.layers[1].kind, LayerKind::kLeakyReLU);
  EXPECT_EQ(s.layers[2].kind, LayerKind::kFlatten);
  EXPECT_EQ(s.layers[4].kind, LayerKind::kLeakyReLU);
  EXPECT_EQ(s.layers[5].kind, LayerKind::kDense);
  // A fully convolutional net: no activation after its last convolution (the logits).
  s = parse_model_spec("cnn:8x8x1-c4k3-c10k1-gap");
  ASSERT_EQ(s.n_layers, 4u);
  EXPECT_EQ(s.layers[1].kind, LayerKind::kReLU);
  EXPECT_EQ(s.layers[2].kind, LayerKind::kConv2D);
  EXPECT_EQ(s.layers[3].kind, LayerKind::kGlobalAvgPool);
  EXPECT_EQ(s.output_shape().size(), 10u);
  // After global pooling the map is 1x1: no flatten before the dense layer.
  s = parse_model_spec("cnn:8x8x3-c4k3-gap-d2");
  ASSERT_EQ(s.n_layers, 4u);
  EXPECT_EQ(s.layers[2].kind, LayerKind::kGlobalAvgPool);
  EXPECT_EQ(s.layers[3].kind, LayerKind::kDense);
  // An explicit flatten is the implicit one.
  expect_same_spec(parse_model_spec("cnn:8x8x3-c4k1-flat-d2"),
                   parse_model_spec("cnn:8x8x3-c4k1-d2"));
  // Only dense layers on a 1x1 input: the MLP.
  expect_same_spec(parse_model_spec("cnn:1x1x4-d3-d2:tanh"), parse_model_spec("mlp:4-3-2:tanh"));
  EXPECT_EQ(describe_model_spec(parse_model_spec("cnn:1x1x4-d3-d2:tanh")), "mlp:4-3-2:tanh");
}

TEST(ModelSpecTextCnn, DescribeRoundTripsCanonicalTexts) {
  for (const char* text :
       {"cnn:28x28x1-c8k3-m2-c16k3-m2-d10", "cnn:28x28x1-c8k3s2+same-dw3-a2-gap-d10:tanh",
        "cnn:16x12x3-c4k3x5s1x2pad1x2-m3s2-d64-d10", "cnn:8x8x1-c4k3-c10k1-gap",
        "cnn:32x32x3-c8k3pad1-a3s1pad1-dw3s2+same-c16k1-gap-d10:leaky_relu", "cnn:8x8x2-d4-d2",
        "cnn:4x4x1-gap-d2", "cnn:4x4x3-gap-flat-dw1-c2k1",
        "cnn:40x101x1-c8k5x3s2x1+same-m2x1-d12:sigmoid"}) {
    const ModelSpec s = parse_model_spec(text);
    EXPECT_EQ(describe_model_spec(s), text);
  }
  EXPECT_EQ(describe_model_spec(parse_model_spec("cnn:8x8x3-c4k1-flat-d2")), "cnn:8x8x3-c4k1-d2");
  EXPECT_EQ(describe_model_spec(parse_model_spec("cnn:8x8x2-flat-d4-d2")), "cnn:8x8x2-d4-d2");
  EXPECT_EQ(describe_model_spec(parse_model_spec("cnn:8x8x3-p2-d2")), "cnn:8x8x3-m2-d2");
  EXPECT_EQ(describe_model_spec(parse_model_spec("cnn:8x8x3-m2s2-d2:relu")), "cnn:8x8x3-m2-d2");
}

// Specs the grammar cannot say (a frozen layer, a dense layer straight after a map, another
// loss) get the readable list instead of a text that would parse to something else.
TEST(ModelSpecTextCnn, DescribeListsWhatTheGrammarCannotSay) {
  ModelSpec s = parse_model_spec("cnn:8x8x1-c4k3s2+same-m2-d3");
  s.layers[0].trainable = false;
  EXPECT_EQ(describe_model_spec(s),
            "input 8x8x1 -> conv2d c4k3s2+same (frozen) -> relu -> max_pool2d m2 -> flatten -> "
            "dense 3 | loss "
            "softmax_cross_entropy");
  ModelSpec no_flatten;
  no_flatten.input = Shape{6, 6, 1};
  ASSERT_TRUE(ok(no_flatten.add_avg_pool2d(3, 1, 1)));
  ASSERT_TRUE(ok(no_flatten.add_dense(2)));
  EXPECT_EQ(describe_model_spec(no_flatten),
            "input 6x6x1 -> avg_pool2d a3s1pad1 -> dense 2 | loss softmax_cross_entropy");
  ModelSpec mse = parse_model_spec("cnn:6x6x2-dw3-gap");
  mse.loss = LossKind::kMeanSquaredError;
  EXPECT_EQ(describe_model_spec(mse),
            "input 6x6x2 -> depthwise_conv2d dw3 -> global_avg_pool | loss mean_squared_error");
}

// Random texts from the grammar: those that parse describe to a text that parses to the same
// spec; perturbed specs describe either canonically (parsing back exactly) or as a list.
TEST(ModelSpecTextCnn, RandomSpecsRoundTrip) {
  Rng rng(31);
  auto pick = [&](uint32_t n) { return rng.uniform_below(n); };
  auto window_options = [&]() {
    std::string s;
    if (pick(3) == 0)
      s += "s" + std::to_string(1 + pick(2)) +
           (pick(4) == 0 ? "x" + std::to_string(1 + pick(3)) : "");
    const uint32_t pad = pick(4);
    if (pad == 1) s += "+same";
    if (pad == 2) s += "pad1";
    return s;
  };
  size_t parsed = 0, canonical_after_edit = 0, listed_after_edit = 0;
  for (int iter = 0; iter < 600; ++iter) {
    std::string text = "cnn:" + std::to_string(4 + pick(12)) + "x" + std::to_string(4 + pick(12)) +
                       "x" + std::to_string(1 + pick(3));
    const uint32_t n_items = 1 + pick(5);
    for (uint32_t i = 0; i < n_items; ++i) {
      const std::string k =
          std::to_string(1 + pick(3)) + (pick(5) == 0 ? "x" + std::to_string(1 + pick(3)) : "");
      switch (pick(8)) {
        case 0:
          text += "-c" + std::to_string(1 + pick(6)) + "k" + k + window_options();
          break;
        case 1:
          text += "-dw" + k + window_options();
          break;
        case 2:
          text += "-m" + k + window_options();
          break;
        case 3:
          text += "-a" + k + window_options();
          break;
        case 4:
          text += "-p" + k;
          break;
        case 5:
          text += pick(3) == 0 ? "-gap" : "-flat";
          break;
        default:
          text += "-d" + std::to_string(2 + pick(6));
          break;
      }
    }
    if (pick(2) == 0) text += "-d" + std::to_string(2 + pick(5));
    const char* suffixes[] = {"", ":tanh", ":sigmoid", ":leaky_relu", ":relu"};
    text += suffixes[pick(5)];
    ModelSpec s;
    try {
      s = parse_model_spec(text);
    } catch (const Error& e) {
      EXPECT_TRUE(contains(e.what(), "model spec '" + text + "': ")) << e.what();
      continue;
    }
    ++parsed;
    const std::string d = describe_model_spec(s);
    ASSERT_TRUE(d.rfind("cnn:", 0) == 0 || d.rfind("mlp:", 0) == 0) << text << " -> " << d;
    SCOPED_TRACE(text + " -> " + d);
    expect_same_spec(parse_model_spec(d), s);
    EXPECT_EQ(describe_model_spec(parse_model_spec(d)), d);

    // One edit the grammar may or may not be able to say.
    ModelSpec edited = s;
    LayerSpec& l = edited.layers[pick(edited.n_layers)];
    switch (pick(4)) {
      case 0:
        l.trainable = !l.trainable;
        break;
      case 1:
        l.alpha = 0.5f;
        break;
      case 2:
        edited.loss = LossKind::kMeanSquaredError;
        break;
      default:
        l.pad_same = layer_has_window(l.kind) ? !l.pad_same : l.pad_same;
        break;
    }
    if (!ok(edited.validate())) continue;
    const std::string e = describe_model_spec(edited);
    if (e.rfind("input ", 0) == 0) {
      ++listed_after_edit;
    } else {
      ++canonical_after_edit;
      expect_same_spec(parse_model_spec(e), edited);
    }
  }
  EXPECT_GT(parsed, 300u);
  EXPECT_GT(listed_after_edit, 50u);
  EXPECT_GT(canonical_after_edit, 20u);
}

TEST(ModelSpecTextCnn, MalformedSpecsAreRejectedWithAReason) {
  std::string too_deep = "cnn:8x8x1";
  for (int i = 0; i < 13; ++i) too_deep += "-c1k1";
  too_deep += "-d2";
  const struct {
    std::string text;
    const char* reason;
  } cases[] = {
      {"cnn:28x28x1-c8k30",
       "model spec 'cnn:28x28x1-c8k30': 'c8k30' (item 2): kernel 30 larger than the 28x28 input"},
      {"cnn:28x28x1-c8k3pad1-m30", "'m30' (item 3): kernel 30 larger than the 28x28 input"},
      {"cnn:28x28x1-c8k3-m2-c8k3-m2-c8k3-m30",
       "'m30' (item 7): kernel 30 larger than the 3x3 input"},
      {"cnn:5x5x1-c2k8pad1", "kernel 8 larger than the 5x5 input padded by 1"},
      {"cnn:9x5x1-c2k3x7", "kernel 3x7 larger than the 9x5 input"},
      {"cnn:28x28x1-c8k3pad3", "'c8k3pad3' (item 2): padding 3 must be smaller than the kernel 3"},
      {"cnn:28x28", "'28x28' (item 1): the input must be HxWxC (e.g. 28x28x1)"},
      {"cnn:28x0x1-d10", "input width is zero"},
      {"cnn:28x28xc-d10", "expected a number for the input channels"},
      {"cnn:28x28x1", "needs at least one layer after the input (e.g. cnn:28x28x1-c8k3-m2-d10)"},
      {"cnn:", "no layers (expected e.g. cnn:28x28x1-c8k3-m2-d10)"},
      {"cnn", "no layers"},
      {"cnn:28x28x1-q5",
       "'q5' (item 2): unknown layer (expected c<F>k<K>, dw<K>, m<K>, a<K>, p<K>, gap, flat or "
       "d<N>)"},
      {"cnn:28x28x1-pad1", "'pad1' (item 2): expected a number for the pool size"},
      {"cnn:28x28x1-c8", "expected k<K> (kernel size) after the filter count"},
      {"cnn:28x28x1-c0k3", "filters is zero"},
      {"cnn:28x28x1-c8k0", "kernel is zero"},
      {"cnn:28x28x1-c8k3s0", "stride is zero"},
      {"cnn:28x28x1-c8k3same",
       "expected a number for the stride (s<S>; 'same' padding is '+same')"},
      {"cnn:28x28x1-c8k3+same2", "unexpected '2'"},
      {"cnn:28x28x1-c8k3pad1+same", "unexpected '+same'"},
      {"cnn:28x28x1-m2x", "expected a number for the pool size"},
      {"cnn:28x28x1-c8k70000", "kernel is too large (max 65535)"},
      {"cnn:28x28x1-dw", "expected a number for the kernel"},
      {"cnn:28x28x1-d0", "units is zero"},
      {"cnn:28x28x1-d", "expected a number for the units"},
      {"cnn:28x28x1-c8k3-10", "'10' (item 3): unknown layer"},
      {"cnn:28x28x1-gap2", "'gap2' (item 2): unexpected '2'"},
      {"cnn:28x28x1--d10", "item 2 is empty"},
      {"cnn:28x28x1-d10-", "item 3 is empty"},
      {"cnn:4x4x1-gap", "softmax needs at least 2 outputs, the model ends with 1"},
      {"cnn:28x28x1-c8k3-d1", "softmax needs at least 2 outputs"},
      {"cnn:28x28x1-c8k3-d10:swish", "unknown activation 'swish' (relu|leaky_relu|sigmoid|tanh)"},
      {"cnn:28x28x1-c8k3-d10:relu:x", "too many ':' sections"},
      {too_deep, "28 layers (activations and flatten included), at most 24"},
      {"cnn:65536x65536x1-d2", "invalid (bad shape)"},
  };
  for (const auto& c : cases) {
    const std::string msg = error_of([&] { parse_model_spec(c.text); });
    EXPECT_TRUE(contains(msg, c.reason)) << "'" << c.text << "' gave: " << msg;
    EXPECT_EQ(msg.rfind("model spec '" + c.text + "': ", 0), 0u) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace tinyprop::host
