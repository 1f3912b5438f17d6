// Models exported to ONNX by torch.onnx.export (tests/fixtures/onnx, written by
// refgen/make_onnx_fixtures.py, which records the torch and onnx versions): each imported by
// tinyprop and run on the fixed inputs; its outputs must match what torch computed within 1e-5
// relative (of the largest output of the sample, so that outputs near zero are not judged by
// their own tiny size). A model ending in Softmax is compared on torch's logits (the core's
// output) and, after a softmax (log softmax) here, on torch's probabilities (their logs). The malformed and unsupported
// files must give the errors the fixture names.
#include <gtest/gtest.h>
#include <math.h>
#include <string.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "formats/onnx_model.h"
#include "onnx_test_models.h"
#include "util/error.h"

namespace tinyprop {
namespace {

const std::string kDir = std::string(TINYPROP_SOURCE_DIR) + "/tests/fixtures/onnx/";

nlohmann::json read_json(const std::string& name) {
  std::ifstream f(kDir + name);
  return nlohmann::json::parse(f);
}

// max over outputs of |y - t| / max_j |t_j|.
double relative_error(const std::vector<double>& y, const std::vector<float>& t) {
  double scale = 0.0, worst = 0.0;
  for (float v : t) scale = std::max(scale, fabs(static_cast<double>(v)));
  for (size_t i = 0; i < y.size(); ++i) worst = std::max(worst, fabs(y[i] - static_cast<double>(t[i])) / scale);
  return worst;
}

// softmax(z), or log softmax(z) with log_of.
std::vector<double> softmax(const std::vector<float>& z, bool log_of) {
  double mx = -INFINITY, sum = 0.0;
  for (float v : z) mx = std::max(mx, static_cast<double>(v));
  std::vector<double> p;
  for (float v : z) p.push_back(exp(static_cast<double>(v) - mx));
  for (double v : p) sum += v;
  for (size_t i = 0; i < p.size(); ++i) {
    p[i] = log_of ? static_cast<double>(z[i]) - mx - log(sum) : p[i] / sum;
  }
  return p;
}

class OnnxFixture : public ::testing::TestWithParam<const char*> {};

TEST_P(OnnxFixture, ImportedModelComputesWhatTorchComputed) {
  const nlohmann::json j = read_json(std::string(GetParam()) + ".json");
  const host::OnnxImport im = host::import_onnx_file(kDir + j["onnx"].get<std::string>(), {});
  const bool log_softmax_out = j["output"] == "log_softmax";
  const bool softmax_out = j["output"] == "softmax" || log_softmax_out;
  const nlohmann::json& expected = softmax_out ? j["logits"] : j["outputs"];
  ASSERT_EQ(j["inputs"].size(), expected.size());
  double worst = 0.0, worst_prob = 0.0;
  for (size_t s = 0; s < j["inputs"].size(); ++s) {
    const std::vector<float> x = j["inputs"][s].get<std::vector<float>>();
    const std::vector<float> y = onnx_test::tinyprop_forward(im.file, x);
    const std::vector<float> t = expected[s].get<std::vector<float>>();
    ASSERT_EQ(y.size(), t.size());
    worst = std::max(worst, relative_error(std::vector<double>(y.begin(), y.end()), t));
    if (softmax_out) worst_prob = std::max(worst_prob, relative_error(softmax(y, log_softmax_out), j["outputs"][s].get<std::vector<float>>()));
  }
  EXPECT_LE(worst, 1e-5);
  EXPECT_LE(worst_prob, 1e-5);
  std::printf("  %s (%zu samples, input %s): largest relative difference %.2e", GetParam(),
              j["inputs"].size(), j["input_layout"].get<std::string>().c_str(), worst);
  if (softmax_out) std::printf("; after the %s %.2e", log_softmax_out ? "log softmax" : "softmax", worst_prob);
  std::printf("\n");
}

// The Python package (python/tinyprop) converts the same torch models to .tpm on its own (from the
// nn.Sequential, not from ONNX): both converters give the same layers and the same parameter bits.
// (The package marks layers without parameters trainable, the core's builders do not; that flag
// means nothing for them and is set aside here.)
TEST_P(OnnxFixture, SameModelAndBitsAsThePythonPackagesConversion) {
  const nlohmann::json j = read_json(std::string(GetParam()) + ".json");
  const host::OnnxImport im = host::import_onnx_file(kDir + j["onnx"].get<std::string>(), {});
  host::ModelFile py = host::load_model(kDir + j["tpm"].get<std::string>());
  for (uint32_t i = 0; i < py.spec.n_layers; ++i) {
    if (!layer_has_params(py.spec.layers[i].kind)) py.spec.layers[i].trainable = false;
  }
  EXPECT_TRUE(host::same_model_spec(im.file.spec, py.spec))
      << host::describe_model_spec(im.file.spec) << " vs " << host::describe_model_spec(py.spec);
  ASSERT_EQ(im.file.params.size(), py.params.size());
  EXPECT_EQ(memcmp(im.file.params.data(), py.params.data(), 4 * py.params.size()), 0);
}

INSTANTIATE_TEST_SUITE_P(TorchExports, OnnxFixture,
                         ::testing::Values("mlp", "cnn", "cnn_gap", "keras"));

TEST(OnnxFixtureErrors, MalformedAndUnsupportedFilesNameTheProblem) {
  const nlohmann::json j = read_json("bad.json");
  ASSERT_GE(j["cases"].size(), 5u);
  for (const nlohmann::json& c : j["cases"]) {
    const std::string file = c["file"];
    SCOPED_TRACE(file);
    try {
      host::import_onnx_file(kDir + file, {});
      ADD_FAILURE() << "accepted";
    } catch (const host::Error& e) {
      const std::string m = e.what();
      EXPECT_EQ(m.find('\n'), std::string::npos);
      for (const std::string part : c["error_contains"]) EXPECT_NE(m.find(part), std::string::npos) << m;
      std::printf("  %s: %s\n", file.c_str(), m.c_str());
    }
  }
}

}  // namespace
}  // namespace tinyprop
