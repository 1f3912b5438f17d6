// CIFAR-10 binary loader on batches generated here in the official record format.
#include <gtest/gtest.h>

#include "data/dataset.h"
#include "util/error.h"
#include "test_data_helpers.h"

namespace tinyprop::host {
namespace {

using test::contains;
using test::error_of;
using test::TempDir;
using test::write_bytes;

constexpr size_t kRecord = 3073;

// A record whose pixel at (row r, col c, channel ch) has value (r * 7 + c * 3 + ch * 101 + seed) % 256,
// stored as the dataset does: label, then the R plane, G plane, B plane (each row-major 32x32).
std::vector<uint8_t> record(uint8_t label, int seed) {
  std::vector<uint8_t> rec(kRecord);
  rec[0] = label;
  for (int ch = 0; ch < 3; ++ch)
    for (int r = 0; r < 32; ++r)
      for (int c = 0; c < 32; ++c)
        rec[1 + ch * 1024 + r * 32 + c] = static_cast<uint8_t>((r * 7 + c * 3 + ch * 101 + seed) % 256);
  return rec;
}

float expected_pixel(int r, int c, int ch, int seed) {
  return static_cast<float>((r * 7 + c * 3 + ch * 101 + seed) % 256) / 255.0f;
}

std::vector<uint8_t> batch(const std::vector<uint8_t>& labels, int seed0) {
  std::vector<uint8_t> b;
  for (size_t i = 0; i < labels.size(); ++i) {
    const std::vector<uint8_t> rec = record(labels[i], seed0 + static_cast<int>(i));
    b.insert(b.end(), rec.begin(), rec.end());
  }
  return b;
}

TEST(DataCifar, ConvertsPlanesToChannelsLastAcrossBatches) {
  TempDir dir;
  write_bytes(dir.file("a.bin"), batch({3, 9}, 0));
  write_bytes(dir.file("b.bin"), batch({0}, 2));
  const Dataset d = load_cifar10({dir.file("a.bin"), dir.file("b.bin")});
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d.shape.h, 32u);
  EXPECT_EQ(d.shape.w, 32u);
  EXPECT_EQ(d.shape.c, 3u);
  EXPECT_EQ(d.num_classes, 10u);
  EXPECT_EQ(d.y, (std::vector<uint32_t>{3, 9, 0}));
  ASSERT_EQ(d.x.size(), 3u * 3072u);
  for (int i = 0; i < 3; ++i) {
    const float* x = d.sample(static_cast<size_t>(i));  // [32, 32, 3]
    for (int r = 0; r < 32; ++r)
      for (int c = 0; c < 32; ++c)
        for (int ch = 0; ch < 3; ++ch)
          ASSERT_EQ(x[(r * 32 + c) * 3 + ch], expected_pixel(r, c, ch, i))
              << "sample " << i << " r " << r << " c " << c << " ch " << ch;
  }
}

TEST(DataCifar, SizeMustBeAWholeNumberOfRecords) {
  TempDir dir;
  std::vector<uint8_t> b = batch({1, 2}, 0);
  b.pop_back();
  write_bytes(dir.file("data_batch_1.bin"), b);
  std::string msg = error_of([&] { load_cifar10({dir.file("data_batch_1.bin")}); });
  EXPECT_TRUE(contains(msg, "data_batch_1.bin: size 6145 is not a multiple of the 3073-byte")) << msg;
  b.push_back(0);
  b.push_back(0);
  write_bytes(dir.file("data_batch_1.bin"), b);
  msg = error_of([&] { load_cifar10({dir.file("data_batch_1.bin")}); });
  EXPECT_TRUE(contains(msg, "not a multiple")) << msg;
  write_bytes(dir.file("empty.bin"), {});
  msg = error_of([&] { load_cifar10({dir.file("empty.bin")}); });
  EXPECT_TRUE(contains(msg, "empty.bin: empty file")) << msg;
}

TEST(DataCifar, LabelOutOfRange) {
  TempDir dir;
  write_bytes(dir.file("t.bin"), batch({1, 10}, 0));
  const std::string msg = error_of([&] { load_cifar10({dir.file("t.bin")}); });
  EXPECT_TRUE(contains(msg, "t.bin: label 10 of record 1 out of range")) << msg;
}

TEST(DataCifar, NoFilesAndMissingFiles) {
  EXPECT_TRUE(contains(error_of([] { load_cifar10({}); }), "no batch files"));
  TempDir dir;
  EXPECT_TRUE(contains(error_of([&] { load_cifar10({dir.file("x.bin")}); }), "x.bin: cannot open"));
}

TEST(DataCifar, LoadNamedFindsTheStandardLayout) {
  TempDir dir;
  const std::string sub = dir.file("cifar-10-batches-bin");
  std::filesystem::create_directories(sub);
  for (int i = 1; i <= 5; ++i) {
    write_bytes(sub + "/data_batch_" + std::to_string(i) + ".bin", batch({static_cast<uint8_t>(i)}, i));
  }
  write_bytes(sub + "/test_batch.bin", batch({7, 8}, 0));
  const Dataset train = load_named(dir.path(), "cifar10", "train");
  EXPECT_EQ(train.y, (std::vector<uint32_t>{1, 2, 3, 4, 5}));  // batches in order 1..5
  EXPECT_EQ(train.sample(4)[0], expected_pixel(0, 0, 0, 5));
  const Dataset test = load_named(dir.path(), "cifar10", "test");
  EXPECT_EQ(test.y, (std::vector<uint32_t>{7, 8}));
}

TEST(DataCifar, LoadNamedSaysWhereToPutMissingData) {
  TempDir dir;
  const std::string msg = error_of([&] { load_named(dir.path(), "cifar10", "train"); });
  EXPECT_TRUE(contains(msg, dir.path() + "/cifar-10-batches-bin/data_batch_1.bin")) << msg;
  EXPECT_TRUE(contains(msg, "cifar-10-binary.tar.gz")) << msg;
  EXPECT_TRUE(contains(msg, "extract it into " + dir.path())) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

}  // namespace
}  // namespace tinyprop::host
