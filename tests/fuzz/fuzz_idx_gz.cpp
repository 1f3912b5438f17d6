// Fuzz target "idx_gz": gzip-compressed IDX files (the MNIST downloads) through host::load_idx,
// which inflates them in host::read_data_file. Input layout as fuzz_idx.cpp (idx_pair.h).
// Properties, on top of idx_pair.h's:
//   * whatever read_data_file inflates from a gzip file (up to 64 KiB, so that gzip bombs keep
//     executions fast) equals what zlib's own gzread reads from it (one or several members), and
//     read_data_file never accepts a file gzread finds damaged.
#include <zlib.h>

#include "idx_pair.h"

namespace {

using namespace tinyprop;

constexpr uint64_t kMaxInflated = 1u << 16;

// zlib's gz* reader as the reference decoder: false when it reports an error.
bool gzread_all(const std::string& path, std::vector<uint8_t>* out) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  uint8_t buf[1 << 14];
  int n = 0;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out->insert(out->end(), buf, buf + n);
  int err = Z_OK;
  gzerror(f, &err);
  gzclose(f);
  return n == 0 && err == Z_OK;
}

void check_inflate(const std::string& path) {
  std::vector<uint8_t> ours;
  try {
    ours = host::read_data_file(path, kMaxInflated);
  } catch (const host::Error& e) {
    fuzz::require_clear_error(e, path);
    return;
  }
  std::vector<uint8_t> reference;
  FUZZ_REQUIRE_MSG(gzread_all(path, &reference), "read_data_file accepted a file gzread refuses");
  FUZZ_REQUIRE(ours == reference);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::fuzz_idx_pair(data, size);
  fuzz::ScratchDir& dir = fuzz::ScratchDir::get();
  check_inflate(dir.path_of("images-idx3-ubyte"));
  check_inflate(dir.path_of("labels-idx1-ubyte"));
  return 0;
}
