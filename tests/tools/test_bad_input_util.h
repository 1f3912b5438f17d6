// Helpers of the bad-input regression tests: peak memory of a piece of code run in a child
// process, a .tpm byte builder that bypasses save_model's checks, and the path of the reproducer of a
// defect in the fuzzing corpus (tests/fuzz/corpus/<target>/defect-<name>).
#pragma once
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

namespace tinyprop::test {

// Peak resident memory (VmHWM, KiB) of this process since the last reset_peak_rss().
inline long peak_rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// Resets VmHWM to the current resident size (Linux: "5" > /proc/self/clear_refs).
inline bool reset_peak_rss() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
  f.flush();
  return static_cast<bool>(f);
}

// Runs fn in a forked child and returns how many KiB its peak resident memory grew while fn
// ran (-1 if it could not be measured; -2 if fn threw or the child crashed). The child starts
// as a copy of this process, so only fn's own allocations count.
inline long child_peak_growth_kib(const std::function<void()>& fn) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    close(fds[0]);
    long growth = -1;
    if (reset_peak_rss()) {
      const long before = peak_rss_kib();
      try {
        fn();
        growth = peak_rss_kib() - before;
      } catch (...) {
        growth = -2;
      }
    }
    if (write(fds[1], &growth, sizeof(growth)) != static_cast<ssize_t>(sizeof(growth))) _exit(2);
    _exit(0);
  }
  close(fds[1]);
  long growth = -2;
  if (read(fds[0], &growth, sizeof(growth)) != static_cast<ssize_t>(sizeof(growth))) growth = -2;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return growth;
}

// Little-endian .tpm bytes written field by field, with the size and CRC patched by finish():
// files save_model would refuse to write.
class TpmBytes {
 public:
  TpmBytes() {
    raw("TPMF", 4);
    u32(1);
    u64(0);  // size, patched
    u32(0);  // flags
  }
  void u8(uint8_t v) { b_.push_back(v); }
  void u16(uint16_t v) {
    for (int i = 0; i < 2; ++i) b_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) b_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) b_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void f32(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    u32(bits);
  }
  void raw(const char* p, size_t n) { b_.insert(b_.end(), p, p + n); }
  // Architecture head: input h x w x c, loss, layer count.
  void architecture(uint32_t h, uint32_t w, uint32_t c, uint8_t loss, uint32_t n_layers) {
    u32(h);
    u32(w);
    u32(c);
    u8(loss);
    u8(0);
    u8(0);
    u8(0);
    u32(n_layers);
  }
  // A dense / activation record (2 fields: units, alpha).
  void simple_layer(uint8_t kind, bool trainable, uint32_t units, float alpha = 0.01f) {
    u8(kind);
    u8(trainable ? 1 : 0);
    u16(2);
    u32(units);
    f32(alpha);
  }
  // A window record: conv2d (5), depthwise (6), max pool (7), avg pool (8).
  void window_layer(uint8_t kind, bool trainable, uint32_t filters, uint32_t kh, uint32_t kw) {
    u8(kind);
    u8(trainable ? 1 : 0);
    u16(10);
    u32(0);
    f32(0.01f);
    u32(filters);
    u32(kh);
    u32(kw);
    u32(1);
    u32(1);
    u32(0);
    u32(0);
    u32(0);
  }
  // Parameter block: the count field and `count` floats of value v.
  void params(uint32_t count, float v = 0.0f) {
    u32(count);
    for (uint32_t i = 0; i < count; ++i) f32(v);
  }
  std::vector<uint8_t> finish(const std::string& metadata = "") {
    u32(static_cast<uint32_t>(metadata.size()));
    raw(metadata.data(), metadata.size());
    const uint64_t size = b_.size() + 4;
    for (int i = 0; i < 8; ++i) b_[8 + i] = static_cast<uint8_t>(size >> (8 * i));
    const uint32_t crc = static_cast<uint32_t>(crc32_z(crc32_z(0L, Z_NULL, 0), b_.data(), b_.size()));
    u32(crc);
    return b_;
  }

 private:
  std::vector<uint8_t> b_;
};

inline std::string read_text_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// The committed reproducer of a defect, tests/fuzz/corpus/<target>/defect-<name>: the tests
// feed these very files to the parsers, and the fuzzing corpus replays them.
inline std::string corpus_file(const std::string& target, const std::string& name) {
  return std::string(TINYPROP_SOURCE_DIR) + "/tests/fuzz/corpus/" + target + "/defect-" + name;
}

}  // namespace tinyprop::test
