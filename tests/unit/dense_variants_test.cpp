// The canonical summation order on every kernel variant (kernels/rows4.h): every variant this
// CPU can run (scalar reference, SSE, AVX2 on x86) gives the scalar reference's bits, and the
// four-row blocking of the dense kernels gives the bits of one dot / axpy per row.
#include <gtest/gtest.h>
#include <math.h>

#include <vector>

#include "kernels/rows4.h"
#include "test_util.h"
#include "tinyprop/kernels/dense.h"

namespace tinyprop_test {
namespace {

// Values spread over many binades, so that any change of the summation order changes bits.
std::vector<float> wide_values(Rng& rng, size_t n) {
  std::vector<float> v(n);
  for (float& f : v) f = rng.uniform(-1.0f, 1.0f) * exp2f(rng.uniform(-12.0f, 12.0f));
  return v;
}

std::vector<uint16_t> random_blocks(Rng& rng, uint32_t n_blocks, float p) {
  std::vector<uint16_t> list;
  for (uint32_t b = 0; b < n_blocks; ++b) {
    if (rng.uniform01() < p) list.push_back(static_cast<uint16_t>(b));
  }
  return list;
}

using LanesFn = void (*)(const float*, size_t, const float*, uint32_t, float*);
using BlocksFn = void (*)(const float*, size_t, const float*, const uint16_t*, uint32_t, float*);

struct Variant {
  const char* name;
  LanesFn lanes;
  BlocksFn blocks;
};

// The variants this CPU can run, the scalar reference first.
std::vector<Variant> runnable_variants() {
  std::vector<Variant> v = {{"scalar", rows4_lanes_scalar, rows4_lanes_blocks_scalar}};
#if defined(TINYPROP_FLOAT4)
  v.push_back({"sse", rows4_lanes_sse, rows4_lanes_blocks_sse});
  if (cpu_has_avx2()) v.push_back({"avx2", rows4_lanes_avx2, rows4_lanes_blocks_avx2});
#endif
  v.push_back({"dispatched", rows4_lanes, rows4_lanes_blocks});
  return v;
}

TEST(Rows4Variants, EveryVariantTheCpuRunsGivesTheScalarBits) {
  Rng rng(1601);
  const std::vector<Variant> variants = runnable_variants();
#if defined(TINYPROP_FLOAT4)
  EXPECT_GE(variants.size(), 3u);  // scalar, SSE and the dispatched one at least
#endif
  for (uint32_t n_blocks : {0u, 1u, 2u, 3u, 5u, 8u, 49u, 196u}) {
    for (uint32_t extra : {0u, 3u}) {
      const size_t stride = 4 * static_cast<size_t>(n_blocks) + extra;
      const std::vector<float> w = wide_values(rng, 4 * stride + 4);
      const std::vector<float> x = wide_values(rng, stride + 4);
      const std::vector<uint16_t> list = random_blocks(rng, n_blocks, 0.4f);
      float want[16], want_blocks[16];
      rows4_lanes_scalar(w.data(), stride, x.data(), n_blocks, want);
      rows4_lanes_blocks_scalar(w.data(), stride, x.data(), list.data(),
                                static_cast<uint32_t>(list.size()), want_blocks);
      for (const Variant& v : variants) {
        float got[16], got_blocks[16];
        v.lanes(w.data(), stride, x.data(), n_blocks, got);
        v.blocks(w.data(), stride, x.data(), list.data(), static_cast<uint32_t>(list.size()),
                 got_blocks);
        EXPECT_TRUE(same_bits(got, want, 16)) << v.name << " n_blocks=" << n_blocks;
        EXPECT_TRUE(same_bits(got_blocks, want_blocks, 16)) << v.name << " listed blocks";
      }
    }
  }
}

// The scalar reference is the canonical order itself: lane L over i = L mod 4, in order.
TEST(Rows4Variants, ScalarReferenceIsTheLaneOrder) {
  Rng rng(1602);
  const uint32_t n_blocks = 13;
  const size_t stride = 4 * n_blocks + 1;
  const std::vector<float> w = wide_values(rng, 4 * stride);
  const std::vector<float> x = wide_values(rng, stride);
  float lanes[16];
  rows4_lanes_scalar(w.data(), stride, x.data(), n_blocks, lanes);
  for (int r = 0; r < 4; ++r) {
    for (int lane = 0; lane < 4; ++lane) {
      float s = 0.0f;
      for (uint32_t b = 0; b < n_blocks; ++b) {
        const size_t i = 4 * b + static_cast<size_t>(lane);
        s += w[static_cast<size_t>(r) * stride + i] * x[i];
      }
      EXPECT_TRUE(same_bits(&s, &lanes[4 * r + lane], 1)) << r << " " << lane;
    }
  }
}

// Blocking four rows per pass leaves each row's dot unchanged: y[j] = b[j] + dot(w[j], x).
TEST(Rows4Blocking, ForwardRowsHaveTheBitsOfOneDotPerRow) {
  Rng rng(1603);
  for (uint32_t n_out : {1u, 3u, 4u, 5u, 8u, 10u, 16u, 33u}) {
    for (uint32_t n_in : {1u, 4u, 7u, 16u, 30u, 784u}) {
      const std::vector<float> w = wide_values(rng, static_cast<size_t>(n_in) * n_out);
      const std::vector<float> x = wide_values(rng, n_in);
      const std::vector<float> b = wide_values(rng, n_out);
      std::vector<float> y(n_out);
      dense_forward_nz(y.data(), x.data(), w.data(), b.data(), n_in, n_out, dense_blocks());
      for (uint32_t j = 0; j < n_out; ++j) {
        const float want = b[j] + dot(w.data() + static_cast<size_t>(j) * n_in, x.data(), n_in);
        EXPECT_TRUE(same_bits(&y[j], &want, 1)) << n_in << "x" << n_out << " row " << j;
      }
    }
  }
}

// The reference of the SGD row update: one axpy (axpy_nz when zero blocks are skipped) per row
// of `list` (rows 0..k-1 when null), in list order, on a copy of w0.
std::vector<float> sgd_rows_by_axpy(const std::vector<float>& w0, const std::vector<float>& x,
                                    const std::vector<float>& dy, float lr, const uint32_t* list,
                                    uint32_t k, const NonzeroBlocks& nz) {
  const uint32_t n_in = static_cast<uint32_t>(x.size());
  std::vector<float> want = w0;
  for (uint32_t t = 0; t < k; ++t) {
    const uint32_t j = list != nullptr ? list[t] : t;
    float* row = want.data() + static_cast<size_t>(j) * n_in;
    if (nz.skip) {
      axpy_nz(row, -lr * dy[j], x.data(), n_in, nz);
    } else {
      axpy(row, -lr * dy[j], x.data(), n_in);
    }
  }
  return want;
}

// The four-row SGD update is one axpy (dense) or axpy_nz (skipping) per row in list order,
// a row listed twice included.
TEST(Rows4Blocking, SgdRowUpdateHasTheBitsOfOneAxpyPerRow) {
  Rng rng(1604);
  const float lr = 0.01f;
  for (uint32_t n_in : {3u, 4u, 9u, 64u, 784u}) {
    const uint32_t n_out = 11;
    const std::vector<float> w0 = wide_values(rng, static_cast<size_t>(n_in) * n_out);
    const std::vector<float> dy = wide_values(rng, n_out);
    std::vector<float> x = wide_values(rng, n_in);
    for (uint32_t i = 0; i + 4 <= n_in; i += 8) {
      for (uint32_t k = 0; k < 4; ++k) x[i + k] = 0.0f;  // every other block zero
    }
    const std::vector<uint32_t> rows = {7, 2, 2, 9, 0, 10, 5, 5, 3};
    for (bool skip : {false, true}) {
      NonzeroBlocks nz;
      if (skip) find_nonzero_blocks(x.data(), n_in, &nz);
      for (const uint32_t* list : {static_cast<const uint32_t*>(nullptr), rows.data()}) {
        const uint32_t k = list != nullptr ? static_cast<uint32_t>(rows.size()) : n_out;
        std::vector<float> got = w0;
        dense_sgd_update_rows(got.data(), x.data(), dy.data(), lr, list, k, n_in, nz);
        const std::vector<float> want = sgd_rows_by_axpy(w0, x, dy, lr, list, k, nz);
        EXPECT_TRUE(same_bits(got.data(), want.data(), got.size()))
            << "n_in=" << n_in << " skip=" << nz.skip << " list=" << (list != nullptr);
      }
    }
  }
}

// Every number of rows (1 to 13: groups of four, and the last five to seven rows as one pass on
// x86), each list with a row repeated inside its last group: the SGD row update is one axpy /
// axpy_nz per row in list order, the propagated error one axpy per row onto a cleared dx.
// Zeros of both signs in dy and w: the error's first pass starts from +0 (+0 + -0 is +0).
TEST(RowGroups, EveryRowCountHasTheBitsOfOneAxpyPerRow) {
  Rng rng(1605);
  const float lr = 0.01f;
  size_t checks = 0;
  for (uint32_t n_in : {1u, 3u, 4u, 9u, 64u, 130u}) {
    const uint32_t n_out = 16;
    std::vector<float> w0 = wide_values(rng, static_cast<size_t>(n_in) * n_out);
    for (size_t i = 0; i < w0.size(); i += 7) w0[i] = (i % 2 == 0) ? -0.0f : 0.0f;
    std::vector<float> dy = wide_values(rng, n_out);
    dy[1] = -0.0f;
    dy[6] = 0.0f;
    std::vector<float> x = wide_values(rng, n_in);
    for (uint32_t i = 0; i + 4 <= n_in; i += 8) {
      for (uint32_t e = 0; e < 4; ++e) x[i + e] = 0.0f;  // every other block zero
    }
    for (uint32_t k = 1; k <= 13; ++k) {
      std::vector<uint32_t> rows(k);
      for (uint32_t& r : rows) r = rng.uniform_below(n_out);
      if (k >= 2) rows[k - 1] = rows[k - 2];  // a repeat inside the last group
      rows[0] = 1;                            // dy = -0 in the error's first pass
      const uint32_t* row_list = rows.data();
      for (const uint32_t* list : {static_cast<const uint32_t*>(nullptr), row_list}) {
        std::vector<float> dx(n_in + 1, 7.0f), dx_want(n_in + 1, 7.0f);
        dense_backward_input(dx.data(), w0.data(), dy.data(), list, k, n_in);
        for (uint32_t i = 0; i < n_in; ++i) dx_want[i] = 0.0f;
        for (uint32_t t = 0; t < k; ++t) {
          const uint32_t j = list != nullptr ? list[t] : t;
          axpy(dx_want.data(), dy[j], w0.data() + static_cast<size_t>(j) * n_in, n_in);
        }
        EXPECT_TRUE(same_bits(dx.data(), dx_want.data(), dx.size()))
            << "error n_in=" << n_in << " k=" << k << " list=" << (list != nullptr);
        for (bool skip : {false, true}) {
          NonzeroBlocks nz;
          if (skip) find_nonzero_blocks(x.data(), n_in, &nz);
          std::vector<float> got = w0;
          dense_sgd_update_rows(got.data(), x.data(), dy.data(), lr, list, k, n_in, nz);
          const std::vector<float> want = sgd_rows_by_axpy(w0, x, dy, lr, list, k, nz);
          EXPECT_TRUE(same_bits(got.data(), want.data(), got.size()))
              << "update n_in=" << n_in << " k=" << k << " skip=" << nz.skip
              << " list=" << (list != nullptr);
          checks += 2;
        }
      }
    }
  }
  EXPECT_EQ(checks, 6u * 13u * 2u * 4u);
}

// The error's first pass writes dx without reading it: n_rows = 0 clears dx, and stale
// contents (here NaN) never leak into the sum.
TEST(RowGroups, ErrorOverwritesStaleDx) {
  const uint32_t n_in = 10;
  const std::vector<float> w(3 * n_in, 0.5f);
  const std::vector<float> dy = {2.0f, -1.0f, 4.0f};
  const uint32_t rows[] = {2, 0};
  std::vector<float> dx(n_in, NAN);
  dense_backward_input(dx.data(), w.data(), dy.data(), nullptr, 0, n_in);
  for (float v : dx) EXPECT_EQ(v, 0.0f);
  dx.assign(n_in, NAN);
  dense_backward_input(dx.data(), w.data(), dy.data(), rows, 2, n_in);
  for (float v : dx) EXPECT_EQ(v, 3.0f);  // 0.5 * 4 + 0.5 * 2
}

}  // namespace
}  // namespace tinyprop_test
