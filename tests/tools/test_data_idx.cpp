// IDX loader (MNIST, Fashion-MNIST): valid files, plain and gzip, and every kind of damage.
#include <gtest/gtest.h>

#include "data/dataset.h"
#include "util/error.h"
#include "test_data_helpers.h"

namespace tinyprop::host {
namespace {

using test::contains;
using test::error_of;
using test::idx_images;
using test::idx_labels;
using test::TempDir;
using test::write_bytes;

// Three 2x3 images with distinct pixels and labels 0, 9, 4.
struct SmallIdx {
  std::vector<uint8_t> pixels;
  std::vector<uint8_t> labels{0, 9, 4};
  SmallIdx() {
    for (int i = 0; i < 3 * 2 * 3; ++i) pixels.push_back(static_cast<uint8_t>(i * 15));
  }
  std::vector<uint8_t> images() const { return idx_images(3, 2, 3, pixels); }
  std::vector<uint8_t> label_file() const { return idx_labels(labels); }
};

void expect_small(const Dataset& d, const SmallIdx& s) {
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d.shape.h, 2u);
  EXPECT_EQ(d.shape.w, 3u);
  EXPECT_EQ(d.shape.c, 1u);
  EXPECT_EQ(d.dim(), 6u);
  EXPECT_EQ(d.num_classes, 10u);
  ASSERT_EQ(d.x.size(), s.pixels.size());
  for (size_t i = 0; i < s.pixels.size(); ++i) {
    EXPECT_EQ(d.x[i], static_cast<float>(s.pixels[i]) / 255.0f) << "pixel " << i;
  }
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(d.y[i], s.labels[i]);
  EXPECT_EQ(d.sample(1)[0], static_cast<float>(s.pixels[6]) / 255.0f);
}

TEST(DataIdx, LoadsPlainFilesScaledToUnitRange) {
  TempDir dir;
  SmallIdx s;
  s.pixels[0] = 0;
  s.pixels[1] = 255;
  write_bytes(dir.file("img"), s.images());
  write_bytes(dir.file("lab"), s.label_file());
  const Dataset d = load_idx(dir.file("img"), dir.file("lab"));
  expect_small(d, s);
  EXPECT_EQ(d.x[0], 0.0f);
  EXPECT_EQ(d.x[1], 1.0f);
}

TEST(DataIdx, GzipIsDetectedByMagicNotName) {
  TempDir dir;
  SmallIdx s;
  // gzip content without .gz, plain content with .gz: both must load the same data.
  write_bytes(dir.file("img"), test::gzip(s.images()));
  write_bytes(dir.file("lab.gz"), s.label_file());
  expect_small(load_idx(dir.file("img"), dir.file("lab.gz")), s);
  write_bytes(dir.file("img.gz"), test::gzip(s.images()));
  write_bytes(dir.file("lab2.gz"), test::gzip(s.label_file()));
  expect_small(load_idx(dir.file("img.gz"), dir.file("lab2.gz")), s);
}

TEST(DataIdx, ConcatenatedGzipMembersAreOneStream) {
  TempDir dir;
  SmallIdx s;
  const std::vector<uint8_t> img = s.images();
  std::vector<uint8_t> two = test::gzip(std::vector<uint8_t>(img.begin(), img.begin() + 10));
  const std::vector<uint8_t> rest = test::gzip(std::vector<uint8_t>(img.begin() + 10, img.end()));
  two.insert(two.end(), rest.begin(), rest.end());
  write_bytes(dir.file("img.gz"), two);
  write_bytes(dir.file("lab"), s.label_file());
  expect_small(load_idx(dir.file("img.gz"), dir.file("lab")), s);
}

TEST(DataIdx, TruncatedImagesNameFileAndSizes) {
  TempDir dir;
  SmallIdx s;
  std::vector<uint8_t> img = s.images();  // 16 + 18 = 34 bytes
  img.resize(30);
  write_bytes(dir.file("train-images-idx3-ubyte"), img);
  write_bytes(dir.file("lab"), s.label_file());
  const std::string msg = error_of([&] { load_idx(dir.file("train-images-idx3-ubyte"), dir.file("lab")); });
  EXPECT_TRUE(contains(msg, "train-images-idx3-ubyte: truncated: expected 34 bytes, got 30")) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
}

TEST(DataIdx, TruncatedInsideHeader) {
  TempDir dir;
  SmallIdx s;
  std::vector<uint8_t> img = s.images();
  img.resize(9);
  write_bytes(dir.file("img"), img);
  write_bytes(dir.file("lab"), s.label_file());
  EXPECT_TRUE(contains(error_of([&] { load_idx(dir.file("img"), dir.file("lab")); }), "truncated"));
  write_bytes(dir.file("img"), {0, 0});
  EXPECT_TRUE(contains(error_of([&] { load_idx(dir.file("img"), dir.file("lab")); }), "truncated"));
  write_bytes(dir.file("img"), {});
  EXPECT_TRUE(contains(error_of([&] { load_idx(dir.file("img"), dir.file("lab")); }), "truncated"));
}

TEST(DataIdx, TrailingBytesAreAnError) {
  TempDir dir;
  SmallIdx s;
  std::vector<uint8_t> lab = s.label_file();
  lab.push_back(1);
  write_bytes(dir.file("img"), s.images());
  write_bytes(dir.file("lab"), lab);
  const std::string msg = error_of([&] { load_idx(dir.file("img"), dir.file("lab")); });
  EXPECT_TRUE(contains(msg, "lab: trailing bytes: expected 11 bytes, got 12")) << msg;
}

TEST(DataIdx, WrongMagicAndSwappedFiles) {
  TempDir dir;
  SmallIdx s;
  write_bytes(dir.file("img"), s.images());
  write_bytes(dir.file("lab"), s.label_file());
  std::string msg = error_of([&] { load_idx(dir.file("lab"), dir.file("img")); });
  EXPECT_TRUE(contains(msg, "lab: bad magic 0x00000801, expected 0x00000803")) << msg;
  std::vector<uint8_t> bad = s.images();
  bad[2] = 0x0D;  // int32 data type instead of unsigned byte
  write_bytes(dir.file("img"), bad);
  msg = error_of([&] { load_idx(dir.file("img"), dir.file("lab")); });
  EXPECT_TRUE(contains(msg, "bad magic 0x00000d03")) << msg;
}

TEST(DataIdx, OverflowingDimensionsAreRefusedBeforeAllocating) {
  TempDir dir;
  SmallIdx s;
  write_bytes(dir.file("lab"), s.label_file());
  // 2^32-1 cubed overflows even 64 bits; 65536 x 65536 x 1 fits 64 bits but is absurd.
  write_bytes(dir.file("img"), idx_images(0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, {}));
  std::string msg = error_of([&] { load_idx(dir.file("img"), dir.file("lab")); });
  EXPECT_TRUE(contains(msg, "img: dimensions too large")) << msg;
  write_bytes(dir.file("img"), idx_images(65536, 65536, 1, {1, 2, 3}));
  msg = error_of([&] { load_idx(dir.file("img"), dir.file("lab")); });
  EXPECT_TRUE(contains(msg, "dimensions too large")) << msg;
}

TEST(DataIdx, ZeroDimensionIsAnError) {
  TempDir dir;
  write_bytes(dir.file("img"), idx_images(3, 0, 3, {}));
  write_bytes(dir.file("lab"), idx_labels({1, 2, 3}));
  const std::string msg = error_of([&] { load_idx(dir.file("img"), dir.file("lab")); });
  EXPECT_TRUE(contains(msg, "dimension 1 is zero")) << msg;
}

TEST(DataIdx, ImageAndLabelCountsMustMatch) {
  TempDir dir;
  SmallIdx s;
  write_bytes(dir.file("img"), s.images());
  write_bytes(dir.file("lab"), idx_labels({1, 2}));
  const std::string msg = error_of([&] { load_idx(dir.file("img"), dir.file("lab")); });
  EXPECT_TRUE(contains(msg, "2 labels for 3 images")) << msg;
}

TEST(DataIdx, LabelOutOfRange) {
  TempDir dir;
  SmallIdx s;
  write_bytes(dir.file("img"), s.images());
  write_bytes(dir.file("lab"), idx_labels({1, 10, 2}));
  const std::string msg = error_of([&] { load_idx(dir.file("img"), dir.file("lab")); });
  EXPECT_TRUE(contains(msg, "lab: label 10 of sample 1 out of range")) << msg;
}

TEST(DataIdx, GzipGarbageIsAClearError) {
  TempDir dir;
  SmallIdx s;
  write_bytes(dir.file("lab"), s.label_file());
  // A gzip magic followed by nonsense.
  write_bytes(dir.file("img.gz"), {0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x03, 0xff, 0xff, 0xff, 0xff});
  std::string msg = error_of([&] { load_idx(dir.file("img.gz"), dir.file("lab")); });
  EXPECT_TRUE(contains(msg, "img.gz: gzip data is")) << msg;
  // A valid stream cut short.
  std::vector<uint8_t> gz = test::gzip(s.images());
  gz.resize(gz.size() / 2);
  write_bytes(dir.file("img.gz"), gz);
  msg = error_of([&] { load_idx(dir.file("img.gz"), dir.file("lab")); });
  EXPECT_TRUE(contains(msg, "img.gz: gzip data is truncated")) << msg;
  // A flipped byte in the deflate data or the CRC trailer.
  gz = test::gzip(s.images());
  gz[gz.size() - 6] ^= 0x55;
  write_bytes(dir.file("img.gz"), gz);
  msg = error_of([&] { load_idx(dir.file("img.gz"), dir.file("lab")); });
  EXPECT_TRUE(contains(msg, "img.gz: gzip data is corrupt")) << msg;
  // Garbage after a complete stream.
  gz = test::gzip(s.images());
  gz.push_back(0x42);
  write_bytes(dir.file("img.gz"), gz);
  msg = error_of([&] { load_idx(dir.file("img.gz"), dir.file("lab")); });
  EXPECT_TRUE(contains(msg, "garbage after the gzip stream")) << msg;
}

TEST(DataIdx, MissingFile) {
  TempDir dir;
  const std::string msg = error_of([&] { load_idx(dir.file("nope"), dir.file("nope2")); });
  EXPECT_TRUE(contains(msg, "nope: cannot open")) << msg;
}

}  // namespace
}  // namespace tinyprop::host
