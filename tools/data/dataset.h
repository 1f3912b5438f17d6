// In-memory datasets for the host tools, and the loaders that fill them. Loaders validate
// everything (magic numbers, dimensions, sizes) and throw host::Error with a one-line message
// naming the file and the problem.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "tinyprop/rng.h"
#include "tinyprop/spec.h"

namespace tinyprop::host {

struct Dataset {
  std::string name;
  Shape shape;                 // per-sample shape, channels-last (h, w, c)
  uint32_t num_classes = 0;
  std::vector<float> x;        // [size(), shape.size()] features, normalised (see docs/DATA.md)
  std::vector<uint32_t> y;     // [size()] class labels in [0, num_classes)

  size_t size() const { return y.size(); }
  uint32_t dim() const { return shape.size(); }
  const float* sample(size_t i) const { return x.data() + i * dim(); }
};

// IDX image + label files (MNIST, Fashion-MNIST), plain or gzip-compressed (detected by the
// gzip magic, not the name). Pixels are scaled to [0, 1].
Dataset load_idx(const std::string& images_path, const std::string& labels_path);

// CIFAR-10 binary batches: 3073-byte records (label byte, then 1024 R, 1024 G, 1024 B bytes).
// Converted to channels-last 32x32x3, scaled to [0, 1].
Dataset load_cifar10(const std::vector<std::string>& batch_paths);

// CSV: numeric feature columns and one integer label column (label_column, 0-based; -1 = last).
// An optional header line is detected (first line not numeric). Features are used as they are.
Dataset load_csv(const std::string& path, int label_column = -1);

// The samples at `indices`, in that order.
Dataset subset(const Dataset& d, const std::vector<uint32_t>& indices);
// 0..n-1 shuffled with tinyprop::Rng(seed): deterministic on every platform.
std::vector<uint32_t> shuffled_indices(size_t n, uint64_t seed);
// Splits d deterministically: the first `first_count` samples of a seeded shuffle, and the rest.
void split(const Dataset& d, size_t first_count, uint64_t seed, Dataset* first, Dataset* rest);

// Locating data: the data directory is $TINYPROP_DATA_DIR, else <repo>/data (the folder
// scripts/get-data.sh fills). Standard layouts below it:
//   mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]
//   fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]
//   cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin
std::string default_data_dir();
// name: "mnist" | "fashion-mnist" | "cifar10"; part: "train" | "test". Throws a clear error
// that says how to obtain the data when files are missing.
Dataset load_named(const std::string& data_dir, const std::string& name, const std::string& part);

}  // namespace tinyprop::host
