// Subsets, seeded shuffles, splits, named loading; plus checks on the real MNIST and
// Fashion-MNIST files when scripts/get-data.sh has put them in place (skipped otherwise).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <numeric>

#include "data/dataset.h"
#include "util/error.h"
#include "test_data_helpers.h"
#include "../missing_dependency.h"

namespace tinyprop::host {
namespace {

using test::contains;
using test::error_of;
using test::TempDir;

// n samples of dim 2: x = (i, -i), y = i % 3.
Dataset counting(size_t n) {
  Dataset d;
  d.name = "counting";
  d.shape = Shape{1, 1, 2};
  d.num_classes = 3;
  for (size_t i = 0; i < n; ++i) {
    d.x.push_back(static_cast<float>(i));
    d.x.push_back(-static_cast<float>(i));
    d.y.push_back(static_cast<uint32_t>(i % 3));
  }
  return d;
}

TEST(DataSplit, ShuffleIsAPermutationAndDeterministic) {
  const std::vector<uint32_t> a = shuffled_indices(1000, 42);
  const std::vector<uint32_t> b = shuffled_indices(1000, 42);
  const std::vector<uint32_t> c = shuffled_indices(1000, 43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::vector<uint32_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  std::vector<uint32_t> iota(1000);
  std::iota(iota.begin(), iota.end(), 0u);
  EXPECT_EQ(sorted, iota);
  EXPECT_NE(a, iota);
  EXPECT_TRUE(shuffled_indices(0, 1).empty());
}

TEST(DataSplit, ShuffleMatchesTheCoreRng) {
  // The documented recipe: iota then tinyprop::Rng(seed).shuffle (docs/DATA.md).
  std::vector<uint32_t> expected(50);
  std::iota(expected.begin(), expected.end(), 0u);
  Rng rng(7);
  rng.shuffle(expected.data(), 50);
  EXPECT_EQ(shuffled_indices(50, 7), expected);
}

TEST(DataSplit, SubsetCopiesSamplesInOrder) {
  const Dataset d = counting(10);
  const Dataset s = subset(d, {7, 2, 2});
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.x, (std::vector<float>{7, -7, 2, -2, 2, -2}));
  EXPECT_EQ(s.y, (std::vector<uint32_t>{1, 2, 2}));
  EXPECT_EQ(s.num_classes, 3u);
  EXPECT_EQ(s.dim(), 2u);
  EXPECT_TRUE(contains(error_of([&] { subset(d, {10}); }), "subset index 10 out of range"));
}

TEST(DataSplit, SplitPartitionsDeterministically) {
  const Dataset d = counting(100);
  Dataset first, rest;
  split(d, 30, 5, &first, &rest);
  ASSERT_EQ(first.size(), 30u);
  ASSERT_EQ(rest.size(), 70u);
  // Together they hold every sample exactly once, each with its own label.
  std::vector<int> seen(100, 0);
  for (const Dataset* part : {&first, &rest}) {
    for (size_t i = 0; i < part->size(); ++i) {
      const int id = static_cast<int>(part->sample(i)[0]);
      ++seen[static_cast<size_t>(id)];
      EXPECT_EQ(part->sample(i)[1], -static_cast<float>(id));
      EXPECT_EQ(part->y[i], static_cast<uint32_t>(id % 3));
    }
  }
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), 100);
  // First part = the first 30 of the seeded shuffle.
  const std::vector<uint32_t> order = shuffled_indices(100, 5);
  for (size_t i = 0; i < 30; ++i) EXPECT_EQ(first.sample(i)[0], static_cast<float>(order[i]));
  Dataset again;
  split(d, 30, 5, &again, nullptr);
  EXPECT_EQ(again.x, first.x);
  EXPECT_TRUE(contains(error_of([&] { split(d, 101, 5, &first, &rest); }), "cannot split off 101 samples from 100"));
}

TEST(DataSplit, SplitMayOverwriteItsInput) {
  Dataset d = counting(10);
  Dataset rest;
  split(d, 4, 1, &d, &rest);
  EXPECT_EQ(d.size(), 4u);
  EXPECT_EQ(rest.size(), 6u);
}

TEST(DataNamed, UnknownNamesAndMissingFilesExplainThemselves) {
  TempDir dir;
  EXPECT_TRUE(contains(error_of([&] { load_named(dir.path(), "imagenet", "train"); }), "unknown dataset 'imagenet'"));
  EXPECT_TRUE(contains(error_of([&] { load_named(dir.path(), "mnist", "val"); }), "unknown dataset part 'val'"));
  const std::string msg = error_of([&] { load_named(dir.path(), "mnist", "test"); });
  EXPECT_TRUE(contains(msg, dir.path() + "/mnist/t10k-images-idx3-ubyte[.gz]")) << msg;
  EXPECT_TRUE(contains(msg, "scripts/get-data.sh")) << msg;
  EXPECT_TRUE(contains(error_of([&] { load_named(dir.path(), "fashion-mnist", "train"); }),
                       "dataset-fashion-mnist"));
}

TEST(DataNamed, FindsPlainOrGzipFiles) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("fashion-mnist"));
  const std::vector<uint8_t> px(2 * 4, 51);
  test::write_bytes(dir.file("fashion-mnist/t10k-images-idx3-ubyte.gz"), test::gzip(test::idx_images(2, 2, 2, px)));
  test::write_bytes(dir.file("fashion-mnist/t10k-labels-idx1-ubyte"), test::idx_labels({3, 4}));
  const Dataset d = load_named(dir.path(), "fashion-mnist", "test");
  EXPECT_EQ(d.name, "fashion-mnist/test");
  EXPECT_EQ(d.y, (std::vector<uint32_t>{3, 4}));
  EXPECT_EQ(d.x[0], 0.2f);
}

TEST(DataNamed, DefaultDataDirHonoursTheEnvironment) {
  const char* old = getenv("TINYPROP_DATA_DIR");
  const std::string saved = old ? old : "";
  setenv("TINYPROP_DATA_DIR", "/some/where", 1);
  EXPECT_EQ(default_data_dir(), "/some/where");
  unsetenv("TINYPROP_DATA_DIR");
  const std::string dflt = default_data_dir();
  EXPECT_EQ(dflt.substr(dflt.size() - 5), "/data");
  if (old) setenv("TINYPROP_DATA_DIR", saved.c_str(), 1);
}

// The real datasets, when present: sizes, shapes and label histograms of the published files.
std::string real_data_dir() { return std::string(TINYPROP_SOURCE_DIR) + "/data"; }

void expect_balanced_digits(const Dataset& d) {
  std::vector<size_t> hist(10, 0);
  for (uint32_t y : d.y) ++hist[y];
  for (size_t c = 0; c < 10; ++c) EXPECT_GT(hist[c], d.size() / 20) << "class " << c;
}

TEST(DataReal, Mnist) {
  if (!std::filesystem::exists(real_data_dir() + "/mnist/train-labels-idx1-ubyte")) {
    TINYPROP_MISSING_DEPENDENCY("MNIST not installed (scripts/get-data.sh)");
  }
  const Dataset train = load_named(real_data_dir(), "mnist", "train");
  const Dataset test = load_named(real_data_dir(), "mnist", "test");
  EXPECT_EQ(train.size(), 60000u);
  EXPECT_EQ(test.size(), 10000u);
  EXPECT_EQ(train.shape.h, 28u);
  EXPECT_EQ(train.shape.w, 28u);
  EXPECT_EQ(train.y[0], 5u);  // the first training digit is a 5, the first test digit a 7
  EXPECT_EQ(test.y[0], 7u);
  expect_balanced_digits(train);
  EXPECT_EQ(*std::max_element(train.x.begin(), train.x.end()), 1.0f);
  EXPECT_EQ(*std::min_element(train.x.begin(), train.x.end()), 0.0f);
}

TEST(DataReal, FashionMnist) {
  if (!std::filesystem::exists(real_data_dir() + "/fashion-mnist/train-labels-idx1-ubyte.gz")) {
    TINYPROP_MISSING_DEPENDENCY("Fashion-MNIST not installed (scripts/install-deps.sh data)");
  }
  const Dataset train = load_named(real_data_dir(), "fashion-mnist", "train");
  const Dataset test = load_named(real_data_dir(), "fashion-mnist", "test");
  EXPECT_EQ(train.size(), 60000u);
  EXPECT_EQ(test.size(), 10000u);
  EXPECT_EQ(train.dim(), 784u);
  EXPECT_EQ(train.y[0], 9u);  // the first training item is an ankle boot
  expect_balanced_digits(train);
}

}  // namespace
}  // namespace tinyprop::host
