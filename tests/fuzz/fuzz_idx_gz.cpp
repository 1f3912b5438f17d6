// Fuzz target "idx_gz": gzip-compressed IDX files (the MNIST downloads) through host::load_idx,
// which inflates them in host::read_data_file. Input layout as fuzz_idx.cpp (idx_pair.h).
// Properties, on top of idx_pair.h's:
//   * whatever read_data_file inflates from a gzip file (up to 64 KiB, so that gzip bombs keep
//     executions fast) equals what zlib's own gzread reads from it (one or several members), and
//     read_data_file never accepts a file gzread finds damaged;
//   * load_idx gives a clear error or exactly the dataset the inflated bytes say, checked on the
//     inputs whose files both inflate to at most 64 KiB. Larger ones (a few hundred bytes of gzip
//     can inflate to megabytes) are inflated by the bounded check above only: without this bound
//     the corpus fills with such inputs and the run slows from thousands of executions per second
//     to a few hundred; the unbounded path of load_idx on large files is the same code the "idx"
//     target runs on plain files.
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

// True when gzread inflates the file to at most `limit` bytes (or finds it damaged early): the
// inflating stops as soon as the limit is passed.
bool inflates_within(const std::string& path, uint64_t limit) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return true;
  uint8_t buf[1 << 14];
  uint64_t total = 0;
  int n = 0;
  while (total <= limit && (n = gzread(f, buf, sizeof buf)) > 0) total += static_cast<uint64_t>(n);
  gzclose(f);
  return total <= limit;
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
  const fuzz::IdxPaths paths = fuzz::write_idx_pair(data, size);
  if (inflates_within(paths.images, kMaxInflated) && inflates_within(paths.labels, kMaxInflated)) {
    fuzz::load_and_check_idx_pair(paths.images, paths.labels);
  }
  check_inflate(paths.images);
  check_inflate(paths.labels);
  return 0;
}
