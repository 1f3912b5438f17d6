// The radix top-k of the conv glue against a brute-force top-k (ties to the lower index) and
// against select_top_k(): same set, ascending order, on random, quantized (many ties), signed
// zero, constant and extreme inputs.
#include <gtest/gtest.h>

#include <math.h>

#include <algorithm>
#include <string>

#include "layers/conv_select.h"
#include "test_util.h"
#include "tinyprop/select.h"

namespace tinyprop_test {
namespace {

std::vector<uint32_t> radix(const std::vector<float>& v, uint32_t k) {
  std::vector<uint32_t> idx(v.size(), 0xFFFFFFFFu);
  const uint64_t visits =
      select_top_k_radix(v.data(), static_cast<uint32_t>(v.size()), k, idx.data());
  EXPECT_GE(visits, v.size());  // at least the compaction pass over all N
  EXPECT_LE(visits, 10 * v.size());  // at most 4 radix passes and 5 other passes over all N
  idx.resize(k);  // entries from k on are scratch
  return idx;
}

void check_k(const std::vector<float>& v, uint32_t k, const std::string& what) {
  const uint32_t n = static_cast<uint32_t>(v.size());
  const std::vector<uint32_t> got = radix(v, k);
  EXPECT_TRUE(std::is_sorted(got.begin(), got.end())) << what << " k " << k;
  EXPECT_EQ(got, brute_top_k(v.data(), n, k)) << what << " k " << k;
  std::vector<uint32_t> heap(k);
  (void)select_top_k(v.data(), n, k, heap.data());
  std::sort(heap.begin(), heap.end());
  EXPECT_EQ(got, heap) << what << " k " << k;
}

// Every k (small n) or 37 spread over 1..n-1, always with k = 1 and k = n - 1 (k = n is the
// caller's "all elements": no selection runs).
void check_all_k(const std::vector<float>& v, const std::string& what) {
  const uint32_t n = static_cast<uint32_t>(v.size());
  for (uint32_t k = 1; k < n; k += (n > 64 ? n / 37 + 1 : 1)) check_k(v, k, what);
  if (n > 1) check_k(v, n - 1, what);
}

TEST(ConvSelect, RandomValues) {
  Rng rng(1);
  for (uint32_t n : {2u, 3u, 17u, 200u, 1936u}) {
    std::vector<float> v(n);
    for (float& f : v) f = rng.normal();
    check_all_k(v, "normal n " + std::to_string(n));
  }
}

TEST(ConvSelect, ManyTiesGoToLowerIndices) {
  Rng rng(2);
  std::vector<float> v(300);
  // Few distinct magnitudes, both signs: the k-th magnitude is almost always tied.
  for (float& f : v) f = 0.25f * static_cast<float>(rng.uniform_below(5)) * (rng.uniform_below(2) ? 1.0f : -1.0f);
  check_all_k(v, "quantized");
  check_all_k(std::vector<float>(50, 0.5f), "constant");
  check_all_k(std::vector<float>(40, 0.0f), "zeros");
  std::vector<float> signed_zeros(30);
  for (size_t i = 0; i < signed_zeros.size(); ++i) signed_zeros[i] = i % 2 ? -0.0f : 0.0f;
  signed_zeros[7] = -1e-30f;  // a denormal-range value beats every zero
  check_all_k(signed_zeros, "signed zeros");
}

TEST(ConvSelect, ExtremeMagnitudes) {
  std::vector<float> v = {3.0e38f, -3.0e38f, 1e-38f, -1e-45f, 1.0f, -1.0f, 0.0f, 65504.0f,
                          1.0000001f, -2.0f, 1e-45f, 2.0f};
  check_all_k(v, "extremes");
}

// The sizes of the benchmarked layers (and one more or less, for the four-lane passes' tails),
// at the ratios the benchmarks use.
TEST(ConvSelect, LayerSizesAtBenchmarkRatios) {
  Rng rng(3);
  for (uint32_t n : {1935u, 1936u, 1937u, 1938u, 5408u, 5411u}) {
    std::vector<float> v(n);
    for (float& f : v) f = 0.1f * rng.normal();
    for (uint32_t k : {1u, 2u, n / 64, n / 10, n / 5, n / 2, n - 2, n - 1}) {
      check_k(v, k, "normal n " + std::to_string(n));
    }
  }
}

// Equal magnitudes where the first histogram puts the k-th key: the boundary bin's keys are
// tied (radix select on the few candidates), or hold more than half of all keys (radix select on
// all keys), or every key is equal.
TEST(ConvSelect, TiesInTheBoundaryBin) {
  Rng rng(4);
  std::vector<float> v(2000);
  // 1 + j / 2^20 for j < 4: one bin (1/32 octave), four distinct magnitudes, both signs.
  for (float& f : v) {
    f = (1.0f + static_cast<float>(rng.uniform_below(4)) * 9.5367431640625e-07f) *
        (rng.uniform_below(2) ? 1.0f : -1.0f);
  }
  check_all_k(v, "one bin, four magnitudes");
  for (size_t i = 0; i < v.size(); i += 3) v[i] = 0.5f * v[i];  // a third in a lower bin
  check_all_k(v, "two bins");
  check_all_k(std::vector<float>(1001, -0.75f), "constant");
  check_all_k(std::vector<float>(1500, -0.75f), "constant, sampled");
  std::vector<float> two(999, 0.75f);
  for (size_t i = 0; i < two.size(); i += 2) two[i] = -0.7500001f;  // adjacent floats
  check_all_k(two, "two adjacent magnitudes");
}

// Magnitudes spread over more than the first histogram's 8 octaves: with k large, the k-th key
// lies in bin 0, which then holds keys of many octaves (few of them, or most).
TEST(ConvSelect, KeysBelowTheHistogramRange) {
  Rng rng(5);
  for (uint32_t tiny_share : {30u, 90u}) {
    std::vector<float> v(1500);
    for (float& f : v) {
      const bool tiny = rng.uniform_below(100) < tiny_share;
      f = rng.normal() * (tiny ? 1e-20f : 1.0f);
      if (rng.uniform_below(50) == 0) f = 0.0f;
    }
    check_all_k(v, "tiny share " + std::to_string(tiny_share));
  }
}

// A sample that misleads: the sampled positions (every 7th) hold the largest magnitudes, so
// fewer than k keys pass its threshold and the selection must fall back to all N; and the
// opposite, where the sampled positions are the smallest and nearly all keys pass.
TEST(ConvSelect, SampleThatMisleads) {
  Rng rng(7);
  for (bool sampled_large : {true, false}) {
    std::vector<float> v(2100);
    for (size_t i = 0; i < v.size(); ++i) {
      const float m = 1.0f + 0.001f * static_cast<float>(rng.uniform_below(100));
      v[i] = (i % 7 == 0) == sampled_large ? 4.0f * m : m;
    }
    check_all_k(v, sampled_large ? "sampled large" : "sampled small");
  }
}

TEST(ConvSelect, InfinitiesDenormalsAndLargest) {
  Rng rng(6);
  std::vector<float> v(777);
  const float specials[] = {INFINITY, -INFINITY, 3.4028235e38f, -3.4028235e38f, 1e-45f,
                            -1e-45f, 1.1754942e-38f, 0.0f, -0.0f};
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] = rng.uniform_below(3) == 0 ? specials[rng.uniform_below(9)] : rng.normal();
  }
  check_all_k(v, "specials");
}

}  // namespace
}  // namespace tinyprop_test

namespace tinyprop_test {
namespace {

// The point of the sampled threshold: on an ordinary error map (the benchmarked layer sizes,
// normal values, r = 0.1) the selection reads the sample, makes its one compaction pass over
// all N and works on the short list, well under two visits per element; a selection that fell
// back to radix passes over all N (the generic bound checked in radix(): up to ten) fails here.
TEST(ConvSelect, OrdinaryMapsTakeTheShortPath) {
  Rng rng(7);
  for (uint32_t n : {1936u, 5408u}) {
    std::vector<float> v(n);
    for (float& f : v) f = 0.1f * rng.normal();
    std::vector<uint32_t> idx(n);
    const uint64_t visits = select_top_k_radix(v.data(), n, n / 10, idx.data());
    EXPECT_LE(visits, 2u * n) << "n " << n << ": " << visits << " visits";
  }
}

}  // namespace
}  // namespace tinyprop_test
