// tinyprop compare on the CNN scenarios in quick mode: mnist-cnn and fmnist-cnn on
// generated IDX files, cifar10-cnn on generated files in the real CIFAR-10 binary format, the
// element- and channel-level convolution selection, and the error exits.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "test_cli_util.h"

namespace tinyprop::cli_test {
namespace {

// n learnable 32x32x3 images in CIFAR-10's binary record format (1 label byte, then the
// 1024-byte R, G and B planes): class c lights a 3-row band at rows 3c..3c+2 in the c % 3
// colour plane, over low noise. Deterministic (LCG of `seed`).
void write_cifar_like(const std::string& path, uint32_t n, uint32_t seed) {
  std::vector<uint8_t> b;
  uint32_t state = seed * 2654435761u + 7u;
  auto next = [&state]() {
    state = state * 1664525u + 1013904223u;
    return state >> 24;  // 0..255
  };
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t c = next() % 10;
    b.push_back(static_cast<uint8_t>(c));
    for (uint32_t plane = 0; plane < 3; ++plane) {
      for (uint32_t r = 0; r < 32; ++r) {
        for (uint32_t col = 0; col < 32; ++col) {
          const bool band = plane == c % 3 && r >= 3 * c && r < 3 * c + 3;
          const uint32_t noise = next() / 8;  // 0..31
          b.push_back(static_cast<uint8_t>(band ? 200 + noise : noise));
        }
      }
    }
  }
  write_file(path, b);
}

class CliCompareCnn : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new ScratchDir();
    data_ = make_data_dir_with_fashion(*root_, 400, 100);  // fmnist-cnn reads data/fashion-mnist
    const std::string cifar = data_ + "/cifar-10-batches-bin";
    std::filesystem::create_directories(cifar);
    for (uint32_t i = 1; i <= 5; ++i) {
      write_cifar_like(cifar + "/data_batch_" + std::to_string(i) + ".bin", 80, i);
    }
    write_cifar_like(cifar + "/test_batch.bin", 100, 9);
  }
  static void TearDownTestSuite() { delete root_; }
  static CliResult compare(const std::string& scenario, const std::string& out_name,
                           std::vector<std::string> extra = {}) {
    extra.push_back("--json");
    return run_cli(quick_compare_args(scenario, data_, *root_ / out_name, extra));
  }
  // The summary entry of a method label.
  static const nlohmann::json& method(const nlohmann::json& j, const std::string& label) {
    for (const auto& m : j["methods"]) {
      if (m["label"] == label) return m;
    }
    ADD_FAILURE() << "no method " << label;
    return j["methods"][0];
  }
  static ScratchDir* root_;
  static std::string data_;
};
ScratchDir* CliCompareCnn::root_ = nullptr;
std::string CliCompareCnn::data_;

TEST_F(CliCompareCnn, MnistCnnRunsEveryMethodWithElementSelection) {
  const CliResult r = compare("mnist-cnn", "mnist-cnn");
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json j = r.json();
  EXPECT_EQ(j["scenario"], "mnist-cnn");
  EXPECT_EQ(j["protocol"]["model"], "cnn:28x28x1-c8k3-m2-c16k3-m2-d10");
  EXPECT_EQ(j["protocol"]["dataset"], "mnist");
  EXPECT_EQ(j["protocol"]["conv_selection"], "element");
  EXPECT_EQ(j["layers"], (nlohmann::json{"conv3x3 1>8", "conv3x3 8>16", "400x10"}));
  EXPECT_EQ(j["targets"]["compute_target"], 0.25);
  EXPECT_EQ(j["targets"]["accuracy_target_pp"], 1.5);
  // Element selection: static r = 0.1 keeps floor(0.1 N) of each conv layer's N outputs
  // (26x26x8 = 5408 -> 540, 11x11x16 = 1936 -> 193).
  const nlohmann::json& s = method(j, "static r=0.1");
  EXPECT_NEAR(s["layer_ratio"][0].get<double>(), 540.0 / 5408.0, 1e-9);
  EXPECT_NEAR(s["layer_ratio"][1].get<double>(), 193.0 / 1936.0, 1e-9);
  EXPECT_EQ(s["sparsity"]["conv_selection"], "element");
  EXPECT_EQ(method(j, "full")["backward_rel"]["mean"], 1.0);
  // The sparse methods do less backward work than full.
  EXPECT_LT(s["backward_rel"]["mean"].get<double>(), 0.2);
  EXPECT_LT(method(j, "tinyprop 0.1/0.9/0.5")["backward_rel"]["mean"].get<double>(), 1.0);
}

TEST_F(CliCompareCnn, ChannelSelectionChoosesWholeFilters) {
  const CliResult r = compare("fmnist-cnn", "fmnist-cnn-channel", {"--conv-selection", "channel"});
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json j = r.json();
  EXPECT_EQ(j["protocol"]["dataset"], "fashion-mnist");
  EXPECT_EQ(j["protocol"]["conv_selection"], "channel");
  // Channel selection: k_channels = clamp(floor(r C_out), 1, C_out): at r = 0.3, 2 of 8 filters
  // and 4 of 16, so the layer ratio is a whole number of channels; the dense layer is unchanged.
  const nlohmann::json& s = method(j, "static r=0.3");
  EXPECT_EQ(s["sparsity"]["conv_selection"], "channel");
  EXPECT_NEAR(s["layer_ratio"][0].get<double>(), 2.0 / 8.0, 1e-9);
  EXPECT_NEAR(s["layer_ratio"][1].get<double>(), 4.0 / 16.0, 1e-9);
  EXPECT_NEAR(s["layer_ratio"][2].get<double>(), 3.0 / 10.0, 1e-9);
  for (const auto& run : j["runs"]) {
    if (run["sparsity"]["method"] != "full") EXPECT_EQ(run["sparsity"]["conv_selection"], "channel");
  }
}

TEST_F(CliCompareCnn, Cifar10CnnRunsOnFilesInTheRealFormat) {
  const CliResult r = compare("cifar10-cnn", "cifar10-cnn");
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json j = r.json();
  EXPECT_EQ(j["protocol"]["dataset"], "cifar10");
  EXPECT_EQ(j["protocol"]["model"], "cnn:32x32x3-c16k3-m2-c32k3-m2-d10");
  // 5 x 80 training records: the quick split pretrains on 200 and fine-tunes on 200.
  EXPECT_EQ(j["protocol"]["pretrain_samples"], 200);
  EXPECT_EQ(j["protocol"]["finetune_samples"], 200);
  EXPECT_EQ(j["protocol"]["test_samples"], 100);
  EXPECT_EQ(j["layers"][0], "conv3x3 3>16");
}

TEST_F(CliCompareCnn, FinetuneTakesTheConvSelection) {
  const std::string model = *root_ / "cnn.tpm";
  const CliResult t = run_cli({"train", "--model", "cnn:28x28x1-c4k3-m2-d10", "--data-dir", data_,
                               "--subset", "100", "--epochs", "1", "--out", model, "--quiet"});
  ASSERT_EQ(t.status, 0) << t.err;
  // static r = 0.3: channel selection keeps clamp(floor(0.3 x 4), 1, 4) = 1 of 4 filters;
  // element selection floor(0.3 x 26 x 26 x 4) = 811 of 2704 outputs.
  const std::vector<std::pair<std::string, double>> cases = {{"channel", 1.0 / 4.0},
                                                             {"element", 811.0 / 2704.0}};
  for (const auto& [mode, ratio] : cases) {
    SCOPED_TRACE(mode);
    const CliResult r = run_cli({"finetune", "--model-in", model, "--data-dir", data_, "--subset",
                                 "100:150", "--method", "static", "--ratio", "0.3",
                                 "--conv-selection", mode, "--out", *root_ / ("ft-" + mode + ".tpm"),
                                 "--json", "--quiet"});
    ASSERT_EQ(r.status, 0) << r.err;
    const nlohmann::json j = r.json();
    EXPECT_EQ(j["config"]["conv_selection"], mode);
    EXPECT_NEAR(j["counters"]["layers"][0]["mean_k_over_n"].get<double>(), ratio, 1e-9)
        << j["counters"]["layers"].dump();
  }
  const CliResult bad = run_cli({"finetune", "--model-in", model, "--data-dir", data_,
                                 "--conv-selection", "rows", "--out", *root_ / "ft-bad.tpm"});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("--conv-selection 'rows'"), std::string::npos) << bad.err;
  EXPECT_FALSE(std::filesystem::exists(*root_ / "ft-bad.tpm"));
}

TEST_F(CliCompareCnn, MissingCifarSaysHowToGetIt) {
  const std::string empty = *root_ / "no-data";
  std::filesystem::create_directories(empty);
  const CliResult r = run_cli({"compare", "--scenario", "cifar10-cnn", "--quick", "--data-dir",
                               empty, "--out-dir", *root_ / "none", "--no-plots"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("cifar-10-binary.tar.gz"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("data_batch_1"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(*root_ / "none"));
}

TEST_F(CliCompareCnn, BadConvSelectionIsAOneLineError) {
  const CliResult bad = compare("mnist-cnn", "bad", {"--conv-selection", "filter"});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("--conv-selection 'filter': expected element or channel"),
            std::string::npos)
      << bad.err;
  // Channel selection means nothing for an MLP: refused rather than silently ignored.
  const CliResult mlp = compare("mnist-mlp", "bad-mlp", {"--conv-selection", "channel"});
  EXPECT_NE(mlp.status, 0);
  EXPECT_NE(mlp.err.find("has no convolutions"), std::string::npos) << mlp.err;
  const CliResult unknown = compare("svhn-cnn", "bad-name");
  EXPECT_NE(unknown.status, 0);
  EXPECT_NE(unknown.err.find("unknown scenario 'svhn-cnn'"), std::string::npos) << unknown.err;
  for (const char* d : {"bad", "bad-mlp", "bad-name"}) {
    EXPECT_FALSE(std::filesystem::exists(*root_ / d)) << d;
  }
}

}  // namespace
}  // namespace tinyprop::cli_test
