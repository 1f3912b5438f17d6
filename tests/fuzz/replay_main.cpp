// Corpus replay: a plain main() for the fuzz targets, so that every `make test` runs each
// target's committed corpus (tests/fuzz/corpus/<target>/) with any compiler, no libFuzzer needed.
//   fuzz_<target>_replay <file or directory>...
// Runs LLVMFuzzerTestOneInput once per file (directories: every regular file in them, sorted by
// name). A crash, sanitizer report or violated property aborts, which fails the test; no file
// at all fails too (an empty corpus would make the test pass while testing nothing).
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

#include "fuzz_common.h"

namespace {

bool is_regular(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> files;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return files;
  while (const dirent* e = readdir(d)) {
    const std::string path = dir + "/" + e->d_name;
    if (e->d_name[0] != '.' && is_regular(path)) files.push_back(path);
  }
  closedir(d);
  std::sort(files.begin(), files.end());
  return files;
}

bool read_all(const std::string& path, std::vector<uint8_t>* bytes) {
  FILE* f = fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  uint8_t buf[1 << 16];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) bytes->insert(bytes->end(), buf, buf + n);
  const bool good = ferror(f) == 0;
  fclose(f);
  return good;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (is_regular(argv[i])) {
      files.push_back(argv[i]);
      continue;
    }
    const std::vector<std::string> in_dir = files_in(argv[i]);
    if (in_dir.empty()) {
      fprintf(stderr, "replay: %s: no corpus files (expected a file or a non-empty directory)\n", argv[i]);
      return 1;
    }
    files.insert(files.end(), in_dir.begin(), in_dir.end());
  }
  if (files.empty()) {
    fprintf(stderr, "usage: %s <corpus file or directory>...\n", argv[0]);
    return 2;
  }
  tinyprop::fuzz::verbose() = true;
  for (const std::string& path : files) {
    std::vector<uint8_t> bytes;
    if (!read_all(path, &bytes)) {
      fprintf(stderr, "replay: %s: cannot read\n", path.c_str());
      return 1;
    }
    fprintf(stderr, "replay: %s (%zu bytes)\n", path.c_str(), bytes.size());
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  }
  printf("replay: %zu inputs, no crash and every property held\n", files.size());
  return 0;
}
