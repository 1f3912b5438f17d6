// The tinyprop command end to end on a small generated IDX data set: train, finetune with each
// method, eval, info, export, with text and --json output.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_cli_util.h"

namespace tinyprop::cli_test {
namespace {

// One pretrained model shared by the tests of this file (training it is the slow part).
class CliWorkflow : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new ScratchDir();
    data_ = make_data_dir(*root_);
    model_ = *root_ / "pre.tpm";
    const CliResult r = run_cli({"train", "--model", "mlp:784-32-16-10", "--data-dir", data_,
                                 "--subset", "0:400", "--epochs", "3", "--batch", "16",
                                 "--seed", "7", "--out", model_, "--json"});
    ASSERT_EQ(r.status, 0) << r.err;
    train_json_ = new nlohmann::json(r.json());
  }
  static void TearDownTestSuite() {
    delete train_json_;
    delete root_;
  }
  static ScratchDir* root_;
  static std::string data_, model_;
  static nlohmann::json* train_json_;
};
ScratchDir* CliWorkflow::root_ = nullptr;
std::string CliWorkflow::data_, CliWorkflow::model_;
nlohmann::json* CliWorkflow::train_json_ = nullptr;

TEST_F(CliWorkflow, TrainWritesAModelWithMetadata) {
  ASSERT_TRUE(exists(model_));
  const nlohmann::json& j = *train_json_;
  EXPECT_EQ(j["model"], "mlp:784-32-16-10");
  EXPECT_EQ(j["train_samples"], 400);
  EXPECT_EQ(j["seed"], 7);
  // The data are easy: far above chance (10%) after three epochs.
  EXPECT_GT(j["accuracy"]["test"].get<double>(), 0.5);
  EXPECT_NE(j["command"].get<std::string>().find("--subset 0:400"), std::string::npos);

  const CliResult info = run_cli({"info", "--model-in", model_, "--json"});
  ASSERT_EQ(info.status, 0) << info.err;
  const nlohmann::json meta = info.json()["metadata"];
  EXPECT_EQ(meta["dataset"], j["dataset"]);
  EXPECT_EQ(meta["accuracy"]["test"], j["accuracy"]["test"]);
}

TEST_F(CliWorkflow, EvalReproducesTheTestAccuracyOfTrain) {
  const CliResult r = run_cli({"eval", "--model-in", model_, "--data-dir", data_, "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json j = r.json();
  EXPECT_EQ(j["samples"], 200);
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), (*train_json_)["accuracy"]["test"].get<double>());
  size_t counted = 0;
  for (const auto& c : j["per_class"]) counted += c["samples"].get<size_t>();
  EXPECT_EQ(counted, 200u);

  const CliResult text = run_cli({"eval", "--model-in", model_, "--data-dir", data_});
  ASSERT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find("accuracy"), std::string::npos);
  EXPECT_TRUE(text.err.empty()) << "no progress bar when stderr is not a terminal: " << text.err;
}

TEST_F(CliWorkflow, FinetuneWithEachMethodWritesModelAndReport) {
  struct Case {
    std::vector<std::string> flags;
    std::string method;
  };
  const std::vector<Case> cases = {
      {{"--method", "full"}, "full"},
      {{"--method", "static", "--ratio", "0.25"}, "static"},
      {{"--method", "tinyprop", "--s-min", "0.1", "--s-max", "0.9", "--zeta", "0.5"}, "tinyprop"},
      {{"--method", "tinypropv2", "--skip-threshold", "0.5"}, "tinypropv2"},
      {{"--method", "budget", "--budget", "0.2"}, "budget"},
      {{"--method", "tinyprop", "--s-max", "1", "--zeta", "1", "--max-backward-macs", "9000"},
       "tinyprop-bounded"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.method);
    const std::string out = *root_ / ("ft-" + c.method + ".tpm");
    const std::string report = *root_ / ("ft-" + c.method + ".json");
    std::vector<std::string> args = {"finetune", "--model-in", model_, "--data-dir", data_,
                                     "--subset", "400:600", "--lr", "0.01", "--out", out,
                                     "--report", report};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    const CliResult r = run_cli(args);
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_TRUE(exists(out));
    const nlohmann::json j = nlohmann::json::parse(read_text(report));
    EXPECT_EQ(j["config"]["method"], c.method == "tinyprop-bounded" ? "tinyprop" : c.method);
    EXPECT_EQ(j["train_samples"], 200);
    EXPECT_EQ(j["eval"]["samples"], 200);
    EXPECT_EQ(j["eval"]["accuracy_before"], (*train_json_)["accuracy"]["test"]);
    const nlohmann::json& k = j["counters"];
    EXPECT_EQ(k["steps"], 200);
    EXPECT_EQ(k["forward_macs"].get<uint64_t>(), 200u * (784 * 32 + 32 * 16 + 16 * 10));
    // Full backward: dW of every layer, dx of all but the first.
    EXPECT_EQ(k["backward_macs_full"].get<uint64_t>(),
              200u * (784 * 32 + 2 * 32 * 16 + 2 * 16 * 10));
    EXPECT_LE(k["backward_macs"].get<uint64_t>(), k["backward_macs_full"].get<uint64_t>());
    // Executed MACs: at most the counted ones (zero-skipping), and every step does some.
    EXPECT_LE(k["forward_macs_done"].get<uint64_t>(), k["forward_macs"].get<uint64_t>());
    EXPECT_GE(k["forward_macs_done"].get<uint64_t>(), 200u * (32 * 16 + 16 * 10));
    EXPECT_LE(k["backward_macs_done"].get<uint64_t>(), k["backward_macs"].get<uint64_t>());
    EXPECT_GT(k["backward_macs_done"].get<uint64_t>(), 0u);
    ASSERT_EQ(k["layers"].size(), 3u);
    const double ratio = j["backward_ratio"].get<double>();
    if (c.method == "full") {
      EXPECT_EQ(ratio, 1.0);
      EXPECT_EQ(k["selection_comparisons"], 0);
      for (const auto& l : k["layers"]) EXPECT_EQ(l["mean_k_over_n"], 1.0);
    } else {
      EXPECT_LT(ratio, 0.6);
      EXPECT_GT(k["selection_comparisons"].get<uint64_t>(), 0u);
    }
    if (c.method == "static") {
      // k = floor(0.25 N): 8 of 32, 4 of 16, 2 of 10.
      EXPECT_NEAR(k["layers"][0]["mean_k_over_n"].get<double>(), 0.25, 1e-9);
      EXPECT_NEAR(k["layers"][1]["mean_k_over_n"].get<double>(), 0.25, 1e-9);
      EXPECT_NEAR(k["layers"][2]["mean_k_over_n"].get<double>(), 0.2, 1e-9);
    }
    if (c.method == "tinyprop-bounded") {  // S_max 1, zeta 1 would reach 26,432 per step
      EXPECT_LE(k["backward_macs"].get<uint64_t>(), 200u * 9000u);
    }
    if (c.method == "tinypropv2" || c.method == "budget") {
      // Both skip the samples the model already knows (budget: those whose step budget cannot
      // buy one neuron per layer).
      EXPECT_GT(j["skip_rate"].get<double>(), 0.0);
      EXPECT_GT(k["skipped_steps"].get<uint64_t>(), 0u);
      EXPECT_DOUBLE_EQ(j["skip_rate"].get<double>(),
                       static_cast<double>(k["skipped_steps"].get<uint64_t>()) / 200.0);
    } else {
      EXPECT_EQ(j["skip_rate"].get<double>(), 0.0);
    }
    // The new model is usable and its accuracy is the one the report states.
    const CliResult e = run_cli({"eval", "--model-in", out, "--data-dir", data_, "--json"});
    ASSERT_EQ(e.status, 0) << e.err;
    EXPECT_DOUBLE_EQ(e.json()["accuracy"].get<double>(), j["eval"]["accuracy_after"].get<double>());
  }
}

TEST_F(CliWorkflow, FinetuneRefusesABoundBelowOneNeuronPerLayer) {
  // 784-32-16-10: k = 1 everywhere costs 784 + 2 x 32 + 2 x 16 = 880 backward MACs.
  const CliResult r = run_cli({"finetune", "--model-in", model_, "--data-dir", data_, "--subset",
                               "400:410", "--out", *root_ / "ft-bound.tpm", "--max-backward-macs",
                               "879"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("tinyprop: error: the per-step bound cannot be kept"), std::string::npos)
      << r.err;
  EXPECT_FALSE(exists(*root_ / "ft-bound.tpm"));
}

TEST_F(CliWorkflow, FinetuneIsDeterministicForASeed) {
  std::vector<std::string> base = {"finetune", "--model-in", model_, "--data-dir", data_,
                                   "--subset", "400:600", "--method", "tinyprop", "--json"};
  auto run = [&](const std::string& name, const std::string& seed) {
    std::vector<std::string> a = base;
    a.insert(a.end(), {"--seed", seed, "--out", *root_ / name});
    const CliResult r = run_cli(a);
    EXPECT_EQ(r.status, 0) << r.err;
  };
  run("det-a.tpm", "3");
  run("det-b.tpm", "3");
  run("det-c.tpm", "4");
  // The files differ in their metadata (the command line names the output), so compare what
  // the weights do: the same seed gives the same test loss to the last bit, another seed
  // (another sample order) a different one.
  auto loss_of = [&](const std::string& name) {
    const CliResult e = run_cli({"eval", "--model-in", *root_ / name, "--data-dir", data_, "--json"});
    EXPECT_EQ(e.status, 0) << e.err;
    return e.json()["loss"].get<double>();
  };
  EXPECT_EQ(loss_of("det-a.tpm"), loss_of("det-b.tpm"));
  EXPECT_NE(loss_of("det-a.tpm"), loss_of("det-c.tpm"));
}

TEST_F(CliWorkflow, InfoPlansMemoryForEveryOptimizer) {
  const CliResult r = run_cli({"info", "--model", "mlp:784-128-64-10", "--batch", "8", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json j = r.json();
  EXPECT_EQ(j["parameters"], 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10);
  ASSERT_EQ(j["memory"]["training"].size(), 6u);  // 3 optimizers x (batch 1, batch 8)
  auto bytes_of = [&](const std::string& opt, int batch, const std::string& region) {
    for (const auto& e : j["memory"]["training"]) {
      if (e["optimizer"] == opt && e["batch"] == batch) return e["bytes"][region].get<uint64_t>();
    }
    ADD_FAILURE() << opt << " batch " << batch << " missing";
    return uint64_t{0};
  };
  const uint64_t params = 4u * j["parameters"].get<uint64_t>();
  const std::string opt_region = "optimizer_state";
  ASSERT_TRUE(j["memory"]["training"][0]["bytes"].contains(opt_region))
      << j["memory"]["training"][0]["bytes"].dump();
  EXPECT_EQ(bytes_of("sgd", 1, opt_region), 0u);
  EXPECT_GE(bytes_of("sgd+momentum", 1, opt_region), params);
  EXPECT_GE(bytes_of("adam", 1, opt_region), 2 * params);
  // Batch 1 needs no gradient buffers; batch 8 needs one per parameter.
  EXPECT_EQ(bytes_of("sgd", 1, "gradients"), 0u);
  EXPECT_GE(bytes_of("sgd", 8, "gradients"), params);
  EXPECT_GE(j["memory"]["inference"]["parameters"].get<uint64_t>(), params);

  const CliResult text = run_cli({"info", "--model-in", model_});
  ASSERT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find("adam"), std::string::npos);
  EXPECT_NE(text.out.find("784 -> 32"), std::string::npos);
}

TEST_F(CliWorkflow, ExportWritesACHeader) {
  const std::string header = *root_ / "net.h";
  const CliResult r = run_cli({"export", "--model-in", model_, "--out", header, "--symbol",
                               "my_net", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.json()["symbol"], "my_net");
  const std::string h = read_text(header);
  EXPECT_NE(h.find("my_net"), std::string::npos);
  EXPECT_NE(h.find("const float"), std::string::npos);

  // Default symbol: from the file name.
  const CliResult d = run_cli({"export", "--model-in", model_, "--out", *root_ / "d.h", "--json"});
  ASSERT_EQ(d.status, 0) << d.err;
  EXPECT_EQ(d.json()["symbol"], "pre");
}

TEST_F(CliWorkflow, ExportFreezesTheFirstLayers) {
  const std::string header = *root_ / "frozen.h";
  const CliResult r = run_cli({"export", "--model-in", model_, "--out", header, "--symbol",
                               "fz", "--freeze", "1", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.json()["frozen_layers"], 1);
  const std::string h = read_text(header);
  // Layer 0 (dense) frozen, the last dense layer still trainable; the C API's model constant.
  EXPECT_NE(h.find("/* layer 0: dense 784 -> 32 (frozen) */"), std::string::npos) << h.substr(0, 2000);
  EXPECT_NE(h.find("/* layer 2: dense 32 -> 16 */"), std::string::npos);
  EXPECT_NE(h.find("static const tp_exported_model fz_export"), std::string::npos);
  EXPECT_NE(h.find("#define FZ_PARAMS_CHECKSUM 0x"), std::string::npos);
}

TEST_F(CliWorkflow, CsvShapeFeedsACnn) {
  // 2x2x1 images as 4 CSV features; class 1 has a bright top row.
  std::string csv;
  for (int i = 0; i < 80; ++i) {
    const int y = i % 2;
    const double top = y ? 0.9 : 0.1, bottom = 0.3 + (i % 7) * 0.05;
    csv += std::to_string(top) + "," + std::to_string(top) + "," + std::to_string(bottom) + "," +
           std::to_string(bottom) + "," + std::to_string(y) + "\n";
  }
  const std::string path = *root_ / "img.csv";
  write_file(path, std::vector<uint8_t>(csv.begin(), csv.end()));
  const std::string out = *root_ / "img.tpm";
  // Without the shape the CSV is 1x1x4 and a 2x2x1 model refuses it.
  const CliResult flat = run_cli({"train", "--model", "cnn:2x2x1-c4k2-d2", "--csv", path,
                                  "--epochs", "1", "--out", out});
  EXPECT_NE(flat.status, 0);
  EXPECT_NE(flat.err.find("2x2x1 inputs"), std::string::npos) << flat.err;
  const CliResult r = run_cli({"train", "--model", "cnn:2x2x1-c4k2-d2", "--csv", path,
                               "--csv-shape", "2x2x1", "--epochs", "20", "--lr", "0.03", "--out",
                               out, "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_GT(r.json()["accuracy"]["train"].get<double>(), 0.9);
  const CliResult bad = run_cli({"train", "--model", "cnn:2x2x1-c4k2-d2", "--csv", path,
                                 "--csv-shape", "3x2x1", "--out", *root_ / "bad.tpm"});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("--csv-shape 3x2x1 holds 6 values but"), std::string::npos) << bad.err;
  const CliResult text = run_cli({"train", "--model", "cnn:2x2x1-c4k2-d2", "--csv", path,
                                  "--csv-shape", "2x2", "--out", *root_ / "bad.tpm"});
  EXPECT_NE(text.err.find("--csv-shape '2x2': expected HxWxC"), std::string::npos) << text.err;
}

TEST_F(CliWorkflow, CsvDataWorks) {
  // 4 features, label last; two classes separated by the first feature.
  std::string csv = "a,b,c,d,label\n";
  for (int i = 0; i < 60; ++i) {
    const int y = i % 2;
    csv += std::to_string(y * 2 - 1 + (i % 5) * 0.1) + ",0.5,0.25," + std::to_string(i % 3) +
           "," + std::to_string(y) + "\n";
  }
  const std::string path = *root_ / "tab.csv";
  write_file(path, std::vector<uint8_t>(csv.begin(), csv.end()));
  const std::string out = *root_ / "tab.tpm";
  const CliResult r = run_cli({"train", "--model", "mlp:4-8-2", "--csv", path, "--epochs", "30",
                               "--batch", "4", "--lr", "0.03", "--out", out, "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_GT(r.json()["accuracy"]["train"].get<double>(), 0.9);
  const CliResult f = run_cli({"finetune", "--model-in", out, "--csv", path, "--method",
                               "tinyprop", "--out", *root_ / "tab2.tpm", "--json"});
  ASSERT_EQ(f.status, 0) << f.err;
  EXPECT_NE(f.json()["eval"]["data"].get<std::string>().find("tab.csv"), std::string::npos);
}

}  // namespace
}  // namespace tinyprop::cli_test
