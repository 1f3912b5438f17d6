// The IDX properties shared by fuzz_idx.cpp (plain files) and fuzz_idx_gz.cpp (gzip files).
// Input layout (split_two_files): u32 LE length of the images file, the images file, the labels
// file. Both are written to disk and given to host::load_idx, the loader the CLI uses.
#pragma once
#include "data/dataset.h"
#include "data/file_bytes.h"
#include "fuzz_common.h"

namespace tinyprop::fuzz {

inline uint64_t be32_at(const std::vector<uint8_t>& b, size_t at) { return host::read_be32(b.data() + at); }

// A dataset load_idx returned must be exactly what the (decompressed) bytes say:
//   images: magic 0x00000803, dims n, rows, cols, and 16 + n*rows*cols bytes in all (the dims
//   multiply to the payload size); labels: magic 0x00000801, dim n, 8 + n bytes;
//   shape rows x cols x 1, n samples, x[i] = pixel[i] / 255, y[i] = label byte < 10.
inline void check_idx_dataset(const host::Dataset& d, const std::string& images_path,
                              const std::string& labels_path) {
  const std::vector<uint8_t> img = host::read_data_file(images_path);
  const std::vector<uint8_t> lab = host::read_data_file(labels_path);
  FUZZ_REQUIRE(img.size() >= 16 && lab.size() >= 8);
  FUZZ_REQUIRE(be32_at(img, 0) == 0x00000803u && be32_at(lab, 0) == 0x00000801u);
  const uint64_t n = be32_at(img, 4), rows = be32_at(img, 8), cols = be32_at(img, 12);
  FUZZ_REQUIRE(img.size() == 16 + n * rows * cols);
  FUZZ_REQUIRE(be32_at(lab, 4) == n && lab.size() == 8 + n);
  FUZZ_REQUIRE(d.shape.h == rows && d.shape.w == cols && d.shape.c == 1);
  FUZZ_REQUIRE(d.size() == n && d.x.size() == n * rows * cols && d.num_classes == 10);
  for (size_t i = 0; i < d.x.size(); ++i) {
    FUZZ_REQUIRE(same_bits(d.x[i], static_cast<float>(img[16 + i]) / 255.0f));
  }
  for (size_t i = 0; i < d.size(); ++i) FUZZ_REQUIRE(d.y[i] == lab[8 + i] && d.y[i] < 10);
}

struct IdxPaths {
  std::string images, labels;
};

// Splits the input into the two files and writes them to the scratch directory.
inline IdxPaths write_idx_pair(const uint8_t* data, size_t size) {
  const TwoFiles files = split_two_files(data, size);
  ScratchDir& dir = ScratchDir::get();
  return {dir.write("images-idx3-ubyte", files.first), dir.write("labels-idx1-ubyte", files.second)};
}

// load_idx on the two files: a clear error, or a dataset that is exactly what the bytes say.
inline void load_and_check_idx_pair(const std::string& images, const std::string& labels) {
  host::Dataset d;
  try {
    d = host::load_idx(images, labels);
  } catch (const host::Error& e) {
    // Either file may be the one refused; the message names the one it is about.
    const std::string msg = e.what();
    require_clear_error(e, msg.find(labels) != std::string::npos ? labels : images);
    return;
  }
  check_idx_dataset(d, images, labels);
  outcome("accepted: " + std::to_string(d.size()) + " images of " + std::to_string(d.shape.h) + "x" +
          std::to_string(d.shape.w));
}

inline void fuzz_idx_pair(const uint8_t* data, size_t size) {
  const IdxPaths paths = write_idx_pair(data, size);
  load_and_check_idx_pair(paths.images, paths.labels);
}

}  // namespace tinyprop::fuzz
