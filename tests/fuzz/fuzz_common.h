// Shared by the fuzz targets (tests/fuzz/fuzz_*.cpp). A target is one LLVMFuzzerTestOneInput that
// feeds the bytes to a real parser of the host tools and then checks properties of the outcome:
//   * the parser either returns a result or throws host::Error with a one-line message that names
//     the input (any other exception, a crash or a sanitizer report is a finding);
//   * a result is consistent with the bytes it came from (target-specific, see each file).
// A violated property aborts, so libFuzzer (and the corpus replay) reports it like a crash.
#pragma once
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace tinyprop::fuzz {

[[noreturn]] inline void property_failed(const char* what, const char* file, int line,
                                         const std::string& detail) {
  fprintf(stderr, "fuzz: property violated at %s:%d: %s%s%s\n", file, line, what,
          detail.empty() ? "" : " -- ", detail.c_str());
  abort();
}

// FUZZ_REQUIRE(cond): the property `cond` must hold for every input.
#define FUZZ_REQUIRE(cond)                                                            \
  do {                                                                                \
    if (!(cond)) ::tinyprop::fuzz::property_failed(#cond, __FILE__, __LINE__, "");   \
  } while (0)
#define FUZZ_REQUIRE_MSG(cond, detail)                                                    \
  do {                                                                                    \
    if (!(cond)) ::tinyprop::fuzz::property_failed(#cond, __FILE__, __LINE__, (detail)); \
  } while (0)

// The replay (replay_main.cpp) prints what became of each input; libFuzzer runs stay silent.
inline bool& verbose() {
  static bool on = false;
  return on;
}
inline void outcome(const std::string& what) {
  if (verbose()) fprintf(stderr, "  -> %s\n", what.c_str());
}

// A refusal must be a one-line message that names what was read (`name`: a path or the text).
inline void require_clear_error(const host::Error& e, const std::string& name) {
  const std::string msg = e.what();
  outcome("refused: " + msg);
  FUZZ_REQUIRE_MSG(!msg.empty(), "empty error message");
  FUZZ_REQUIRE_MSG(msg.find(name) != std::string::npos, "message does not name '" + name + "': " + msg);
  FUZZ_REQUIRE_MSG(msg.find('\n') == std::string::npos || name.find('\n') != std::string::npos,
                   "message spans several lines: " + msg);
}

inline bool same_bits(float a, float b) { return memcmp(&a, &b, sizeof(float)) == 0; }

// Files the parsers read, in a private directory made once per process under $TMPDIR, else
// /dev/shm (memory), else /tmp, and removed at exit. Paths are fixed per name. Each file stays
// open and is rewritten in place (ftruncate + pwrite): creating and unlinking a file per input
// cost more than the parsing, and truncating then closing a file makes ext4 flush it
// (auto_da_alloc), ~4 ms per execution.
class ScratchDir {
 public:
  static ScratchDir& get() {
    static ScratchDir dir;
    return dir;
  }
  std::string path_of(const std::string& name) const { return dir_ + "/" + name; }
  // Makes the file `name` hold exactly these bytes and returns its path.
  std::string write(const std::string& name, const uint8_t* data, size_t size) {
    const std::string p = path_of(name);
    const int fd = fd_of(name);
    bool good = ftruncate(fd, 0) == 0;
    for (size_t done = 0; good && done < size;) {
      const ssize_t n = pwrite(fd, data + done, size - done, static_cast<off_t>(done));
      good = n > 0;
      if (good) done += static_cast<size_t>(n);
    }
    if (!good) {
      fprintf(stderr, "fuzz: cannot write scratch file %s\n", p.c_str());
      abort();
    }
    return p;
  }
  std::string write(const std::string& name, const std::vector<uint8_t>& bytes) {
    return write(name, bytes.data(), bytes.size());
  }
  std::string write(const std::string& name, const std::string& text) {
    return write(name, reinterpret_cast<const uint8_t*>(text.data()), text.size());
  }
  // For files another writer (libsndfile) creates: removed at exit too.
  void remember(const std::string& name) {
    for (const File& f : files_) {
      if (f.name == name) return;
    }
    files_.push_back({name, -1});
  }
  ~ScratchDir() {
    for (const File& f : files_) {
      if (f.fd >= 0) close(f.fd);
      unlink(path_of(f.name).c_str());
    }
    rmdir(dir_.c_str());
  }

 private:
  struct File {
    std::string name;
    int fd;
  };
  ScratchDir() {
    const char* tmp = getenv("TMPDIR");
    std::string base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    if ((tmp == nullptr || *tmp == '\0') && access("/dev/shm", W_OK | X_OK) == 0) base = "/dev/shm";
    const std::string templ = base + "/tinyprop-fuzz-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) {
      fprintf(stderr, "fuzz: cannot create a scratch directory from %s\n", templ.c_str());
      abort();
    }
    dir_ = buf.data();
  }
  int fd_of(const std::string& name) {
    for (const File& f : files_) {
      if (f.name == name && f.fd >= 0) return f.fd;
    }
    const std::string p = path_of(name);
    const int fd = open(p.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
      fprintf(stderr, "fuzz: cannot create scratch file %s\n", p.c_str());
      abort();
    }
    files_.push_back({name, fd});
    return fd;
  }
  std::string dir_;
  std::vector<File> files_;
};

// Splits an input that carries two files: u32 little-endian length of the first, the first
// file's bytes, the second file's bytes (a length past the end takes everything).
struct TwoFiles {
  std::vector<uint8_t> first, second;
};
inline TwoFiles split_two_files(const uint8_t* data, size_t size) {
  TwoFiles t;
  if (size < 4) {
    t.first.assign(data, data + size);
    return t;
  }
  const uint32_t n = static_cast<uint32_t>(data[0]) | (static_cast<uint32_t>(data[1]) << 8) |
                     (static_cast<uint32_t>(data[2]) << 16) | (static_cast<uint32_t>(data[3]) << 24);
  const size_t first = n < size - 4 ? n : size - 4;
  t.first.assign(data + 4, data + 4 + first);
  t.second.assign(data + 4 + first, data + size);
  return t;
}

}  // namespace tinyprop::fuzz
