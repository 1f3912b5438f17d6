// IDX files (MNIST, Fashion-MNIST). Layout, all integers big-endian:
//   magic: 0x00 0x00 <type> <ndims>   (type 0x08 = unsigned byte)
//   ndims x uint32 dimension sizes
//   the data, product(dims) bytes
// Images are 0x00000803 (count, rows, cols); labels 0x00000801 (count).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/file_bytes.h"
#include "util/error.h"

namespace tinyprop::host {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;
constexpr uint32_t kLabelsMagic = 0x00000801;
constexpr uint32_t kIdxClasses = 10;  // MNIST and Fashion-MNIST: digits / garment classes 0..9

std::string hex32(uint32_t v) {
  char buf[16];
  snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

struct IdxArray {
  std::vector<uint32_t> dims;
  std::vector<uint8_t> data;  // product(dims) bytes, the header excluded
};

// Reads and validates one IDX file of unsigned bytes with the expected magic. The header says
// how many bytes follow, so decompression stops as soon as the data would exceed it (a small
// gzip bomb costs no more than the size it claims) and nothing is allocated beyond that size.
IdxArray read_idx(const std::string& path, uint32_t expected_magic, const char* what) {
  IdxArray a;
  DataStream in(path);
  uint8_t head[4 + 4 * 4];
  size_t got = in.read(head, 4);
  if (got < 4) {
    throw Error(path + ": truncated: " + std::to_string(got) + " bytes is too short for an IDX header");
  }
  const uint32_t magic = read_be32(head);
  if (magic != expected_magic) {
    throw Error(path + ": bad magic " + hex32(magic) + ", expected " + hex32(expected_magic) +
                " (IDX " + what + " file)");
  }
  const uint32_t ndims = expected_magic & 0xFFu;  // 1 or 3
  const size_t data_offset = 4 + 4 * static_cast<size_t>(ndims);
  got += in.read(head + 4, data_offset - 4);
  if (got < data_offset) {
    throw Error(path + ": truncated: expected at least " + std::to_string(data_offset) +
                " header bytes, got " + std::to_string(got));
  }
  // 64-bit product with a cap checked after every factor, so it can never wrap.
  uint64_t count = 1;
  for (uint32_t i = 0; i < ndims; ++i) {
    const uint32_t d = read_be32(head + 4 + 4 * i);
    if (d == 0) throw Error(path + ": dimension " + std::to_string(i) + " is zero");
    count *= d;
    if (count > kMaxDataFileBytes) {
      throw Error(path + ": dimensions too large (more than " + std::to_string(kMaxDataFileBytes) +
                  " bytes of data)");
    }
    a.dims.push_back(d);
  }
  const uint64_t expected = data_offset + count;
  const auto size_error = [&](uint64_t actual, const std::string& actual_text) {
    return Error(path + ": " + (actual < expected ? "truncated" : "trailing bytes") +
                 ": expected " + std::to_string(expected) + " bytes, got " + actual_text);
  };
  // A plain file's size is known before reading a byte of it.
  if (!in.gzipped() && in.stored_bytes() != expected) {
    throw size_error(in.stored_bytes(), std::to_string(in.stored_bytes()));
  }
  // A plain file has exactly `count` bytes left. A gzip member's header can promise up to
  // kMaxDataFileBytes that never arrive, so reserve only what a few times its compressed size
  // would inflate to and let the vector grow beyond (a real data set inflates about 5x).
  uint64_t reserve = count;
  if (in.gzipped()) reserve = std::min<uint64_t>(count, 4 * in.stored_bytes() + 65536);
  a.data.reserve(static_cast<size_t>(reserve));
  uint8_t chunk[1 << 16];
  while (a.data.size() < count) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(sizeof(chunk), count - a.data.size()));
    const size_t n = in.read(chunk, want);
    if (n == 0) {
      const uint64_t actual = data_offset + a.data.size();
      throw size_error(actual, std::to_string(actual));
    }
    a.data.insert(a.data.end(), chunk, chunk + n);
  }
  uint8_t extra = 0;
  if (in.read(&extra, 1) != 0) {
    throw size_error(expected + 1, "more (decompression stopped there)");
  }
  return a;
}

}  // namespace

Dataset load_idx(const std::string& images_path, const std::string& labels_path) {
  const IdxArray images = read_idx(images_path, kImagesMagic, "images");
  const IdxArray labels = read_idx(labels_path, kLabelsMagic, "labels");
  const uint32_t n = images.dims[0], rows = images.dims[1], cols = images.dims[2];
  if (labels.dims[0] != n) {
    throw Error(labels_path + ": " + std::to_string(labels.dims[0]) + " labels for " +
                std::to_string(n) + " images in " + images_path);
  }

  Dataset d;
  const size_t slash = images_path.find_last_of('/');
  d.name = slash == std::string::npos ? images_path : images_path.substr(slash + 1);
  d.shape = Shape{rows, cols, 1};
  d.num_classes = kIdxClasses;
  d.y.resize(n);
  const uint8_t* lab = labels.data.data();
  for (uint32_t i = 0; i < n; ++i) {
    if (lab[i] >= kIdxClasses) {
      throw Error(labels_path + ": label " + std::to_string(lab[i]) + " of sample " +
                  std::to_string(i) + " out of range (expected < " + std::to_string(kIdxClasses) + ")");
    }
    d.y[i] = lab[i];
  }
  // Pixels 0..255 -> [0, 1]: x = p / 255.
  const size_t total = static_cast<size_t>(n) * rows * cols;
  const uint8_t* px = images.data.data();
  d.x.resize(total);
  for (size_t i = 0; i < total; ++i) d.x[i] = static_cast<float>(px[i]) / 255.0f;
  return d;
}

}  // namespace tinyprop::host
