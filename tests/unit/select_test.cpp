// Top-k selection against a brute-force sort, and k_for_ratio's rounding rule.
#include <gtest/gtest.h>
#include <math.h>

#include <set>

#include "test_util.h"
#include "sparsity/select_paths.h"
#include "tinyprop/select.h"

namespace tinyprop_test {
namespace {

// Values with many ties: a few magnitudes, random signs (|+x| ties |-x|), zeros.
std::vector<float> tie_heavy(Rng& rng, uint32_t n) {
  static const float kLevels[] = {0.0f, 0.25f, 0.5f, 1.0f, 3.0f};
  std::vector<float> v(n);
  for (float& f : v) {
    f = kLevels[rng.uniform_below(5)];
    if (rng.uniform_below(2) == 1) f = -f;
  }
  return v;
}

std::vector<uint32_t> ks_for(uint32_t n) {
  std::set<uint32_t> ks = {1, 2, n / 3, n / 2, n - 1, n};
  std::vector<uint32_t> out;
  for (uint32_t k : ks) {
    if (k >= 1 && k <= n) out.push_back(k);
  }
  return out;
}

TEST(SelectTopK, MatchesBruteForceWithTiesForManySizes) {
  Rng rng(101);
  const uint32_t sizes[] = {1, 2, 3, 4, 5, 8, 13, 17, 31, 64, 100, 257};
  size_t cases = 0;
  for (uint32_t n : sizes) {
    for (uint32_t k : ks_for(n)) {
      for (int rep = 0; rep < 12; ++rep) {
        const std::vector<float> v =
            (rep % 3 == 0) ? random_vector(rng, n, -1.0f, 1.0f) : tie_heavy(rng, n);
        std::vector<uint32_t> idx(k, 0xFFFFFFFFu);
        (void)select_top_k(v.data(), n, k, idx.data());
        std::vector<uint32_t> got = idx;
        std::sort(got.begin(), got.end());
        ASSERT_EQ(got, brute_top_k(v.data(), n, k)) << "n " << n << " k " << k << " rep " << rep;
        ++cases;
      }
    }
  }
  EXPECT_GT(cases, 500u);
}

// The small-k path (select_top_k's path on targets without SSE for k <= kMaxSmallSelect, which
// a host reaches only above 65535 elements): the exact set in ascending order, as the heap
// path, with ties, zeros of both signs, infinities and NaN (also NaN among the first k).
TEST(SelectTopK, SmallKPathGivesTheHeapPathsIndicesInOrder) {
  Rng rng(103);
  size_t cases = 0;
  for (uint32_t n : {2u, 3u, 5u, 9u, 10u, 16u, 32u, 33u, 100u}) {
    for (uint32_t k = 1; k <= kMaxSmallSelect && k < n; ++k) {
      for (int rep = 0; rep < 16; ++rep) {
        std::vector<float> v =
            (rep % 4 == 0) ? random_vector(rng, n, -1.0f, 1.0f) : tie_heavy(rng, n);
        if (rep % 4 == 2) v[rng.uniform_below(n)] = NAN;
        if (rep % 4 == 3) {
          v[rng.uniform_below(k)] = NAN;  // a NaN among the first k, kept at first
          v[rng.uniform_below(n)] = -INFINITY;
          v[rng.uniform_below(n)] = -0.0f;
        }
        std::vector<uint32_t> small(k, 0xFFFFFFFFu), heap(k, 0xFFFFFFFFu);
        (void)select_top_k_small(v.data(), n, k, small.data());
        (void)select_top_k_heap(v.data(), n, k, heap.data());
        ASSERT_EQ(small, heap) << "n " << n << " k " << k << " rep " << rep;
        if (rep % 4 < 2) {  // brute_top_k has no NaN rule (kernels_reference_check has)
          ASSERT_EQ(small, brute_top_k(v.data(), n, k)) << "n " << n << " k " << k;
        }
        ++cases;
      }
    }
  }
  EXPECT_GT(cases, 500u);
}

// Errors after a ReLU: most entries +0 or -0, a few numbers (ties among them too), sometimes a
// NaN. The nonzero numbers rank above every zero, the zeros of lowest index fill up when they
// are fewer than k, a NaN comes last: select_top_k (on x86 the rank path with the nonzero
// candidates and the zero fill) gives the heap path's indices in the same order.
TEST(SelectTopK, MostlyZeroErrorsGiveTheHeapPathsIndices) {
  Rng rng(107);
  size_t cases = 0, fewer_nonzero_than_k = 0;
  for (uint32_t n : {10u, 17u, 40u, 64u, 65u, 128u, 200u}) {
    for (uint32_t k = 1; k < n && k <= 66; k += (k < 12 ? 1 : 7)) {
      for (int rep = 0; rep < 8; ++rep) {
        const float p_nonzero = rep % 2 == 0 ? 0.1f : 0.4f;
        std::vector<float> v(n);
        uint32_t nonzero = 0;
        for (float& f : v) {
          const bool number = rng.uniform01() < p_nonzero;
          f = number ? (rep % 4 == 1 ? 0.5f : rng.uniform(-1.0f, 1.0f))
                     : (rng.uniform_below(2) == 1 ? -0.0f : 0.0f);
          nonzero += number ? 1u : 0u;
        }
        if (rep == 7) v[rng.uniform_below(n)] = NAN;
        if (rep == 5) {  // NaN everywhere but a few: the zeros cannot make up k
          for (uint32_t i = 0; i < n; ++i) v[i] = i % 8 == 0 ? 0.0f : NAN;
        }
        std::vector<uint32_t> got(k, 0xFFFFFFFFu), heap(k, 0xFFFFFFFFu);
        (void)select_top_k(v.data(), n, k, got.data());
        (void)select_top_k_heap(v.data(), n, k, heap.data());
        ASSERT_EQ(got, heap) << "n " << n << " k " << k << " rep " << rep;
        if (rep != 7 && rep != 5) {
          ASSERT_EQ(got, brute_top_k(v.data(), n, k)) << "n " << n << " k " << k;
        }
        fewer_nonzero_than_k += nonzero < k ? 1u : 0u;
        ++cases;
      }
    }
  }
  EXPECT_GT(cases, 300u);
  EXPECT_GT(fewer_nonzero_than_k, 50u);
}

#if defined(__SSE2__)
// The x86 rank path on a 64-float frame (select_top_k's path for 32 <= n <= 64, k <= 7), for
// every such n and k: errors in random order, tie-heavy values, errors after a ReLU (mostly
// zeros of both signs, sometimes fewer nonzero numbers than k), every magnitude equal, and
// inputs with NaN, infinities and -0. The brute-force set in ascending order (the heap path's
// where a NaN is in it, which brute_top_k has no rule for); select_top_k gives the same.
TEST(SelectTopK, FramePathMatchesBruteForceForEveryNAndK) {
  Rng rng(109);
  size_t cases = 0, taken = 0, fewer_nonzero_than_k = 0;
  for (uint32_t n = 32; n <= 64; ++n) {
    for (uint32_t k = 1; k <= 7; ++k) {
      for (int rep = 0; rep < 10; ++rep) {
        std::vector<float> v;
        const int kind = rep % 5;
        if (kind == 0) v = random_vector(rng, n, -1.0f, 1.0f);
        if (kind == 1) v = tie_heavy(rng, n);
        if (kind == 2) {
          v.assign(n, 0.0f);
          uint32_t nonzero = 0;
          for (float& f : v) {
            const bool number = rng.uniform_below(16) == 0;
            f = number ? rng.uniform(-1.0f, 1.0f) : (rng.uniform_below(2) == 1 ? -0.0f : 0.0f);
            nonzero += number ? 1u : 0u;
          }
          fewer_nonzero_than_k += nonzero < k ? 1u : 0u;
        }
        if (kind == 3) {
          v.assign(n, rng.uniform_below(2) == 1 ? 0.75f : -0.75f);
          for (float& f : v) f = rng.uniform_below(2) == 1 ? -f : f;
        }
        if (kind == 4) {
          v = random_vector(rng, n, -1.0f, 1.0f);
          v[rng.uniform_below(n)] = NAN;
          v[rng.uniform_below(n)] = -INFINITY;
          v[rng.uniform_below(n)] = -0.0f;
          if (rep == 9) {
            for (uint32_t i = 0; i < n; ++i) v[i] = i % 16 == 0 ? 1.0f : NAN;
          }
        }
        std::vector<uint32_t> frame(k, 0xFFFFFFFFu), heap(k, 0xFFFFFFFFu), got(k, 0xFFFFFFFFu);
        const bool done = select_top_k_frame(v.data(), n, k, frame.data());
        (void)select_top_k_heap(v.data(), n, k, heap.data());
        (void)select_top_k(v.data(), n, k, got.data());
        ASSERT_EQ(got, heap) << "n " << n << " k " << k << " rep " << rep;
        if (kind != 4) {
          ASSERT_TRUE(done) << "n " << n << " k " << k << " rep " << rep;
          ASSERT_EQ(frame, brute_top_k(v.data(), n, k)) << "n " << n << " k " << k;
        } else if (done) {
          ASSERT_EQ(frame, heap) << "n " << n << " k " << k << " rep " << rep;
        }
        taken += done ? 1u : 0u;
        ++cases;
      }
    }
  }
  EXPECT_EQ(cases, 33u * 7u * 10u);
  EXPECT_GE(taken, 33u * 7u * 8u);  // every input without NaN, and some with
  EXPECT_GT(fewer_nonzero_than_k, 100u);
  // Outside its range the frame path declines (select_top_k takes the general one).
  const std::vector<float> v = random_vector(rng, 80, -1.0f, 1.0f);
  std::vector<uint32_t> idx(32);
  EXPECT_FALSE(select_top_k_frame(v.data(), 31, 3, idx.data()));
  EXPECT_FALSE(select_top_k_frame(v.data(), 65, 3, idx.data()));
  EXPECT_FALSE(select_top_k_frame(v.data(), 64, 8, idx.data()));
  EXPECT_FALSE(select_top_k_frame(v.data(), 32, 32, idx.data()));
}
#endif

TEST(SelectTopK, AllEqualPicksTheLowestIndices) {
  const std::vector<float> v(20, -2.0f);
  std::vector<uint32_t> idx(6);
  (void)select_top_k(v.data(), 20, 6, idx.data());
  std::sort(idx.begin(), idx.end());
  EXPECT_EQ(idx, (std::vector<uint32_t>{0, 1, 2, 3, 4, 5}));
}

TEST(SelectTopK, LargestLateElementsWin) {
  // The top entries sit at the end: every one of them must displace the heap's weakest.
  std::vector<float> v(50);
  for (uint32_t i = 0; i < 50; ++i) v[i] = static_cast<float>(i) * (i % 2 ? -1.0f : 1.0f);
  std::vector<uint32_t> idx(5);
  (void)select_top_k(v.data(), 50, 5, idx.data());
  std::sort(idx.begin(), idx.end());
  EXPECT_EQ(idx, (std::vector<uint32_t>{45, 46, 47, 48, 49}));
}

TEST(SelectTopK, ComparisonCountIsBounded) {
  Rng rng(102);
  for (uint32_t n : {16u, 100u, 1000u}) {
    for (uint32_t k : {1u, n / 10, n / 2, n}) {
      const std::vector<float> v = random_vector(rng, n, -1.0f, 1.0f);
      std::vector<uint32_t> idx(k);
      const uint64_t cmps = select_top_k(v.data(), n, k, idx.data());
      if (k == n) {
        EXPECT_EQ(cmps, 0u) << "k = n needs no selection";
        continue;
      }
      // At least one look at each element outside the initial heap. At most: the heap path's
      // full sift (2 comparisons per level) for every element, plus its bound and index-order
      // pass (n each); the rank path's bound (n, and (2k)^2 to rank 2k block maxima), candidate
      // pass (n) and counting (c^2, plus c^2 / 2 with ties) over at most 64 candidates.
      const double levels = ceil(log2(static_cast<double>(k) + 1.0));
      const double heap_most = 3.0 * n + 2.0 * n * levels;
      const double c_max = n < 64 ? n : 64, m = 2.0 * k < 64 ? 2.0 * k : 64;
      const double rank_most = 2.0 * n + m * m + 1.5 * c_max * c_max;
      EXPECT_GE(cmps, n - k);
      EXPECT_LE(static_cast<double>(cmps), heap_most > rank_most ? heap_most : rank_most)
          << "n " << n << " k " << k;
    }
  }
}

TEST(KForRatio, EdgeCases) {
  EXPECT_EQ(k_for_ratio(0.7f, 10), 7u);  // 0.7f * 10 = 6.9999995 in float
  EXPECT_EQ(k_for_ratio(0.3f, 10), 3u);
  EXPECT_EQ(k_for_ratio(0.1f, 10), 1u);
  EXPECT_EQ(k_for_ratio(0.29f, 100), 29u);
  EXPECT_EQ(k_for_ratio(0.05f, 10), 1u);  // floor 0 clamps to 1
  EXPECT_EQ(k_for_ratio(1e-9f, 1000), 1u);
  EXPECT_EQ(k_for_ratio(0.0f, 10), 1u);
  EXPECT_EQ(k_for_ratio(-0.5f, 10), 1u);
  EXPECT_EQ(k_for_ratio(NAN, 10), 1u);
  EXPECT_EQ(k_for_ratio(1.0f, 10), 10u);
  EXPECT_EQ(k_for_ratio(1.5f, 10), 10u);
  EXPECT_EQ(k_for_ratio(0.5f, 1), 1u);
  EXPECT_EQ(k_for_ratio(0.999f, 1000), 999u);
  EXPECT_EQ(k_for_ratio(0.0999f, 10), 1u);  // just below 0.1 stays at floor 0.999 -> 1
  EXPECT_EQ(k_for_ratio(0.19f, 10), 1u);    // 1.9 floors to 1, the nudge must not round up
}

// Every decimal ratio m / 100 gives exactly floor(m n / 100) (integer arithmetic), clamped.
TEST(KForRatio, DecimalRatiosFloorExactly) {
  for (uint32_t n = 1; n <= 300; ++n) {
    for (uint32_t m = 1; m <= 100; ++m) {
      const float ratio = static_cast<float>(m) / 100.0f;
      uint32_t expect = m * n / 100;
      if (expect < 1) expect = 1;
      ASSERT_EQ(k_for_ratio(ratio, n), expect) << "ratio " << m << "/100 n " << n;
    }
  }
}

}  // namespace
}  // namespace tinyprop_test
