// ONNX export: the file a tinyprop model becomes runs (in the float64 NCHW reference) to the same
// outputs as tinyprop's forward, imports back to the same spec and the same parameter bits, and
// passes onnx.checker (Debian's python3-onnx).
#include <gtest/gtest.h>
#include <string.h>

#include "../missing_dependency.h"
#include "experiments/train_loop.h"
#include "formats/onnx_model.h"
#include "onnx_test_models.h"
#include "test_cli_util.h"
#include "tinyprop/rng.h"
#include "util/error.h"

namespace tinyprop {
namespace {

host::ModelFile random_model(const std::string& spec_text, uint64_t seed) {
  host::ModelFile f;
  f.spec = host::parse_model_spec(spec_text);
  host::InferenceModel net(f.spec);
  Rng rng(seed);
  net.model().init_params(rng);
  f.params.assign(net.model().params(), net.model().params() + net.model().param_count());
  // Non-zero biases, so that a bias in the wrong place shows.
  for (size_t i = 0; i < f.params.size(); ++i) f.params[i] += 0.01f * static_cast<float>(i % 7);
  return f;
}

void expect_same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(memcmp(a.data(), b.data(), 4 * a.size()), 0);
}

const char* kSpecs[] = {
    "mlp:20-16-8-4:tanh",
    "cnn:9x7x2-c4k3+same-m2-dw3s2pad1-a2s1-c3k1-d5:leaky_relu",
    "cnn:8x8x3-c4k3x2s2-gap-d3",
    "cnn:6x6x1-c2k3-flat-d4:sigmoid",
};

TEST(OnnxExport, RunsLikeTinypropAndReimportsBitIdentical) {
  uint64_t seed = 1;
  for (const char* text : kSpecs) {
    SCOPED_TRACE(text);
    host::ModelFile f = random_model(text, seed++);
    const std::vector<uint8_t> bytes = host::encode_onnx(f);
    onnx::ModelProto m;
    ASSERT_TRUE(m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
    std::vector<int64_t> dims;
    for (int i = 1; i < m.graph().input(0).type().tensor_type().shape().dim_size(); ++i) {
      dims.push_back(m.graph().input(0).type().tensor_type().shape().dim(i).dim_value());
    }
    const std::vector<float> x = onnx_test::random_input(dims, 3);
    const onnx_test::Tensor ref = onnx_test::reference_forward(m, x);
    const std::vector<float> y = onnx_test::tinyprop_forward(f, x);
    ASSERT_EQ(y.size(), ref.v.size());
    for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], ref.v[i], 1e-5 * (1.0 + fabs(ref.v[i])));

    const host::OnnxImport back = host::import_onnx(bytes, "export.onnx", {});
    EXPECT_TRUE(host::same_model_spec(back.file.spec, f.spec)) << host::describe_model_spec(back.file.spec);
    expect_same_bits(back.file.params, f.params);
    EXPECT_EQ(host::encode_onnx(back.file), bytes);
  }
}

TEST(OnnxExport, KeepsTheLossAndTheFrozenLayers) {
  host::ModelFile f = random_model("mlp:6-5-4-3", 9);
  f.spec.loss = LossKind::kMeanSquaredError;
  f.spec.layers[0].trainable = false;
  const host::OnnxImport back = host::import_onnx(host::encode_onnx(f), "e.onnx", {});
  EXPECT_TRUE(host::same_model_spec(back.file.spec, f.spec));
  // --trainable overrides what the file recorded.
  const host::OnnxImport all = host::import_onnx(host::encode_onnx(f), "e.onnx", {"last:3"});
  EXPECT_TRUE(all.file.spec.layers[0].trainable);
}

// An ONNX model imported, exported and imported again: the same parameters, bit for bit.
TEST(OnnxExport, ImportExportImportIsBitIdentical) {
  onnx_test::OnnxBuilder b({2, 6, 5});
  onnx_test::OnnxBuilder::ints(b.node("Conv", {b.weight("w", {3, 2, 3, 3}), b.weight("b", {3})}, "c"), "pads", {1, 1, 1, 1});
  b.batch_norm(3, "bn");
  b.node("Relu");
  b.node("Flatten");
  b.node("MatMul", {b.weight("fw", {90, 4})}, "fc");
  b.node("Add", {b.weight("fb", {4})});
  const host::OnnxImport first = host::import_onnx(b.bytes(), "a.onnx", {});
  const host::OnnxImport second = host::import_onnx(host::encode_onnx(first.file), "b.onnx", {});
  EXPECT_TRUE(host::same_model_spec(first.file.spec, second.file.spec));
  expect_same_bits(first.file.params, second.file.params);
}

// onnx.checker (full check, with shape inference) on every export.
TEST(OnnxExport, OnnxCheckerAcceptsTheExport) {
  if (system("/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1") != 0) {
    TINYPROP_MISSING_DEPENDENCY("python3-onnx is not installed (scripts/install-deps.sh cli)");
  }
  cli_test::ScratchDir dir;
  uint64_t seed = 1;
  for (const char* text : kSpecs) {
    SCOPED_TRACE(text);
    const std::string path = dir / "m.onnx";
    host::save_onnx(path, random_model(text, seed++));
    const std::string cmd = "/usr/bin/python3 -c 'import onnx, sys; m = onnx.load(sys.argv[1]); "
                            "onnx.checker.check_model(m, full_check=True)' " + path + " 2>&1";
    EXPECT_EQ(system(cmd.c_str()), 0) << cmd;
  }
}

}  // namespace
}  // namespace tinyprop
