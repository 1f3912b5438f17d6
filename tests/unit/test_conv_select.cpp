// The radix top-k of the conv glue against a brute-force top-k (ties to the lower index) and
// against select_top_k(): same set, ascending order, on random, quantized (many ties), signed
// zero, constant and extreme inputs.
#include <gtest/gtest.h>

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
  EXPECT_GE(visits, 3 * v.size());  // at least the maximum, the histogram and the collection
  EXPECT_LE(visits, 8 * v.size());  // at most 4 radix passes and a tie scan on all N
  idx.resize(k);  // entries from k on are scratch
  return idx;
}

void check_all_k(const std::vector<float>& v, const std::string& what) {
  const uint32_t n = static_cast<uint32_t>(v.size());
  for (uint32_t k = 1; k < n; k += (n > 64 ? n / 37 + 1 : 1)) {
    const std::vector<uint32_t> got = radix(v, k);
    EXPECT_TRUE(std::is_sorted(got.begin(), got.end())) << what << " k " << k;
    EXPECT_EQ(got, brute_top_k(v.data(), n, k)) << what << " k " << k;
    std::vector<uint32_t> heap(k);
    (void)select_top_k(v.data(), n, k, heap.data());
    std::sort(heap.begin(), heap.end());
    EXPECT_EQ(got, heap) << what << " k " << k;
  }
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

}  // namespace
}  // namespace tinyprop_test
