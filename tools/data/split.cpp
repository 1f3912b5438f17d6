// Subsets, seeded shuffles and train/validation splits. Shuffling uses the core's Rng
// (xoshiro128** + Fisher-Yates), so the same seed gives the same order on every platform.
#include <numeric>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "util/error.h"

namespace tinyprop::host {

Dataset subset(const Dataset& d, const std::vector<uint32_t>& indices) {
  Dataset out;
  out.name = d.name;
  out.shape = d.shape;
  out.num_classes = d.num_classes;
  const size_t dim = d.dim();
  out.x.resize(indices.size() * dim);
  out.y.resize(indices.size());
  for (size_t i = 0; i < indices.size(); ++i) {
    const uint32_t src = indices[i];
    if (src >= d.size()) {
      throw Error(d.name + ": subset index " + std::to_string(src) + " out of range (" +
                  std::to_string(d.size()) + " samples)");
    }
    std::copy(d.sample(src), d.sample(src) + dim, out.x.begin() + static_cast<ptrdiff_t>(i * dim));
    out.y[i] = d.y[src];
  }
  return out;
}

std::vector<uint32_t> shuffled_indices(size_t n, uint64_t seed) {
  if (n > 0xFFFFFFFFu) throw Error("shuffle: " + std::to_string(n) + " samples exceed 32-bit indices");
  std::vector<uint32_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0u);
  Rng rng(seed);
  rng.shuffle(idx.data(), static_cast<uint32_t>(n));
  return idx;
}

void split(const Dataset& d, size_t first_count, uint64_t seed, Dataset* first, Dataset* rest) {
  if (first_count > d.size()) {
    throw Error(d.name + ": cannot split off " + std::to_string(first_count) + " samples from " +
                std::to_string(d.size()));
  }
  const std::vector<uint32_t> order = shuffled_indices(d.size(), seed);
  const auto cut = order.begin() + static_cast<ptrdiff_t>(first_count);
  // Build both before assigning, so that first/rest may alias d.
  Dataset a = subset(d, std::vector<uint32_t>(order.begin(), cut));
  Dataset b = subset(d, std::vector<uint32_t>(cut, order.end()));
  if (first != nullptr) *first = std::move(a);
  if (rest != nullptr) *rest = std::move(b);
}

}  // namespace tinyprop::host
