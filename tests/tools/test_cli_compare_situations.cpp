// tinyprop compare on the fine-tuning situations nobody tuned the methods for, in quick mode on
// generated IDX files: new classes (fmnist-newclass: pretrained on classes 0-5 only) and a
// drifted sensor (mnist-drift), and their error exits.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "test_cli_util.h"

namespace tinyprop::cli_test {
namespace {

class CliCompareSituations : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new ScratchDir();
    // fmnist-newclass reads data/fashion-mnist: learnable images of all 10 classes.
    data_ = make_data_dir_with_fashion(*root_, 400, 100);
  }
  static void TearDownTestSuite() { delete root_; }
  static CliResult compare(const std::string& scenario, const std::string& out_name,
                           const std::vector<std::string>& extra = {}) {
    return run_cli(quick_compare_args(scenario, data_, *root_ / out_name, extra));
  }
  static nlohmann::json written(const std::string& out_name) {
    return nlohmann::json::parse(read_text(*root_ / out_name + "/compare.json"));
  }
  static std::set<std::string> labels(const nlohmann::json& j) {
    std::set<std::string> s;
    for (const auto& m : j["methods"]) s.insert(m["label"].get<std::string>());
    return s;
  }
  static size_t sum(const nlohmann::json& counts, size_t from, size_t to) {
    size_t n = 0;
    for (size_t c = from; c < to; ++c) n += counts[c].get<size_t>();
    return n;
  }
  static ScratchDir* root_;
  static std::string data_;
};
ScratchDir* CliCompareSituations::root_ = nullptr;
std::string CliCompareSituations::data_;

const std::set<std::string> kCoreMethods = {"full", "tinyprop 0.1/0.9/0.5", "budget 0.1"};

TEST_F(CliCompareSituations, NewClassPretrainsOnSixClassesAndFineTunesOnAllTen) {
  const CliResult r = compare("fmnist-newclass", "newclass");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("new classes: pretrained on classes 0-5 only"), std::string::npos) << r.out;
  const nlohmann::json j = written("newclass");
  EXPECT_EQ(j["scenario"], "fmnist-newclass");
  EXPECT_EQ(j["protocol"]["dataset"], "fashion-mnist");
  EXPECT_EQ(j["protocol"]["model"], "mlp:784-128-64-10");
  EXPECT_EQ(j["protocol"]["pretrain_classes"], 6);
  const std::set<std::string> have = labels(j);
  for (const std::string& m : kCoreMethods) EXPECT_EQ(have.count(m), 1u) << m;
  // Pretraining saw classes 0-5 only, every one of them; the 10 outputs stay.
  const nlohmann::json& pre = j["class_counts"]["pretrain"];
  ASSERT_EQ(pre.size(), 10u);
  for (size_t c = 0; c < 6; ++c) EXPECT_GT(pre[c].get<size_t>(), 0u) << c;
  EXPECT_EQ(sum(pre, 6, 10), 0u) << pre.dump();
  EXPECT_EQ(sum(pre, 0, 10), j["protocol"]["pretrain_samples"].get<size_t>());
  // Fine-tuning and test data hold the new classes too.
  EXPECT_GT(sum(j["class_counts"]["finetune"], 6, 10), 0u);
  EXPECT_GT(sum(j["class_counts"]["test"], 6, 10), 0u);
  EXPECT_EQ(sum(j["class_counts"]["finetune"], 0, 10),
            j["protocol"]["finetune_samples"].get<size_t>());
  // A model that never saw 6-9 as a target cannot classify those test images: full
  // fine-tuning, which sees them, ends above where it started.
  double full_after = 0.0, before = 0.0;
  for (const auto& m : j["methods"]) {
    if (m["label"] != "full") continue;
    full_after = m["accuracy_after"]["mean"].get<double>();
    before = m["accuracy_before"]["mean"].get<double>();
  }
  EXPECT_GT(full_after, before);
  // The pretrained model is right at most on the old classes' share of the test images.
  const nlohmann::json& test = j["class_counts"]["test"];
  EXPECT_LE(before, static_cast<double>(sum(test, 0, 6)) / static_cast<double>(sum(test, 0, 10)));
}

TEST_F(CliCompareSituations, DriftScenarioSeesTheDriftedSensor) {
  const CliResult r = compare("mnist-drift", "drift");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("sensor drift: gain (1 - 0.50 rho^2)"), std::string::npos) << r.out;
  const nlohmann::json j = written("drift");
  EXPECT_EQ(j["scenario"], "mnist-drift");
  EXPECT_TRUE(j["protocol"]["shift"].is_null());
  EXPECT_TRUE(j["protocol"]["pretrain_classes"].is_null());
  const nlohmann::json& d = j["protocol"]["drift"];
  ASSERT_FALSE(d.is_null());
  EXPECT_EQ(d["dead_pixels"].size(), 20u);
  EXPECT_EQ(d["stuck_pixels"].size(), 20u);
  EXPECT_EQ(d["test_noise_seed"].get<uint64_t>(), d["finetune_noise_seed"].get<uint64_t>() + 1000000);
  const std::set<std::string> have = labels(j);
  for (const std::string& m : kCoreMethods) EXPECT_EQ(have.count(m), 1u) << m;
  // mnist-mlp is the same protocol on clean data: the same pretrained model (same clean test
  // accuracy), but full fine-tuning sees other images (the generated bands are too bright for
  // the drift to cost accuracy, so the losses tell).
  const CliResult clean = compare("mnist-mlp", "clean", {"--methods", "full"});
  ASSERT_EQ(clean.status, 0) << clean.err;
  const nlohmann::json c = written("clean");
  EXPECT_EQ(j["pretrain"]["test_accuracy_clean"], c["pretrain"]["test_accuracy_clean"]);
  ASSERT_EQ(c["runs"][0]["label"], "full");
  ASSERT_EQ(j["runs"][0]["label"], "full");
  EXPECT_NE(j["runs"][0]["train_loss"], c["runs"][0]["train_loss"]);
  EXPECT_NE(j["runs"][0]["test_loss_after"], c["runs"][0]["test_loss_after"]);
  // Pretraining on clean MNIST keeps every class.
  EXPECT_GT(sum(j["class_counts"]["pretrain"], 6, 10), 0u);
}

TEST_F(CliCompareSituations, BadInputIsAOneLineError) {
  const CliResult unknown = compare("mnist-drifted", "bad-name");
  EXPECT_NE(unknown.status, 0);
  EXPECT_EQ(unknown.err.find("tinyprop: error: unknown scenario 'mnist-drifted' (expected one of "),
            0u)
      << unknown.err;
  for (const char* name : {"mnist-drift", "fmnist-newclass"}) {
    EXPECT_NE(unknown.err.find(name), std::string::npos) << name;
  }
  EXPECT_EQ(unknown.err.find('\n'), unknown.err.size() - 1) << unknown.err;
  const CliResult channel = compare("fmnist-newclass", "bad-channel", {"--conv-selection", "channel"});
  EXPECT_NE(channel.status, 0);
  EXPECT_NE(channel.err.find("scenario fmnist-newclass has no convolutions"), std::string::npos)
      << channel.err;
  // Without Fashion-MNIST: a one-line error that says where the data comes from.
  ScratchDir only_mnist;
  const std::string mnist_only = make_data_dir(only_mnist, 50, 20);
  const CliResult missing =
      run_cli(quick_compare_args("fmnist-newclass", mnist_only, *root_ / "bad-data", {}));
  EXPECT_NE(missing.status, 0);
  EXPECT_EQ(missing.err.find("tinyprop: error: fashion-mnist train data not found"), 0u)
      << missing.err;
  for (const char* dir : {"bad-name", "bad-channel", "bad-data"}) {
    EXPECT_FALSE(std::filesystem::exists(*root_ / dir)) << dir;
  }
}

}  // namespace
}  // namespace tinyprop::cli_test
