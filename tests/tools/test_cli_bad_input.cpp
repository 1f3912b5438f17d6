// Regression tests of the CLI defects found by the robustness review: impossible model sizes,
// inspection without a training arena, non-regular inputs and outputs, outputs that are inputs.
// Each failed before its fix.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "util/atomic_file.h"
#include "formats/model_file.h"
#include "test_cli_util.h"

namespace tinyprop::cli_test {
namespace {

std::string corpus(const std::string& target, const std::string& name) {
  return std::string(TINYPROP_SOURCE_DIR) + "/tests/fuzz/corpus/" + target + "/defect-" + name;
}

// Peak resident memory (KiB) of one CLI run, from wait4; status in *status.
long cli_max_rss_kib(const std::vector<std::string>& args, int* status) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    std::vector<char*> argv;
    std::string path = TINYPROP_CLI_PATH;
    argv.push_back(path.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(path.c_str(), argv.data());
    _exit(127);
  }
  int raw = 0;
  struct rusage ru {};
  wait4(pid, &raw, 0, &ru);
  *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return ru.ru_maxrss;
}

class CliBadInput : public TrainedModelSuite<60, 30> {
 protected:
  // At most 30 s per run: an input that blocks (a FIFO) fails instead of hanging the suite.
  static void expect_error(const std::vector<std::string>& args, const std::string& needle) {
    expect_one_line_error(run_cli(args, "", 30), needle);
  }

  // A short fine-tuning of the good model into `out`.
  static std::vector<std::string> finetune_args(const std::string& out) {
    return {"finetune", "--model-in", model_, "--data-dir", data_, "--subset", "10", "--out", out};
  }
};

// ---- sizes that wrap 32 bits ----

TEST_F(CliBadInput, ImpossibleModelSizesAreRefusedNamingLayerAndSize) {
  expect_error({"info", "--model", "mlp:46340-46340-46340-2"},
               "invalid (too large) at layer 2 (dense): 2147441940 parameters, 4294883880 with "
               "the layers before it");
  const std::string csv = *root_ / "four.csv";
  write_file(csv, {'1', ',', '2', ',', '3', ',', '4', ',', '0', '\n',
                   '4', ',', '3', ',', '2', ',', '1', ',', '1', '\n'});
  const std::string out = *root_ / "x.tpm";
  expect_error({"train", "--model", "mlp:4-46340-46340-46340-2", "--csv", csv, "--optimizer",
                "sgd", "--batch", "1", "--out", out},
               "(too large) at layer 2 (dense)");
  EXPECT_FALSE(exists(out));
  // A file whose sizes wrap to a small parameter count that matches its bytes.
  for (const char* name : {"wrapped-param-count", "wrapped-conv"}) {
    const std::string tpm = corpus("tpm", name);
    expect_error({"eval", "--model-in", tpm, "--data-dir", data_}, "(too large) at layer 2");
    expect_error({"info", "--model-in", tpm}, "(too large) at layer 2");
    expect_error({"finetune", "--model-in", tpm, "--data-dir", data_, "--out", out}, "too large");
    expect_error({"export", "--model-in", tpm, "--out", *root_ / "x.h"}, "too large");
  }
  EXPECT_FALSE(exists(out));
  EXPECT_FALSE(exists(*root_ / "x.h"));
}

// ---- info and eval need only the model's memory ----

TEST_F(CliBadInput, InfoAllocatesNoParameters) {
  // 8192 x 8192 weights: 268 MB of parameters, which info must not allocate.
  int status = -1;
  const long kib = cli_max_rss_kib({"info", "--model", "mlp:4-8192-8192-2"}, &status);
  EXPECT_EQ(status, 0);
  EXPECT_LT(kib, 120 * 1024) << "KiB";
  const CliResult r = run_cli({"info", "--model", "mlp:4-8192-8192-2", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.json()["parameters"], 4u * 8192u + 8192u + 8192u * 8192u + 8192u + 8192u * 2u + 2u);
}

TEST_F(CliBadInput, AllFrozenModelCanBeInspectedAndEvaluated) {
  host::ModelFile f = host::load_model(model_);
  for (uint32_t i = 0; i < f.spec.n_layers; ++i) f.spec.layers[i].trainable = false;
  const std::string frozen = *root_ / "frozen.tpm";
  host::save_model(frozen, f);
  CliResult r = run_cli({"info", "--model-in", frozen, "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.json()["memory"]["training"].empty());
  EXPECT_GT(r.json()["memory"]["inference"]["total"].get<uint64_t>(), 0u);
  r = run_cli({"eval", "--model-in", frozen, "--data-dir", data_, "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const CliResult same = run_cli({"eval", "--model-in", model_, "--data-dir", data_, "--json"});
  ASSERT_EQ(same.status, 0) << same.err;
  EXPECT_EQ(r.json()["accuracy"], same.json()["accuracy"]);  // same weights, same answers
}

// ---- diverged training ----

TEST_F(CliBadInput, DivergedTrainingStopsAndWritesNothing) {
  const std::string out = *root_ / "diverged.tpm";
  const std::string report = *root_ / "diverged.json";
  expect_error({"finetune", "--model-in", model_, "--data-dir", data_, "--lr", "1e30", "--method",
                "full", "--out", out, "--report", report},
               "training diverged at step ");
  const CliResult r = run_cli({"finetune", "--model-in", model_, "--data-dir", data_, "--lr",
                               "1e30", "--method", "full", "--out", out});
  // Weights of ~1e30 are finite; the layer whose output overflows is named.
  EXPECT_NE(r.err.find("the loss is not finite and the output of layer "), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("nothing is written"), std::string::npos) << r.err;
  expect_error({"train", "--model", "mlp:784-16-10", "--data-dir", data_, "--lr", "1e30",
                "--epochs", "2", "--out", out},
               "training diverged");
  EXPECT_FALSE(exists(out));
  EXPECT_FALSE(exists(report));
  EXPECT_FALSE(exists(out + ".tmp"));
}

// ---- non-regular inputs ----

TEST_F(CliBadInput, FifoInputsAreRefusedNotWaitedOn) {
  const std::string fifo = *root_ / "pipe";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  expect_error({"train", "--model", "mlp:4-3", "--csv", fifo, "--out", *root_ / "f.tpm"},
               "pipe: is a FIFO, expected a regular file");
  expect_error({"eval", "--model-in", fifo, "--data-dir", data_},
               "pipe: is a FIFO, expected a regular file");
  expect_error({"info", "--model-in", fifo}, "is a FIFO");
  EXPECT_FALSE(exists(*root_ / "f.tpm"));
  std::filesystem::create_directories(*root_ / "adir");
  expect_error({"info", "--model-in", *root_ / "adir"}, "adir: is a directory, expected a regular file");
}

// ---- numeric options: one range check for every unsigned option ----

TEST_F(CliBadInput, NegativeValuesOfUnsignedOptionsAreRefused) {
  const std::string out = *root_ / "neg.tpm";
  const std::vector<std::string> train = {"train", "--model", "mlp:784-10", "--data-dir", data_,
                                          "--out", out};
  auto with = [](std::vector<std::string> a, std::vector<std::string> extra) {
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  expect_error(with(train, {"--seed", "-1"}), "--seed: '-1' is not a whole number >= 0");
  expect_error(with(train, {"--epochs", "-1"}), "--epochs: '-1' is not a whole number >= 0");
  expect_error(with(train, {"--subset", "10", "--subset-seed", "-5"}),
               "--subset-seed: '-5' is not a whole number >= 0");
  expect_error(with(train, {"--batch", "+3"}), "--batch: '+3' is not a whole number >= 0");
  expect_error(with(finetune_args(out), {"--seed", "-1"}), "--seed: '-1' is not a whole number");
  expect_error({"info", "--model", "mlp:4-2", "--batch", "-2"}, "--batch: '-2' is not a whole");
  expect_error({"compare", "--scenario", "mnist-mlp", "--quick", "--threads", "-1", "--data-dir",
                data_, "--out-dir", *root_ / "cmp"},
               "--threads: '-1' is not a whole number >= 0");
  expect_error(with(train, {"--seed", "18446744073709551616"}),
               "--seed: '18446744073709551616' is larger than 18446744073709551615");
  expect_error(with(train, {"--epochs", "99999999999"}), "--epochs");  // beyond 32 bits
  EXPECT_FALSE(exists(out));
}

// ---- --quiet removes the progress bar only ----

TEST_F(CliBadInput, QuietHelpSaysWarningsStay) {
  const CliResult r = run_cli({"train", "--help"});
  EXPECT_NE(r.out.find("warnings and errors are still printed"), std::string::npos) << r.out;
}

// ---- outputs: only regular files are replaced, never through a planted link, never an input ----

TEST_F(CliBadInput, OutputThatIsADeviceFifoOrLinkIsNotReplaced) {
  const std::string dev = *root_ / "full";  // a character device like /dev/full, made here
  const bool have_dev = mknod(dev.c_str(), S_IFCHR | 0666, makedev(1, 7)) == 0;  // needs root
  if (have_dev) {
    expect_error(finetune_args(dev), "'" + dev + "' is a character device, expected a regular file");
    struct stat st {};
    ASSERT_EQ(lstat(dev.c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode)) << "the device node was replaced";
    EXPECT_NE(host::non_regular_kind(dev), "");
    const std::string msg = [&] {
      try {
        host::save_model(dev, host::load_model(model_));
      } catch (const std::exception& e) {
        return std::string(e.what());
      }
      return std::string("(no error)");
    }();
    EXPECT_NE(msg.find("is a character device; only a regular file is replaced"), std::string::npos) << msg;
  }
  const std::string fifo = *root_ / "out-fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  expect_error(finetune_args(fifo), "is a FIFO, expected a regular file");
  const std::string link = *root_ / "out-link.tpm";
  std::filesystem::create_symlink(model_, link);
  expect_error({"export", "--model-in", model_, "--out", link}, "is a symbolic link");
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_TRUE(std::filesystem::is_fifo(fifo));
}

TEST_F(CliBadInput, PlantedTempSymlinkIsNotFollowed) {
  const std::string victim = *root_ / "victim.txt";
  write_file(victim, {'v', 'i', 'c', 't', 'i', 'm'});
  const std::string out = *root_ / "planted.tpm";
  std::filesystem::create_symlink(victim, out + ".tmp");  // the old fixed temporary name
  const CliResult r = run_cli(finetune_args(out));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_text(victim), "victim");
  EXPECT_TRUE(std::filesystem::is_regular_file(std::filesystem::symlink_status(out)));
  EXPECT_TRUE(std::filesystem::is_symlink(out + ".tmp"));  // left alone
  EXPECT_NO_THROW(host::load_model(out));
  // No temporary file is left behind.
  for (const auto& e : std::filesystem::directory_iterator(root_->path())) {
    EXPECT_EQ(e.path().string().find("planted.tpm.tmp-"), std::string::npos) << e.path();
  }
}

TEST_F(CliBadInput, OutputThatIsAnInputIsRefused) {
  const std::string m = *root_ / "self.tpm";
  std::filesystem::copy_file(model_, m);
  const std::vector<uint8_t> keep = read_file(m);
  expect_error({"export", "--model-in", m, "--out", m},
               "--out: '" + m + "' is the same file as --model-in '" + m + "'");
  const std::string hard = *root_ / "hard.tpm";
  std::filesystem::create_hard_link(m, hard);
  expect_error({"export", "--model-in", m, "--out", hard}, "is the same file as --model-in");
  expect_error({"finetune", "--model-in", m, "--data-dir", data_, "--subset", "10", "--out", m},
               "is the same file as --model-in");
  expect_error({"finetune", "--model-in", m, "--data-dir", data_, "--subset", "10", "--out",
                *root_ / "o2.tpm", "--report", hard},
               "--report: '" + hard + "' is the same file as --model-in");
  const std::string csv = *root_ / "same.csv";
  write_file(csv, {'1', ',', '0', '\n', '2', ',', '1', '\n'});
  expect_error({"train", "--model", "mlp:1-2", "--csv", csv, "--out", csv}, "is the same file as --csv");
  EXPECT_EQ(read_file(m), keep);
  EXPECT_EQ(read_text(csv), "1,0\n2,1\n");
}

}  // namespace
}  // namespace tinyprop::cli_test
