// Checkpoints through the tinyprop command: a run stopped and resumed (from a checkpoint file or
// from a device's flash image) ends with the same bits as an uninterrupted one, `info` describes
// checkpoints, `--load-optimizer-state` reads back what `train --save-optimizer-state` wrote,
// and wrong checkpoints give one-line errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "../unit/sim_flash.h"
#include "formats/checkpoint_file.h"
#include "formats/model_file.h"
#include "test_cli_util.h"
#include "tinyprop/tinyprop.h"
#include "experiments/train_loop.h"

namespace tinyprop::cli_test {
namespace {

class CliCheckpoint : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new ScratchDir();
    data_ = make_data_dir(*root_, 400, 100);
    model_ = *root_ / "pre.tpm";
    const CliResult r = run_cli({"train", "--model", "mlp:784-16-10", "--data-dir", data_,
                                 "--subset", "0:300", "--epochs", "1", "--optimizer", "adam",
                                 "--save-optimizer-state", "--out", model_, "--quiet"});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  static void TearDownTestSuite() { delete root_; }

  // Adam, TinyProp, batch 4 (a pending batch at the stop), 2 epochs, a decaying rate.
  std::vector<std::string> finetune(const std::string& out, std::vector<std::string> extra) const {
    std::vector<std::string> a = {"finetune", "--model-in", model_, "--data-dir", data_,
                                  "--subset", "300:400", "--method", "tinyprop", "--optimizer",
                                  "adam", "--batch", "4", "--epochs", "2", "--lr-end", "0.5",
                                  "--out", out, "--quiet"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  static std::vector<float> params_of(const std::string& tpm) { return host::load_model(tpm).params; }
  static bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
  }

  // Each command fails with a one-line error that contains its message.
  struct ErrorCase {
    std::vector<std::string> args;
    std::string message;
  };
  static void expect_one_line_errors(const std::vector<ErrorCase>& cases) {
    for (const ErrorCase& c : cases) {
      SCOPED_TRACE(c.message);
      const CliResult r = run_cli(c.args);
      EXPECT_NE(r.status, 0);
      EXPECT_TRUE(is_one_line_error(r.err)) << r.err;
      EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    }
  }

  static ScratchDir* root_;
  static std::string data_, model_;
};
ScratchDir* CliCheckpoint::root_ = nullptr;
std::string CliCheckpoint::data_, CliCheckpoint::model_;

TEST_F(CliCheckpoint, StoppedAndResumedRunEndsWithTheSameBits) {
  const ScratchDir& d = *root_;
  CliResult r = run_cli(finetune(d / "straight.tpm", {"--checkpoint-out", d / "straight.ck"}));
  ASSERT_EQ(r.status, 0) << r.err;
  // Stopped at sample 130 of 200 (2 samples into a batch of 4), with checkpoints every 50.
  r = run_cli(finetune(d / "part.tpm", {"--checkpoint-out", d / "part.ck", "--checkpoint-every",
                                        "50", "--stop-after", "130", "--json"}));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.json()["position"], 130);
  EXPECT_FALSE(same_bits(params_of(d / "part.tpm"), params_of(d / "straight.tpm")));
  r = run_cli(finetune(d / "resumed.tpm", {"--resume", d / "part.ck", "--checkpoint-out",
                                           d / "resumed.ck", "--json"}));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.json()["resumed"]["position"], 130);
  EXPECT_EQ(r.json()["resumed"]["run_record_checked"], true);  // part.ck.run.json
  EXPECT_TRUE(same_bits(params_of(d / "resumed.tpm"), params_of(d / "straight.tpm")));
  EXPECT_EQ(read_file(d / "resumed.ck"), read_file(d / "straight.ck"));  // the whole state

  // Continued in place: --resume and --checkpoint-out name the same file.
  r = run_cli(finetune(d / "part2.tpm", {"--checkpoint-out", d / "inplace.ck", "--stop-after", "130"}));
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_cli(finetune(d / "inplace.tpm", {"--resume", d / "inplace.ck", "--checkpoint-out",
                                           d / "inplace.ck"}));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_file(d / "inplace.ck"), read_file(d / "straight.ck"));
  // But the model output may not overwrite the checkpoint it resumes from.
  r = run_cli(finetune(d / "inplace.ck", {"--resume", d / "inplace.ck"}));
  EXPECT_NE(r.status, 0);
  EXPECT_TRUE(is_one_line_error(r.err)) << r.err;

  // Without the checkpoint (from the partial model's weights alone) the run ends elsewhere.
  r = run_cli({"finetune", "--model-in", d / "part.tpm", "--data-dir", data_, "--subset",
               "300:400", "--method", "tinyprop", "--optimizer", "adam", "--batch", "4",
               "--out", d / "weights-only.tpm", "--quiet"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(same_bits(params_of(d / "weights-only.tpm"), params_of(d / "straight.tpm")));
}

// The seed, the schedule and the data are not in the core's checkpoint: the run record beside it
// (<checkpoint>.run.json) makes a resume with other ones a one-line error instead of a run that
// silently takes another course; without the record the resume goes ahead and says so.
TEST_F(CliCheckpoint, ResumeWithOtherSeedScheduleOrDataIsRefused) {
  const ScratchDir& d = *root_;
  CliResult r = run_cli(finetune(d / "rr.tpm", {"--checkpoint-out", d / "rr.ck", "--stop-after",
                                                "40", "--seed", "7"}));
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(exists(d / "rr.ck.run.json"));
  // finetune()'s arguments with one flag's value replaced (or the flag added).
  auto with = [&](const std::string& flag, const std::string& value) {
    std::vector<std::string> a = finetune(d / "rr-x.tpm", {"--resume", d / "rr.ck", "--seed", "7"});
    auto it = std::find(a.begin(), a.end(), flag);
    if (it != a.end()) {
      *(it + 1) = value;
    } else {
      a.insert(a.end(), {flag, value});
    }
    return a;
  };
  const std::vector<ErrorCase> cases = {
      {with("--seed", "8"), "started with --seed 7, this one has --seed 8"},
      {with("--epochs", "3"), "started with --epochs 2, this one has --epochs 3"},
      {with("--lr-end", "0.25"), "started with --lr-end 0.5, this one has --lr-end 0.25"},
      {with("--lr", "0.002"), "started with --lr 0.001, this one has --lr 0.002"},
      // The same number of samples, other images: the data's CRC differs.
      {with("--subset", "200:300"), "started on other data: 100 training samples"},
  };
  expect_one_line_errors(cases);
  EXPECT_FALSE(exists(d / "rr-x.tpm"));
  // The flags it started with: resumed, checked.
  r = run_cli(finetune(d / "rr-ok.tpm", {"--resume", d / "rr.ck", "--seed", "7", "--json"}));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.json()["resumed"]["run_record_checked"], true);
  // A record that is not one: refused, with what to do.
  write_file(d / "bad.ck", read_file(d / "rr.ck"));
  const std::string junk = "{\"seed\": \"seven\"}";
  write_file(d / "bad.ck.run.json", std::vector<uint8_t>(junk.begin(), junk.end()));
  r = run_cli(finetune(d / "rr-x.tpm", {"--resume", d / "bad.ck", "--seed", "7"}));
  EXPECT_NE(r.status, 0);
  EXPECT_TRUE(is_one_line_error(r.err)) << r.err;
  EXPECT_NE(r.err.find("not a run record"), std::string::npos) << r.err;
  // No record beside the checkpoint (copied alone): resumed unchecked, and the output says so.
  write_file(d / "alone.ck", read_file(d / "rr.ck"));
  r = run_cli(finetune(d / "rr-alone.tpm", {"--resume", d / "alone.ck", "--seed", "8", "--json"}));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.json()["resumed"]["run_record_checked"], false);
  std::vector<std::string> text_run = finetune(d / "rr-alone2.tpm", {"--resume", d / "alone.ck"});
  text_run.erase(std::find(text_run.begin(), text_run.end(), "--quiet"));
  r = run_cli(text_run);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("no run record beside it"), std::string::npos) << r.out;
}

// A device's flash image (the firmware's --flash file: two slots of 4 KB sectors), written by
// the core's FlashStore as the device does, is resumed on the host.
TEST_F(CliCheckpoint, ResumesFromADeviceFlashImage) {
  const ScratchDir& d = *root_;
  CliResult r = run_cli(finetune(d / "f-straight.tpm", {}));
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_cli(finetune(d / "f-part.tpm", {"--checkpoint-out", d / "f.ck", "--stop-after", "77"}));
  ASSERT_EQ(r.status, 0) << r.err;
  {  // the "device": restore the checkpoint, store it twice (the older one must lose)
    const host::ModelFile base = host::load_model(model_);
    TrainConfig cfg;
    cfg.optimizer.kind = OptimizerKind::kAdam;
    cfg.optimizer.learning_rate = 1e-3f;
    cfg.sparsity.method = Method::kTinyProp;
    cfg.batch_size = 4;
    host::Session s(base.spec, cfg);
    host::copy_params_into(base, s.model());
    const host::CheckpointBytes ck = host::read_checkpoint(d / "f.ck");
    host::restore_checkpoint(s.trainer(), ck, "f.ck");
    tinyprop_test::SimFlash flash(512 * 1024, host::kDeviceFlashSector, 32);  // 2 x 256 KB
    FlashStore store;
    ASSERT_EQ(store.init(flash.device(), host::kDeviceFlashSlots), Status::kOk);
    ASSERT_EQ(store.save(s.trainer(), 5), Status::kOk);  // an older, wrong position
    ASSERT_EQ(store.save(s.trainer(), 77), Status::kOk);
    write_file(d / "flash.bin", flash.bytes());
  }
  r = run_cli({"info", "--checkpoint", d / "flash.bin", "--model-in", model_, "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json j = r.json();
  EXPECT_EQ(j["position"], 77);
  EXPECT_EQ(j["mode"], "full");
  EXPECT_EQ(j["matches_model"], true);
  EXPECT_EQ(j["slots"].size(), 2u);
  EXPECT_NE(j["origin"].get<std::string>().find("sequence 2"), std::string::npos);
  r = run_cli(finetune(d / "f-resumed.tpm", {"--resume", d / "flash.bin"}));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(same_bits(params_of(d / "f-resumed.tpm"), params_of(d / "f-straight.tpm")));
}

TEST_F(CliCheckpoint, InfoDescribesACheckpoint) {
  const ScratchDir& d = *root_;
  CliResult r = run_cli(finetune(d / "i.tpm", {"--checkpoint-out", d / "i.ck", "--stop-after", "30"}));
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_cli({"info", "--checkpoint", d / "i.ck", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json j = r.json();
  EXPECT_EQ(j["mode"], "full");
  EXPECT_EQ(j["optimizer"], "adam");
  EXPECT_EQ(j["method"], "tinyprop");
  EXPECT_EQ(j["batch"], 4);
  EXPECT_EQ(j["position"], 30);
  EXPECT_EQ(j["optimizer_steps"], 7);  // 30 samples = 7 batches of 4 and 2 pending
  EXPECT_EQ(j["pending_batch_samples"], 2);
  EXPECT_EQ(j["trainable_params"], 784 * 16 + 16 + 16 * 10 + 10);
  // Header 80 + 2 Y_max + parameters, 2 moments and pending gradients (4 x 12,730 floats) +
  // 26 touched flags (padded to 28) + CRC 4.
  EXPECT_EQ(j["bytes"], 80 + 8 + 4 * 4 * 12730 + 28 + 4);
  EXPECT_EQ(read_file(d / "i.ck").size(), j["bytes"].get<size_t>());
  // The run record beside it: finetune()'s seed (the default 1), 2 epochs, 100 samples.
  EXPECT_EQ(j["run_record"]["seed"], 1);
  EXPECT_EQ(j["run_record"]["epochs"], 2);
  EXPECT_EQ(j["run_record"]["samples"], 100);
  EXPECT_FLOAT_EQ(j["run_record"]["lr_end"].get<float>(), 0.5f);
  r = run_cli({"info", "--checkpoint", d / "i.ck"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("optimizer_steps: 7"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("seed 1, epochs 2, lr 0.001, lr-end 0.5, 100 training samples"),
            std::string::npos) << r.out;
  // A checkpoint alone: no record.
  write_file(d / "i-alone.ck", read_file(d / "i.ck"));
  r = run_cli({"info", "--checkpoint", d / "i-alone.ck", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.json()["run_record"].is_null());
}

// The checkpoint sizes of the reference models, as `info` plans them (docs/CHECKPOINTS.md):
// header 80 + Y_max 4 per trainable layer + 4 bytes per parameter per buffer + CRC 4.
TEST_F(CliCheckpoint, InfoGivesCheckpointSizesPerOptimizer) {
  struct Ref {
    const char* model;
    uint64_t params, rows;  // parameters, and biases (touched flags of a pending batch)
  };
  for (const Ref& m : {Ref{"mlp:784-32-16-10", 25818, 58}, Ref{"mlp:784-128-64-10", 109386, 202}}) {
    SCOPED_TRACE(m.model);
    const CliResult r = run_cli({"info", "--model", m.model, "--batch", "8", "--json"});
    ASSERT_EQ(r.status, 0) << r.err;
    const uint64_t base = 80 + 3 * 4 + 4 * m.params + 4, grads = 4 * m.params + (m.rows + 3) / 4 * 4;
    const nlohmann::json j = r.json();  // the loop must not iterate into a destroyed temporary
    ASSERT_FALSE(j["memory"]["training"].empty());
    for (const auto& e : j["memory"]["training"]) {
      const uint64_t buffers = e["optimizer"] == "adam" ? 2 : e["optimizer"] == "sgd" ? 0 : 1;
      const uint64_t batch_part = e["batch"] == 1 ? 0 : grads;
      EXPECT_EQ(e["checkpoint_bytes"]["full"], base + buffers * 4 * m.params + batch_part)
          << e.dump();
      EXPECT_EQ(e["checkpoint_bytes"]["weights_only"], base);
    }
  }
}

TEST_F(CliCheckpoint, LoadOptimizerStateReadsWhatTrainSaved) {
  const ScratchDir& d = *root_;
  CliResult r = run_cli({"finetune", "--model-in", model_, "--data-dir", data_, "--subset",
                         "300:400", "--optimizer", "adam", "--load-optimizer-state", "--out",
                         d / "o.tpm", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.json()["optimizer_state_loaded"], true);
  const CliResult fresh = run_cli({"finetune", "--model-in", model_, "--data-dir", data_,
                                   "--subset", "300:400", "--optimizer", "adam", "--out",
                                   d / "o-fresh.tpm", "--quiet"});
  ASSERT_EQ(fresh.status, 0) << fresh.err;
  EXPECT_FALSE(same_bits(params_of(d / "o.tpm"), params_of(d / "o-fresh.tpm")));
  // SGD cannot take Adam's moments; a model file without state has none to give.
  r = run_cli({"finetune", "--model-in", model_, "--data-dir", data_, "--subset", "300:400",
               "--load-optimizer-state", "--out", d / "o2.tpm"});
  EXPECT_NE(r.status, 0);
  EXPECT_TRUE(is_one_line_error(r.err)) << r.err;
  r = run_cli({"finetune", "--model-in", d / "o-fresh.tpm", "--data-dir", data_, "--subset",
               "300:400", "--optimizer", "adam", "--load-optimizer-state", "--out", d / "o3.tpm"});
  EXPECT_NE(r.status, 0);
  EXPECT_TRUE(is_one_line_error(r.err)) << r.err;
  EXPECT_NE(r.err.find("has no optimizer state"), std::string::npos) << r.err;
}

TEST_F(CliCheckpoint, WrongCheckpointsGiveOneLineErrors) {
  const ScratchDir& d = *root_;
  CliResult r = run_cli(finetune(d / "e.tpm", {"--checkpoint-out", d / "e.ck", "--stop-after", "20"}));
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<uint8_t> bytes = read_file(d / "e.ck");
  bytes[bytes.size() / 2] ^= 0x10;
  write_file(d / "damaged.ck", bytes);
  const std::vector<ErrorCase> cases = {
      {finetune(d / "x.tpm", {"--resume", d / "damaged.ck"}), "CRC mismatch"},
      {finetune(d / "x.tpm", {"--resume", d / "missing.ck"}), "missing.ck"},
      {finetune(d / "x.tpm", {"--resume", data_ + "/mnist/t10k-labels-idx1-ubyte"}), "neither a checkpoint"},
      {finetune(d / "x.tpm", {"--resume", d / "e.ck", "--zeta", "0.25"}), "another training configuration"},
      {finetune(d / "x.tpm", {"--checkpoint-every", "10"}), "--checkpoint-every needs --checkpoint-out"},
      {finetune(d / "x.tpm", {"--stop-after", "10"}), "--stop-after needs --checkpoint-out"},
      {{"info", "--checkpoint", d / "damaged.ck"}, "CRC mismatch"},
  };
  expect_one_line_errors(cases);
  EXPECT_FALSE(exists(d / "x.tpm"));
  // Resuming e.ck on top of another base model file.
  auto resume_on = [&](const std::string& arch, const std::string& name) {
    CliResult t = run_cli({"train", "--model", arch, "--data-dir", data_, "--subset", "0:100",
                           "--epochs", "1", "--out", d / (name + ".tpm"), "--quiet"});
    EXPECT_EQ(t.status, 0) << t.err;
    return run_cli({"finetune", "--model-in", d / (name + ".tpm"), "--data-dir", data_,
                    "--subset", "300:400", "--method", "tinyprop", "--optimizer", "adam",
                    "--batch", "4", "--epochs", "2", "--lr-end", "0.5", "--resume", d / "e.ck",
                    "--out", d / (name + "-out.tpm")});
  };
  // The same architecture with other weights, every layer trainable: the checkpoint carries
  // every weight, so it is accepted (a frozen layer would have to match: see the core tests).
  r = resume_on("mlp:784-16-10", "other");
  EXPECT_EQ(r.status, 0) << r.err;
  // Another architecture: refused.
  r = resume_on("mlp:784-20-10", "wider");
  EXPECT_NE(r.status, 0);
  EXPECT_TRUE(is_one_line_error(r.err)) << r.err;
  EXPECT_NE(r.err.find("made for another model"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(d / "wider-out.tpm"));
}

}  // namespace
}  // namespace tinyprop::cli_test
