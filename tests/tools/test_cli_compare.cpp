// tinyprop compare --quick end to end: the table, JSON and CSV outputs, results independent of
// the thread count, and the plots when Debian's python3-matplotlib is there.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "test_cli_util.h"
#include "../missing_dependency.h"

namespace tinyprop::cli_test {
namespace {

class CliCompare : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new ScratchDir();
    data_ = make_data_dir(*root_, 500, 150);
  }
  static void TearDownTestSuite() { delete root_; }
  static CliResult compare(const std::string& out_dir, const std::string& threads,
                           std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"compare", "--scenario", "mnist-mlp", "--quick", "--seeds", "2",
                                  "--threads", threads, "--data-dir", data_, "--out-dir", out_dir};
    a.insert(a.end(), extra.begin(), extra.end());
    return run_cli(a);
  }
  static ScratchDir* root_;
  static std::string data_;
};
ScratchDir* CliCompare::root_ = nullptr;
std::string CliCompare::data_;

TEST_F(CliCompare, MethodsKeepsTheListedLabelsAndFull) {
  const std::string dir = *root_ / "cmp-methods";
  const CliResult r = compare(dir, "1", {"--no-plots", "--methods",
                                         "budget 0.1,static = tinyprop 0.1/0.9/0.5"});
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(read_text(dir + "/compare.json"));
  std::set<std::string> labels;
  for (const auto& m : j["methods"]) labels.insert(m["label"].get<std::string>());
  // The matched static run brings the run it is matched to.
  EXPECT_EQ(labels, (std::set<std::string>{"full", "budget 0.1", "tinyprop 0.1/0.9/0.5",
                                           "static = tinyprop 0.1/0.9/0.5"}));
  const CliResult bad = compare(*root_ / "cmp-bad", "1", {"--methods", "budget 0.7"});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("tinyprop: error: --methods: scenario mnist-mlp has no method 'budget 0.7'"),
            std::string::npos) << bad.err;
}

TEST_F(CliCompare, QuickRunWritesTableJsonAndCsv) {
  const std::string dir = *root_ / "cmp";
  const CliResult r = compare(dir, "2", {"--no-plots"});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* needle : {"full", "static r=0.05", "static r=0.5", "tinyprop 0.1/0.9/0.5",
                             "tinypropv2", "= tinyprop default", "targets", "budget 0.1 (default)",
                             "budget 0.03", "budget 0.05", "budget 0.2", "budget 0.3",
                             "targets of the budget rule"}) {
    EXPECT_NE(r.out.find(needle), std::string::npos) << needle << "\n" << r.out;
  }
  const nlohmann::json j = nlohmann::json::parse(read_text(dir + "/compare.json"));
  EXPECT_EQ(j["scenario"], "mnist-mlp");
  EXPECT_EQ(j["seeds"].size(), 2u);
  EXPECT_EQ(j["protocol"]["pretrain_samples"], 200);
  EXPECT_EQ(j["protocol"]["finetune_samples"], 200);
  EXPECT_EQ(j["protocol"]["test_samples"], 150);
  std::set<std::string> groups;
  for (const auto& m : j["methods"]) groups.insert(m["group"].get<std::string>());
  EXPECT_EQ(groups, (std::set<std::string>{"full", "static", "static-matched", "tinyprop",
                                           "tinypropv2", "budget"}));
  EXPECT_TRUE(j["budget_targets"].is_object());
  EXPECT_EQ(j["budget_targets"]["label"], "budget 0.1");
  EXPECT_EQ(j["runs"].size(), 2 * j["methods"].size());
  std::set<double> static_ratios;
  for (const auto& m : j["methods"]) {
    const std::string g = m["group"];
    if (g == "full") {
      EXPECT_EQ(m["backward_rel"]["mean"], 1.0);
      EXPECT_EQ(m["accuracy_loss_pp"]["mean"], 0.0);
    }
    if (g == "static") static_ratios.insert(m["sparsity"]["ratio"].get<double>());
    EXPECT_LE(m["backward_rel"]["mean"].get<double>(), 1.0);
    EXPECT_EQ(m["layer_ratio"].size(), 3u);
  }
  EXPECT_EQ(static_ratios.size(), 5u);
  // The matched static run used tinyprop default's measured backward ratio, seed by seed.
  for (const auto& run : j["runs"]) {
    if (run["label"] != "static = tinyprop 0.1/0.9/0.5") continue;
    for (const auto& ref : j["runs"]) {
      if (ref["label"] == "tinyprop 0.1/0.9/0.5" && ref["seed"] == run["seed"]) {
        EXPECT_NEAR(run["sparsity"]["ratio"].get<double>(),
                    ref["counters"]["backward_ratio"].get<double>(), 1e-6);
      }
    }
  }
  // Traces and curves are recorded.
  const auto& run0 = j["runs"][0];
  EXPECT_FALSE(run0["trace"].empty());
  EXPECT_GE(run0["curve"].size(), 2u);
  EXPECT_EQ(run0["curve"][0]["step"], 0);
  // CSV: a header and one line per method / run.
  const std::string csv = read_text(dir + "/summary.csv");
  EXPECT_EQ(static_cast<size_t>(std::count(csv.begin(), csv.end(), '\n')), j["methods"].size() + 1);
  const std::string runs = read_text(dir + "/runs.csv");
  EXPECT_EQ(static_cast<size_t>(std::count(runs.begin(), runs.end(), '\n')), j["runs"].size() + 1);
}

TEST_F(CliCompare, ResultsDoNotDependOnTheThreadCount) {
  const CliResult one = compare(*root_ / "t1", "1", {"--no-plots", "--json"});
  const CliResult three = compare(*root_ / "t3", "3", {"--no-plots", "--json"});
  ASSERT_EQ(one.status, 0) << one.err;
  ASSERT_EQ(three.status, 0) << three.err;
  const nlohmann::json a = one.json(), b = three.json();
  ASSERT_EQ(a["runs"].size(), b["runs"].size());
  for (size_t i = 0; i < a["runs"].size(); ++i) {
    SCOPED_TRACE(a["runs"][i]["label"].get<std::string>());
    EXPECT_EQ(a["runs"][i]["label"], b["runs"][i]["label"]);
    EXPECT_EQ(a["runs"][i]["accuracy_after"], b["runs"][i]["accuracy_after"]);
    EXPECT_EQ(a["runs"][i]["train_loss"], b["runs"][i]["train_loss"]);
    EXPECT_EQ(a["runs"][i]["counters"], b["runs"][i]["counters"]);
    EXPECT_EQ(a["runs"][i]["trace"], b["runs"][i]["trace"]);
  }
  EXPECT_EQ(a["pretrain"]["test_accuracy_clean"], b["pretrain"]["test_accuracy_clean"]);
}

TEST_F(CliCompare, ShiftScenarioRuns) {
  const CliResult r = run_cli({"compare", "--scenario", "mnist-shift", "--quick", "--seeds", "1",
                               "--data-dir", data_, "--out-dir", *root_ / "shift", "--no-plots",
                               "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json j = r.json();
  EXPECT_EQ(j["scenario"], "mnist-shift");
  EXPECT_FALSE(j["protocol"]["shift"].is_null());
  // The shift changes the data: the pretrained model does worse on it than on clean data.
  EXPECT_LT(j["methods"][0]["accuracy_before"]["mean"].get<double>(),
            j["pretrain"]["test_accuracy_clean"][0].get<double>());
}

TEST_F(CliCompare, PlotsArePngFiles) {
  if (!exists("/usr/bin/python3") ||
      std::system("/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1") != 0) {
    TINYPROP_MISSING_DEPENDENCY("python3-matplotlib not installed (scripts/install-deps.sh plot)");
  }
  const std::string dir = *root_ / "plots";
  const CliResult r = run_cli({"compare", "--scenario", "mnist-mlp", "--quick", "--seeds", "1",
                               "--data-dir", data_, "--out-dir", dir},
                              TINYPROP_SOURCE_DIR);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
  for (const char* png : {"accuracy_vs_backward.png", "ratio_trace.png", "accuracy_curve.png"}) {
    SCOPED_TRACE(png);
    ASSERT_TRUE(exists(dir + "/" + png));
    const std::vector<uint8_t> b = read_file(dir + "/" + png);
    ASSERT_GT(b.size(), 8u);
    EXPECT_EQ(std::string(b.begin() + 1, b.begin() + 4), "PNG");
  }
}

}  // namespace
}  // namespace tinyprop::cli_test
