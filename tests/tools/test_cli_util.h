// Helpers of the CLI end-to-end tests: a temporary directory with a small MNIST-like data set
// written as real IDX files, and a runner for the built `tinyprop` binary that captures exit
// status, stdout and stderr.
#pragma once
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace tinyprop::cli_test {

class ScratchDir {
 public:
  ScratchDir() {
    std::string templ =
        (std::filesystem::temp_directory_path() / "tinyprop-cli-test-XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + path);
}

inline std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

inline std::string read_text(const std::string& path) {
  const std::vector<uint8_t> b = read_file(path);
  return std::string(b.begin(), b.end());
}

inline bool exists(const std::string& path) { return std::filesystem::exists(path); }

inline void put_be32(std::vector<uint8_t>* b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b->push_back(static_cast<uint8_t>(v >> s));
}

// n learnable 28x28 images: class c lights a 4-pixel-high band at rows 2c+2..2c+5 plus noise,
// so a small MLP reaches high accuracy within a few epochs. Deterministic (LCG of `seed`).
inline void write_mnist_like(const std::string& dir, const std::string& prefix, uint32_t n,
                             uint32_t seed) {
  std::vector<uint8_t> images, labels;
  put_be32(&images, 0x00000803);
  put_be32(&images, n);
  put_be32(&images, 28);
  put_be32(&images, 28);
  put_be32(&labels, 0x00000801);
  put_be32(&labels, n);
  uint32_t state = seed * 2654435761u + 1u;
  auto next = [&state]() {
    state = state * 1664525u + 1013904223u;
    return state >> 24;  // 0..255
  };
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t c = next() % 10;
    labels.push_back(static_cast<uint8_t>(c));
    for (uint32_t r = 0; r < 28; ++r) {
      for (uint32_t col = 0; col < 28; ++col) {
        const bool band = r >= 2 * c + 2 && r < 2 * c + 6 && col >= 4 && col < 24;
        const uint32_t noise = next() / 4;  // 0..63
        images.push_back(static_cast<uint8_t>(band ? 192 + noise : noise));
      }
    }
  }
  write_file(dir + "/" + prefix + "-images-idx3-ubyte", images);
  write_file(dir + "/" + prefix + "-labels-idx1-ubyte", labels);
}

// <root>/data/mnist/{train,t10k}-*: a data directory laid out like the real one.
inline std::string make_data_dir(const ScratchDir& root, uint32_t n_train = 600,
                                 uint32_t n_test = 200) {
  const std::string data = root / "data";
  std::filesystem::create_directories(data + "/mnist");
  write_mnist_like(data + "/mnist", "train", n_train, 1);
  write_mnist_like(data + "/mnist", "t10k", n_test, 2);
  return data;
}

// make_data_dir plus data/fashion-mnist: the same kind of learnable images, other seeds (the
// Fashion-MNIST scenarios of `compare`).
inline std::string make_data_dir_with_fashion(const ScratchDir& root, uint32_t n_train,
                                              uint32_t n_test) {
  const std::string data = make_data_dir(root, n_train, n_test);
  std::filesystem::create_directories(data + "/fashion-mnist");
  write_mnist_like(data + "/fashion-mnist", "train", n_train, 5);
  write_mnist_like(data + "/fashion-mnist", "t10k", n_test, 6);
  return data;
}

// `compare --scenario S --quick --seeds 1 --threads 2 --data-dir DATA --out-dir OUT --no-plots`
// and the extra arguments.
inline std::vector<std::string> quick_compare_args(const std::string& scenario,
                                                   const std::string& data,
                                                   const std::string& out_dir,
                                                   const std::vector<std::string>& extra) {
  std::vector<std::string> a = {"compare", "--scenario", scenario, "--quick", "--seeds", "1",
                                "--threads", "2", "--data-dir", data, "--out-dir", out_dir,
                                "--no-plots"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

struct CliResult {
  int status = -1;
  std::string out, err;
  nlohmann::json json() const { return nlohmann::json::parse(out); }
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs the tinyprop binary with args in `cwd`; stdout and stderr go to files and are read back.
// timeout_seconds > 0 kills a run that takes longer (a hang fails instead of blocking the suite).
inline CliResult run_cli(const std::vector<std::string>& args, const std::string& cwd = "",
                         int timeout_seconds = 0) {
  static int counter = 0;
  const std::string tmp = std::filesystem::temp_directory_path().string() +
                          "/tinyprop-cli-run-" + std::to_string(getpid()) + "-" +
                          std::to_string(counter++);
  std::string cmd;
  if (!cwd.empty()) cmd += "cd " + shell_quote(cwd) + " && ";
  if (timeout_seconds > 0) cmd += "timeout -s KILL " + std::to_string(timeout_seconds) + " ";
  cmd += shell_quote(TINYPROP_CLI_PATH);
  for (const std::string& a : args) cmd += " " + shell_quote(a);
  cmd += " >" + shell_quote(tmp + ".out") + " 2>" + shell_quote(tmp + ".err") + " </dev/null";
  const int raw = std::system(cmd.c_str());
  CliResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = read_text(tmp + ".out");
  r.err = read_text(tmp + ".err");
  std::remove((tmp + ".out").c_str());
  std::remove((tmp + ".err").c_str());
  return r;
}

// stderr holds exactly one line, "tinyprop: error: ...".
inline bool is_one_line_error(const std::string& err) {
  return err.rfind("tinyprop: error: ", 0) == 0 && err.find('\n') == err.size() - 1;
}

// A suite's shared inputs: MNIST-like data under a scratch directory and a model trained on it
// for one epoch (mlp:784-16-10) as <root>/good.tpm.
struct TrainedModelDir {
  ScratchDir root;
  std::string data, model;
  TrainedModelDir(uint32_t n_train, uint32_t n_test)
      : data(make_data_dir(root, n_train, n_test)), model(root / "good.tpm") {}
  // The training run's result (status 0 expected).
  CliResult train() const {
    return run_cli({"train", "--model", "mlp:784-16-10", "--data-dir", data, "--epochs", "1",
                    "--out", model});
  }
};

// A suite fixture over one TrainedModelDir of kTrain / kTest samples, made once for the suite
// (each instantiation has its own).
template <uint32_t kTrain, uint32_t kTest>
class TrainedModelSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TrainedModelDir(kTrain, kTest);
    root_ = &dir_->root;
    data_ = dir_->data;
    model_ = dir_->model;
    const CliResult r = dir_->train();
    ASSERT_EQ(r.status, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }

  static inline TrainedModelDir* dir_ = nullptr;
  static inline ScratchDir* root_ = nullptr;
  static inline std::string data_, model_;
};

// A failed run: non-zero exit, one line "tinyprop: error: ..." on stderr containing needle.
inline void expect_one_line_error(const CliResult& r, const std::string& needle) {
  EXPECT_NE(r.status, 0) << "stdout: " << r.out;
  EXPECT_TRUE(is_one_line_error(r.err)) << "stderr: [" << r.err << "]";
  EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr: " << r.err;
}

}  // namespace tinyprop::cli_test
