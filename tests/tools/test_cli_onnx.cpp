// `tinyprop import` and `tinyprop export --format onnx|tpm|c` end to end, on the built binary.
#include <gtest/gtest.h>
#include <string.h>

#include "formats/model_file.h"
#include "formats/onnx_model.h"
#include "onnx_test_models.h"
#include "test_cli_util.h"

namespace tinyprop {
namespace {

using cli_test::run_cli;
using onnx_test::OnnxBuilder;

std::vector<uint8_t> small_cnn_bytes() {
  OnnxBuilder b({1, 6, 6});
  OnnxBuilder::ints(b.node("Conv", {b.weight("w", {2, 1, 3, 3}), b.weight("b", {2})}, "conv"), "pads", {1, 1, 1, 1});
  b.batch_norm(2, "bn");
  b.node("Relu");
  OnnxBuilder::ints(b.node("MaxPool"), "kernel_shape", {2, 2});
  b.node("Flatten");
  OnnxBuilder::integer(b.node("Gemm", {b.weight("fw", {4, 50}), b.weight("fb", {4})}, "head"), "transB", 1);
  b.node("Softmax");
  return b.bytes();
}

TEST(CliOnnx, ImportExportImportKeepsEveryParameterBit) {
  cli_test::ScratchDir dir;
  cli_test::write_file(dir / "m.onnx", small_cnn_bytes());
  const cli_test::CliResult r =
      run_cli({"import", dir / "m.onnx", "--out", dir / "m.tpm", "--trainable", "last:1", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json j = r.json();
  EXPECT_EQ(j["frozen_layers"], 1);
  EXPECT_EQ(j["notes"].size(), 2u);  // the BN fold, the softmax
  const host::ModelFile m = host::load_model(dir / "m.tpm");
  const host::OnnxImport direct = host::import_onnx(small_cnn_bytes(), "m.onnx", {"last:1"});
  EXPECT_TRUE(host::same_model_spec(m.spec, direct.file.spec));
  EXPECT_EQ(m.params, direct.file.params);
  EXPECT_FALSE(m.spec.layers[0].trainable);

  ASSERT_EQ(run_cli({"export", "--model-in", dir / "m.tpm", "--format", "onnx", "--out", dir / "e.onnx"}).status, 0);
  ASSERT_EQ(run_cli({"import", dir / "e.onnx", "--out", dir / "e.tpm"}).status, 0);
  const host::ModelFile e = host::load_model(dir / "e.tpm");
  EXPECT_TRUE(host::same_model_spec(e.spec, m.spec));  // the frozen conv came back frozen
  ASSERT_EQ(e.params.size(), m.params.size());
  EXPECT_EQ(memcmp(e.params.data(), m.params.data(), 4 * m.params.size()), 0);

  ASSERT_EQ(run_cli({"export", "--model-in", dir / "m.tpm", "--format", "tpm", "--freeze", "2", "--out", dir / "f.tpm"}).status, 0);
  const host::ModelFile f = host::load_model(dir / "f.tpm");
  EXPECT_EQ(f.params, m.params);
  EXPECT_FALSE(f.spec.layers[f.spec.n_layers - 1].trainable);
  // The default stays the C header.
  ASSERT_EQ(run_cli({"export", "--model-in", dir / "m.tpm", "--out", dir / "m.h"}).status, 0);
  EXPECT_NE(cli_test::read_text(dir / "m.h").find("static const float m_params[M_PARAM_COUNT]"), std::string::npos);
}

TEST(CliOnnx, ErrorsAreOneLineAndLeaveTheOutputAlone) {
  cli_test::ScratchDir dir;
  OnnxBuilder b({4});
  b.node("MatMul", {b.weight("w", {4, 4})}, "fc");
  b.node("Elu", {}, "act");
  cli_test::write_file(dir / "elu.onnx", b.bytes());
  cli_test::write_file(dir / "old.tpm", {1, 2, 3});
  cli_test::CliResult r = run_cli({"import", dir / "elu.onnx", "--out", dir / "old.tpm"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "tinyprop: error: " + dir / "elu.onnx" +
                       ": node 'act' (Elu): operator Elu is not supported (docs/MODEL_FORMAT.md "
                       "lists the supported ones)\n");
  EXPECT_EQ(cli_test::read_file(dir / "old.tpm"), (std::vector<uint8_t>{1, 2, 3}));

  r = run_cli({"import", dir / "none.onnx", "--out", dir / "x.tpm"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("none.onnx"), std::string::npos) << r.err;

  cli_test::write_file(dir / "m.onnx", small_cnn_bytes());
  r = run_cli({"import", dir / "m.onnx", "--out", dir / "x.tpm", "--trainable", "nope"});
  EXPECT_EQ(r.err, "tinyprop: error: --trainable: no layer with parameters is named 'nope' (these "
                   "are: conv, head)\n");
  ASSERT_EQ(run_cli({"import", dir / "m.onnx", "--out", dir / "m.tpm"}).status, 0);
  r = run_cli({"export", "--model-in", dir / "m.tpm", "--format", "keras", "--out", dir / "k"});
  EXPECT_EQ(r.err, "tinyprop: error: --format 'keras': expected c, onnx or tpm\n");
  r = run_cli({"export", "--model-in", dir / "m.tpm", "--format", "onnx", "--symbol", "s", "--out", dir / "k"});
  EXPECT_EQ(r.err, "tinyprop: error: --symbol applies only to --format c\n");
}

}  // namespace
}  // namespace tinyprop
