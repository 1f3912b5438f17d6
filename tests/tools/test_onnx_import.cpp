// ONNX import: small models built with the protobuf classes, imported, and run by the core; the
// output must match a float64 NCHW reference of the same ONNX graph (onnx_test_models.h). This
// checks every operator mapping and the layout conversions (conv weights, the columns of the
// first dense layer after a flatten) at once: a wrong permutation changes the output.
#include <gtest/gtest.h>

#include "formats/onnx_model.h"
#include "onnx_test_models.h"
#include "util/error.h"

namespace tinyprop {
namespace {

using onnx_test::OnnxBuilder;

// Imports the builder's model and compares tinyprop's forward with the reference on a few
// random inputs: |y - ref| <= 1e-5 (1 + |ref|) (float32 against float64).
host::OnnxImport import_and_compare(OnnxBuilder& b, const host::OnnxImportOptions& o = {}) {
  const std::vector<uint8_t> bytes = b.bytes();
  host::OnnxImport im = host::import_onnx(bytes, "test.onnx", o);
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    const std::vector<float> x = onnx_test::random_input(b.input_dims(), seed);
    const onnx_test::Tensor ref = onnx_test::reference_forward(b.model(), x);
    const std::vector<float> y = onnx_test::tinyprop_forward(im.file, x);
    EXPECT_EQ(y.size(), ref.v.size());
    for (size_t i = 0; i < y.size() && i < ref.v.size(); ++i) {
      EXPECT_NEAR(y[i], ref.v[i], 1e-5 * (1.0 + fabs(ref.v[i]))) << "output " << i << " seed " << seed;
    }
  }
  return im;
}

TEST(OnnxImport, MlpWithGemmMatMulAddAndEveryActivation) {
  OnnxBuilder b({12});
  auto* g1 = b.node("Gemm", {b.weight("W1", {10, 12}), b.weight("b1", {10})}, "fc1");
  OnnxBuilder::integer(g1, "transB", 1);
  b.node("Relu");
  b.node("Gemm", {b.weight("W2", {10, 8}), b.weight("b2", {8}, -1, 1, /*raw=*/false)}, "fc2");
  OnnxBuilder::real(b.node("LeakyRelu"), "alpha", 0.2f);
  b.node("MatMul", {b.weight("W3", {8, 6})}, "fc3");
  b.node("Add", {b.weight("b3", {6})});
  b.node("Tanh");
  OnnxBuilder::integer(b.node("Gemm", {b.weight("W4", {7, 6}), b.weight("b4", {7})}, "fc4"), "transB", 1);
  b.node("Sigmoid");
  OnnxBuilder::integer(b.node("Gemm", {b.weight("W5", {3, 7}), b.weight("b5", {3})}, "out"), "transB", 1);
  b.node("Softmax");
  const host::OnnxImport im = import_and_compare(b);
  EXPECT_EQ(im.file.spec.loss, LossKind::kSoftmaxCrossEntropy);
  EXPECT_EQ(host::describe_model_spec(im.file.spec).substr(0, 5), "input");  // mixed activations
  ASSERT_EQ(im.file.spec.n_layers, 9u);
  EXPECT_EQ(im.file.spec.layers[0].kind, LayerKind::kDense);
  EXPECT_EQ(im.file.spec.layers[2].units, 8u);
  EXPECT_FLOAT_EQ(im.file.spec.layers[3].alpha, 0.2f);
  EXPECT_EQ(im.layer_names[0], "fc1");
}

// Conv + BN + ReLU, max pooling, depthwise conv + BN, average pooling with padding, a 1x1 conv,
// then Flatten of a 2 x 4 x 2 map (C x H x W; H != W so that a swapped permutation shows),
// Gemm, Dropout, Softmax. Input 3 x 8 x 6.
TEST(OnnxImport, CnnWithBatchNormDepthwisePoolsFlattenSoftmax) {
  OnnxBuilder b({3, 8, 6});
  auto* c1 = b.node("Conv", {b.weight("cw1", {4, 3, 3, 3}), b.weight("cb1", {4})}, "conv1");
  OnnxBuilder::ints(c1, "pads", {1, 1, 1, 1});
  b.batch_norm(4, "bn1");
  b.node("Relu");
  OnnxBuilder::ints(b.node("MaxPool"), "kernel_shape", {2, 2});  // ONNX default stride 1
  auto* dw = b.node("Conv", {b.weight("dw", {4, 1, 3, 3})}, "depthwise");
  OnnxBuilder::integer(dw, "group", 4);
  OnnxBuilder::ints(dw, "pads", {1, 1, 1, 1});
  b.batch_norm(4, "bn2");
  b.node("Relu");
  auto* ap = b.node("AveragePool");
  OnnxBuilder::ints(ap, "kernel_shape", {3, 2});
  OnnxBuilder::ints(ap, "strides", {2, 2});
  OnnxBuilder::ints(ap, "pads", {1, 0, 1, 0});
  b.node("Conv", {b.weight("pw", {2, 4, 1, 1}), b.weight("pb", {2})}, "pointwise");
  b.node("Flatten");
  auto* fc = b.node("Gemm", {b.weight("fw", {5, 16}), b.weight("fb", {5})}, "fc");
  OnnxBuilder::integer(fc, "transB", 1);
  b.node("Dropout");
  b.node("Softmax");
  const host::OnnxImport im = import_and_compare(b);
  const ModelSpec& s = im.file.spec;
  EXPECT_EQ(s.layers[0].kind, LayerKind::kConv2D);
  EXPECT_EQ(s.layers[1].kind, LayerKind::kReLU);  // the BN was folded
  EXPECT_EQ(s.layers[3].kind, LayerKind::kDepthwiseConv2D);
  EXPECT_EQ(s.layers[5].kind, LayerKind::kAvgPool2D);
  const Shape map = s.output_shape(6);
  EXPECT_EQ(map.h * 100 + map.w * 10 + map.c, 4u * 100 + 2 * 10 + 2);
  EXPECT_EQ(im.notes.size(), 4u);  // two folds, the dropout, the softmax
}

TEST(OnnxImport, GlobalAveragePoolReshapeSameUpperAndRectangularKernel) {
  OnnxBuilder b({2, 7, 5}, /*opset=*/11);
  auto* c = b.node("Conv", {b.weight("w", {3, 2, 3, 2}), b.weight("b", {3})}, "conv");
  OnnxBuilder::ints(c, "strides", {2, 2});
  OnnxBuilder::text(c, "auto_pad", "SAME_UPPER");
  b.node("Sigmoid");
  b.node("GlobalAveragePool");
  b.node("Reshape", {b.int64s("shape", {1, -1})});
  b.node("Gemm", {b.weight("fw", {3, 4}), b.weight("fb", {4})}, "head");
  b.node("LogSoftmax");
  const host::OnnxImport im = import_and_compare(b);
  EXPECT_TRUE(im.file.spec.layers[0].pad_same);
}

// The folded weights equal W s and (b - mean) s + beta computed in float64 and rounded once.
TEST(OnnxImport, BatchNormFoldIsTheFloat64ResultRoundedOnce) {
  OnnxBuilder b({2, 4, 4});
  b.node("Conv", {b.weight("w", {3, 2, 3, 3}), b.weight("b", {3})}, "conv");
  auto* bn = b.batch_norm(3, "bn");
  OnnxBuilder::real(bn, "epsilon", 1e-3f);
  b.node("Flatten");
  auto* fc = b.node("Gemm", {b.weight("fw", {2, 12}), b.weight("fb", {2})}, "fc");
  OnnxBuilder::integer(fc, "transB", 1);
  const host::OnnxImport im = import_and_compare(b);
  std::map<std::string, std::vector<double>> t;
  for (const onnx::TensorProto& x : b.model().graph().initializer()) t[x.name()] = onnx_test::reference_floats(x);
  const double eps = static_cast<double>(1e-3f);
  for (int o = 0; o < 3; ++o) {
    const double s = t["bn_scale"][o] / sqrt(t["bn_var"][o] + eps);
    for (int i = 0; i < 2; ++i)
      for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 3; ++x) {
          const float want = static_cast<float>(t["w"][((o * 2 + i) * 3 + y) * 3 + x] * s);
          const float got = im.file.params[((o * 3 + y) * 3 + x) * 2 + i];  // [C_out, K_h, K_w, C_in]
          EXPECT_EQ(memcmp(&want, &got, 4), 0) << o << " " << i << " " << y << " " << x;
        }
    const float want_b = static_cast<float>((t["b"][o] - t["bn_mean"][o]) * s + t["bn_B"][o]);
    EXPECT_EQ(memcmp(&want_b, &im.file.params[54 + o], 4), 0) << "bias " << o;
  }
}

TEST(OnnxImport, TrainableLastNAndNames) {
  auto mlp = [] {
    OnnxBuilder b({4});
    b.node("MatMul", {b.weight("a", {4, 5})}, "backbone");
    b.node("Relu");
    b.node("MatMul", {b.weight("c", {5, 5})}, "neck");
    b.node("Relu");
    b.node("MatMul", {b.weight("d", {5, 3})}, "head");
    return b.bytes();
  };
  auto flags = [](const host::OnnxImport& im) {
    std::string s;
    for (uint32_t i = 0; i < im.file.spec.n_layers; ++i) {
      if (layer_has_params(im.file.spec.layers[i].kind)) s += im.file.spec.layers[i].trainable ? '1' : '0';
    }
    return s;
  };
  EXPECT_EQ(flags(host::import_onnx(mlp(), "m.onnx", {})), "111");
  EXPECT_EQ(flags(host::import_onnx(mlp(), "m.onnx", {"last:1"})), "001");
  EXPECT_EQ(flags(host::import_onnx(mlp(), "m.onnx", {"last:0"})), "000");
  EXPECT_EQ(flags(host::import_onnx(mlp(), "m.onnx", {"neck,head"})), "011");
  try {
    host::import_onnx(mlp(), "m.onnx", {"neck,tail"});
    ADD_FAILURE() << "an unknown name was accepted";
  } catch (const host::Error& e) {
    EXPECT_STREQ(e.what(), "--trainable: no layer with parameters is named 'tail' (these are: backbone, neck, head)");
  }
  EXPECT_THROW(host::import_onnx(mlp(), "m.onnx", {"last:4"}), host::Error);
  EXPECT_THROW(host::import_onnx(mlp(), "m.onnx", {"last:x"}), host::Error);
}

}  // namespace
}  // namespace tinyprop
