// What reproducing other people's protocols needs: the first N samples in file order
// (--subset-order file), and an initialised, untrained model (train --epochs 0).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "formats/model_file.h"
#include "test_cli_util.h"
#include "tinyprop/tinyprop.h"

namespace tinyprop::cli_test {
namespace {

// 20 rows: the first 6 are class 1, the rest alternate 0 / 2.
std::string write_csv(const ScratchDir& dir) {
  std::string text = "a,b,label\n";
  for (int i = 0; i < 20; ++i) {
    const int label = i < 6 ? 1 : (i % 2 == 0 ? 0 : 2);
    text += std::to_string(i) + "," + std::to_string(20 - i) + "," + std::to_string(label) + "\n";
  }
  const std::string path = dir / "rows.csv";
  write_file(path, std::vector<uint8_t>(text.begin(), text.end()));
  return path;
}

TEST(CliProtocols, SubsetInFileOrderTakesTheFirstRows) {
  ScratchDir dir;
  const std::string csv = write_csv(dir);
  const std::string model = dir / "m.tpm";
  ASSERT_EQ(run_cli({"train", "--model", "mlp:2-3", "--csv", csv, "--epochs", "1", "--out", model})
                .status,
            0);
  CliResult r = run_cli({"eval", "--model-in", model, "--csv", csv, "--subset", "5",
                         "--subset-order", "file", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  nlohmann::json j = r.json();
  EXPECT_EQ(j["samples"], 5u);
  ASSERT_EQ(j["per_class"].size(), 1u) << j.dump();  // rows 0..4: all class 1
  EXPECT_EQ(j["per_class"][0]["class"], 1u);
  EXPECT_NE(j["data"].get<std::string>().find("[subset 5, file order]"), std::string::npos);
  // A range in file order: rows 6..9 alternate 0 and 2.
  r = run_cli({"eval", "--model-in", model, "--csv", csv, "--subset", "6:10", "--subset-order",
               "file", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  j = r.json();
  ASSERT_EQ(j["per_class"].size(), 2u) << j.dump();
  EXPECT_EQ(j["per_class"][0]["samples"], 2u);
  EXPECT_EQ(j["per_class"][1]["samples"], 2u);
  // The default is still the seeded shuffle, and a bad order is refused.
  r = run_cli({"eval", "--model-in", model, "--csv", csv, "--subset", "5", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.json()["data"].get<std::string>().find("[subset 5, seed 1]"), std::string::npos);
  r = run_cli({"eval", "--model-in", model, "--csv", csv, "--subset", "5", "--subset-order",
               "sorted"});
  EXPECT_NE(r.status, 0);
  EXPECT_TRUE(is_one_line_error(r.err)) << r.err;
  EXPECT_NE(r.err.find("--subset-order 'sorted': expected shuffled or file"), std::string::npos);
}

TEST(CliProtocols, TrainWithZeroEpochsWritesTheInitialisedModel) {
  ScratchDir dir;
  const std::string csv = write_csv(dir);
  const std::string out = dir / "init.tpm";
  const CliResult r = run_cli({"train", "--model", "mlp:2-4-3", "--csv", csv, "--epochs", "0",
                               "--seed", "7", "--out", out});
  ASSERT_EQ(r.status, 0) << r.err;
  const host::ModelFile f = host::load_model(out);
  // Exactly the core's He-uniform initialisation from Rng(seed), untouched by any step.
  const ModelSpec spec = host::parse_model_spec("mlp:2-4-3");
  MemoryPlan plan;
  ASSERT_TRUE(ok(Model::plan(spec, &plan)));
  std::vector<float> mem(plan.total() / sizeof(float) + 8);
  auto* base = reinterpret_cast<uint8_t*>(mem.data());
  const size_t pad = (kArenaAlignment - reinterpret_cast<uintptr_t>(base) % kArenaAlignment) %
                     kArenaAlignment;
  Arena arena(base + pad, plan.total());
  Model m;
  ASSERT_TRUE(ok(m.bind(spec, arena)));
  Rng rng(7);
  m.init_params(rng);
  ASSERT_EQ(f.params.size(), m.param_count());
  EXPECT_EQ(0, memcmp(f.params.data(), m.params(), f.params.size() * sizeof(float)));
  // --epochs 0 stays refused where there is nothing to do without training.
  const CliResult ft = run_cli({"finetune", "--model-in", out, "--csv", csv, "--epochs", "0",
                                "--out", dir / "ft.tpm"});
  EXPECT_NE(ft.status, 0);
  EXPECT_NE(ft.err.find("--epochs must be at least 1"), std::string::npos) << ft.err;
}

}  // namespace
}  // namespace tinyprop::cli_test
