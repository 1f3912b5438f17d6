// Every kind of bad input gives a non-zero exit, exactly one line "tinyprop: error: ..." on
// stderr naming the problem, and leaves existing output files untouched.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_cli_util.h"

namespace tinyprop::cli_test {
namespace {

class CliErrors : public TrainedModelSuite<120, 40> {
 protected:
  // Runs args, expects a one-line error containing `needle`.
  static void expect_error(const std::vector<std::string>& args, const std::string& needle) {
    expect_one_line_error(run_cli(args), needle);
  }
};

std::vector<std::string> finetune_args(const std::string& model, const std::string& data,
                                       const std::string& out) {
  return {"finetune", "--model-in", model, "--data-dir", data, "--subset", "20", "--out", out};
}

TEST_F(CliErrors, MissingModelFile) {
  expect_error({"eval", "--model-in", *root_ / "nope.tpm", "--data-dir", data_}, "nope.tpm");
  expect_error(finetune_args(*root_ / "nope.tpm", data_, *root_ / "o.tpm"), "nope.tpm");
  EXPECT_FALSE(exists(*root_ / "o.tpm"));
}

TEST_F(CliErrors, CorruptModelFile) {
  std::vector<uint8_t> bytes = read_file(model_);
  ASSERT_GT(bytes.size(), 100u);
  bytes[bytes.size() / 2] ^= 0x10;  // one flipped bit in the weights
  const std::string bad = *root_ / "flipped.tpm";
  write_file(bad, bytes);
  expect_error({"eval", "--model-in", bad, "--data-dir", data_}, "flipped.tpm");
  expect_error({"info", "--model-in", bad}, "flipped.tpm");
  write_file(*root_ / "garbage.tpm", {'h', 'e', 'l', 'l', 'o'});
  expect_error({"export", "--model-in", *root_ / "garbage.tpm", "--out", *root_ / "g.h"},
               "garbage.tpm");
  EXPECT_FALSE(exists(*root_ / "g.h"));
}

TEST_F(CliErrors, ModelThatDoesNotFitTheData) {
  const std::string small = *root_ / "small.tpm";
  expect_error({"train", "--model", "mlp:4-3", "--csv", *root_ / "none.csv", "--out", small},
               "none.csv");
  // A model with 100 inputs against 784-pixel images.
  const std::string csv = *root_ / "t.csv";
  std::string text;
  for (int i = 0; i < 10; ++i) text += "0.1,0.2,0.3,0.4," + std::to_string(i % 3) + "\n";
  write_file(csv, std::vector<uint8_t>(text.begin(), text.end()));
  ASSERT_EQ(run_cli({"train", "--model", "mlp:4-3", "--csv", csv, "--out", small}).status, 0);
  expect_error({"eval", "--model-in", small, "--data-dir", data_}, "expects 4 inputs");
  expect_error(finetune_args(small, data_, *root_ / "o.tpm"), "expects 4 inputs");
  expect_error({"train", "--model", "mlp:784-8-5", "--data-dir", data_, "--out", *root_ / "o.tpm"},
               "5 outputs");
  EXPECT_FALSE(exists(*root_ / "o.tpm"));
}

TEST_F(CliErrors, NonsenseParameters) {
  const std::string out = *root_ / "o.tpm";
  auto ft = [&](std::vector<std::string> extra, const std::string& needle) {
    std::vector<std::string> a = finetune_args(model_, data_, out);
    a.insert(a.end(), extra.begin(), extra.end());
    expect_error(a, needle);
  };
  ft({"--method", "static", "--ratio", "2"}, "--ratio");
  ft({"--method", "static", "--ratio", "0"}, "--ratio");
  ft({"--method", "magic"}, "--method 'magic'");
  ft({"--s-min", "0.8", "--s-max", "0.2"}, "--s-min");
  ft({"--zeta", "0"}, "--zeta");
  ft({"--skip-threshold", "-1"}, "--skip-threshold");
  ft({"--lr", "-0.1"}, "--lr");
  ft({"--lr", "nan"}, "--lr");
  ft({"--momentum", "1.5"}, "--momentum");
  ft({"--optimizer", "rmsprop"}, "--optimizer");
  ft({"--batch", "0"}, "--batch");
  ft({"--epochs", "0"}, "--epochs");
  ft({"--ratio", "abc"}, "ratio");  // not a number: CLI11's message, still one line
  ft({"--subset", "5:2"}, "--subset");
  ft({"--subset", "999999"}, "--subset");
  ft({"--dataset", "imagenet"}, "imagenet");
  ft({"--bogus-flag"}, "bogus");
  EXPECT_FALSE(exists(out));
  expect_error({"train", "--model", "mlp:784-0-10", "--data-dir", data_, "--out", out},
               "mlp:784-0-10");
  expect_error({"train", "--model", "cnn:1", "--data-dir", data_, "--out", out}, "cnn:1");
  expect_error({"train", "--data-dir", data_, "--out", out}, "--model");
  expect_error({"compare", "--scenario", "cifar-resnet"}, "cifar-resnet");
  expect_error({"compare", "--scenario", "mnist-mlp", "--seeds", "0", "--quick", "--data-dir",
                data_},
               "--seeds");
  expect_error({"info"}, "--model");
  expect_error({"export", "--model-in", model_, "--out", *root_ / "x.h", "--symbol", "9bad"},
               "--symbol");
  expect_error({"frobnicate"}, "frobnicate");
  EXPECT_FALSE(exists(out));
}

TEST_F(CliErrors, MissingData) {
  expect_error({"eval", "--model-in", model_, "--data-dir", *root_ / "empty"}, "not found");
  expect_error({"compare", "--scenario", "mnist-mlp", "--quick", "--no-plots", "--data-dir",
                *root_ / "empty", "--out-dir", *root_ / "cmp"},
               "not found");
  EXPECT_FALSE(exists(*root_ / "cmp"));
}

TEST_F(CliErrors, ExistingOutputsAreNotOverwrittenOnError) {
  const std::string out = *root_ / "precious.tpm";
  const std::string report = *root_ / "precious.json";
  const std::string header = *root_ / "precious.h";
  const std::vector<uint8_t> keep = {'k', 'e', 'e', 'p'};
  write_file(out, keep);
  write_file(report, keep);
  write_file(header, keep);
  // Bad parameters, a missing input model, a corrupt input model, missing data.
  std::vector<std::string> a = finetune_args(model_, data_, out);
  a.insert(a.end(), {"--report", report, "--ratio", "2", "--method", "static"});
  expect_error(a, "--ratio");
  a = finetune_args(*root_ / "missing.tpm", data_, out);
  a.insert(a.end(), {"--report", report});
  expect_error(a, "missing.tpm");
  a = finetune_args(model_, *root_ / "nodata", out);
  a.insert(a.end(), {"--report", report});
  expect_error(a, "not found");
  expect_error({"train", "--model", "mlp:784-10", "--data-dir", *root_ / "nodata", "--out", out},
               "not found");
  expect_error({"export", "--model-in", *root_ / "missing.tpm", "--out", header}, "missing.tpm");
  // The output is the input model itself, but the data are missing: still untouched.
  EXPECT_EQ(read_file(out), keep);
  EXPECT_EQ(read_file(report), keep);
  EXPECT_EQ(read_file(header), keep);
  EXPECT_FALSE(exists(out + ".tmp"));
  EXPECT_FALSE(exists(report + ".pending"));
  // An output directory that does not exist is reported before any work.
  expect_error({"train", "--model", "mlp:784-10", "--data-dir", data_, "--out",
                *root_ / "no/such/dir/m.tpm"},
               "does not exist");
}

}  // namespace
}  // namespace tinyprop::cli_test
