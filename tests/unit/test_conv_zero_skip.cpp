// Conv2D zero-skipping (conv2d_forward_skip_zeros, conv2d_accumulate_weight_grad_skip_zeros)
// against the dense kernels: bit for bit on inputs with whole zero rows, zero pixels and mixed
// +0 / -0 zeros, and the MACs done against a count of the window rows that hold a nonzero.
#include <gtest/gtest.h>
#include <string.h>

#include <vector>

#include "test_conv_util.h"
#include "test_util.h"
#include "kernels/dot4.h"
#include "tinyprop/kernels/conv.h"
#include "tinyprop/kernels/window.h"

namespace tinyprop_test {
namespace {

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// An input where pixels are exact zeros with probability zero_share (sign random: +0 or -0),
// else uniform [-1, 1); image rows are all zeros with probability zero_share / 2 as well.
std::vector<float> sparse_input(Rng& rng, const WindowGeometry& g, float zero_share) {
  std::vector<float> x(in_count(g));
  for (uint32_t iy = 0; iy < g.in_h; ++iy) {
    const bool zero_row = rng.uniform(0.0f, 1.0f) < 0.5f * zero_share;
    for (uint32_t ix = 0; ix < g.in_w; ++ix) {
      const bool zero_pixel = zero_row || rng.uniform(0.0f, 1.0f) < zero_share;
      for (uint32_t ci = 0; ci < g.in_c; ++ci) {
        float& v = x[x_at(g, iy, ix, ci)];
        v = zero_pixel ? (rng.uniform_below(2) == 0 ? 0.0f : -0.0f) : rng.uniform(-1.0f, 1.0f);
      }
    }
  }
  return x;
}

// MACs done by the skipping kernels: per output element, the in-range window rows holding a
// nonzero input, times the row's length (computed here from the taps, independently).
uint64_t expected_macs(const WindowGeometry& g, const std::vector<float>& x,
                       const std::vector<uint32_t>& elems) {
  uint64_t macs = 0;
  for (uint32_t e : elems) {
    std::vector<int> row_nonzero(g.k_h, -1);  // -1: row not in range
    std::vector<uint32_t> row_taps(g.k_h, 0);
    for_taps(g, e, [&](uint32_t /*c*/, uint32_t iy, uint32_t ix, uint32_t ky, uint32_t /*kx*/) {
      for (uint32_t ci = 0; ci < g.in_c; ++ci) {
        if (row_nonzero[ky] < 0) row_nonzero[ky] = 0;
        if (x[x_at(g, iy, ix, ci)] != 0.0f) row_nonzero[ky] = 1;
        ++row_taps[ky];
      }
    });
    for (uint32_t ky = 0; ky < g.k_h; ++ky) {
      if (row_nonzero[ky] == 1) macs += row_taps[ky];
    }
  }
  return macs;
}

struct Geo {
  uint32_t in_h, in_w, in_c, out_c, k_h, k_w, s_h, s_w;
  int pad;
};

TEST(ConvZeroSkip, SameBitsAndMacsAsTheDenseKernels) {
  const Geo geos[] = {{28, 28, 1, 8, 3, 3, 1, 1, 0},  {13, 13, 8, 16, 3, 3, 1, 1, 0},
                      {9, 7, 2, 3, 3, 3, 2, 2, 1},    {8, 8, 1, 4, 5, 5, 1, 1, kSame},
                      {6, 10, 3, 2, 1, 1, 1, 1, 0},   {7, 7, 1, 5, 3, 2, 3, 1, 1},
                      {5, 5, 4, 3, 5, 5, 1, 1, 0}};
  Rng rng(1601);
  size_t checks = 0;
  for (const Geo& q : geos) {
    const WindowGeometry g =
        geometry(q.in_h, q.in_w, q.in_c, q.out_c, q.k_h, q.k_w, q.s_h, q.s_w, q.pad);
    const size_t n_w = static_cast<size_t>(g.out_c) * g.k_h * g.k_w * g.in_c;
    for (float zero_share : {0.0f, 0.3f, 0.8f, 1.0f}) {
      for (int with_bias = 0; with_bias < 2; ++with_bias) {
        const std::vector<float> x = sparse_input(rng, g, zero_share);
        const std::vector<float> w = random_vector(rng, n_w, -1.0f, 1.0f);
        const std::vector<float> b = random_vector(rng, g.out_c, -0.5f, 0.5f);
        const float* bp = with_bias != 0 ? b.data() : nullptr;
        const std::string what = "geometry " + std::to_string(&q - geos) + " zeros " +
                                 std::to_string(zero_share) + " bias " +
                                 std::to_string(with_bias);

        std::vector<float> y_dense(out_count(g), 7.0f), y_skip(out_count(g), 7.0f);
        conv2d_forward(y_dense.data(), x.data(), w.data(), bp, g);
        const uint64_t fwd_macs = conv2d_forward_skip_zeros(y_skip.data(), x.data(), w.data(), bp, g);
        ASSERT_TRUE(same_bits(y_dense, y_skip)) << what;
        const std::vector<uint32_t> all = all_indices(out_count(g));
        EXPECT_EQ(fwd_macs, expected_macs(g, x, all)) << what;
        if (zero_share == 1.0f && bp == nullptr) {
          for (float v : y_skip) ASSERT_EQ(signbit(v), 0) << "a zero sum is +0 " << what;
        }

        // Weight gradient, all elements and a list (with repeats), from +0 and from a
        // nonzero start.
        const std::vector<float> dy =
            random_vector(rng, out_count(g), -1.0f, 1.0f);
        std::vector<uint32_t> list;
        for (uint32_t e = 0; e < out_count(g); e += 1 + rng.uniform_below(3)) list.push_back(e);
        if (!list.empty()) list.push_back(list.front());
        for (int start = 0; start < 2; ++start) {
          std::vector<float> dw0(n_w, 0.0f);
          if (start == 1) dw0 = random_vector(rng, n_w, -1.0f, 1.0f);
          for (int listed = 0; listed < 2; ++listed) {
            const uint32_t* ep = listed != 0 ? list.data() : nullptr;
            const uint32_t ne = listed != 0 ? static_cast<uint32_t>(list.size())
                                            : static_cast<uint32_t>(out_count(g));
            std::vector<float> dw_dense = dw0, dw_skip = dw0;
            conv2d_accumulate_weight_grad(dw_dense.data(), x.data(), dy.data(), ep, ne, g);
            const uint64_t macs = conv2d_accumulate_weight_grad_skip_zeros(
                dw_skip.data(), x.data(), dy.data(), ep, ne, g);
            ASSERT_TRUE(same_bits(dw_dense, dw_skip)) << what << " start " << start
                                                      << " listed " << listed;
            EXPECT_EQ(macs, expected_macs(g, x, listed != 0 ? list : all)) << what;
            checks += 2;
          }
        }
        ++checks;
      }
    }
  }
  EXPECT_GT(checks, 200u);
}

// The forward pass's canonical order, written out: per output, s = sum over the window's rows
// of dot4(filter row, input row) from s = +0, then y = b + s.
std::vector<float> forward_in_row_order(const WindowGeometry& g, const std::vector<float>& x,
                                        const std::vector<float>& w, const float* b) {
  std::vector<float> y(out_count(g));
  size_t e = 0;
  for (uint32_t oy = 0; oy < g.out_h; ++oy) {
    const TapSpan rows = row_span(g, oy);
    for (uint32_t ox = 0; ox < g.out_w; ++ox) {
      const TapSpan cols = col_span(g, ox);
      for (uint32_t c = 0; c < g.out_c; ++c, ++e) {
        float s = 0.0f;
        for (uint32_t r = 0; r < rows.count(); ++r) {
          const size_t w_off = ((static_cast<size_t>(c) * g.k_h + rows.first + r) * g.k_w +
                                cols.first) * g.in_c;
          s += dot4(w.data() + w_off, x.data() + pixel(g, rows.in0 + r, cols.in0),
                    cols.count() * g.in_c);
        }
        y[e] = (b != nullptr ? b[c] : 0.0f) + s;
      }
    }
  }
  return y;
}

// Short window rows (k_w in_c < 4) with channel counts that are multiples of four are computed
// four channels at a time on x86: dense and skipping forward keep the canonical order's bits,
// with and without padding, strides, bias and zeros, and with magnitudes far apart (so that
// any other order would show in the last bits).
TEST(ConvZeroSkip, ShortRowsKeepTheRowOrderBits) {
  const Geo geos[] = {{28, 28, 1, 8, 3, 3, 1, 1, 0},  {9, 7, 1, 12, 3, 3, 2, 2, 1},
                      {7, 7, 1, 4, 3, 2, 3, 1, 1},    {6, 10, 3, 4, 1, 1, 1, 1, 0},
                      {8, 8, 1, 8, 3, 3, 1, 1, kSame}, {10, 9, 1, 16, 2, 3, 1, 2, 0},
                      {9, 7, 2, 3, 3, 3, 2, 2, 1}};
  Rng rng(1602);
  for (const Geo& q : geos) {
    const WindowGeometry g =
        geometry(q.in_h, q.in_w, q.in_c, q.out_c, q.k_h, q.k_w, q.s_h, q.s_w, q.pad);
    const size_t n_w = static_cast<size_t>(g.out_c) * g.k_h * g.k_w * g.in_c;
    for (float zero_share : {0.0f, 0.5f}) {
      std::vector<float> x = sparse_input(rng, g, zero_share);
      for (float& v : x) v *= rng.uniform_below(3) == 0 ? 1e6f : 1.0f;
      const std::vector<float> w = random_vector(rng, n_w, -1.0f, 1.0f);
      const std::vector<float> b = random_vector(rng, g.out_c, -0.5f, 0.5f);
      for (const float* bp : {static_cast<const float*>(nullptr), b.data()}) {
        const std::vector<float> want = forward_in_row_order(g, x, w, bp);
        std::vector<float> dense(out_count(g), 7.0f), skip(out_count(g), 7.0f);
        conv2d_forward(dense.data(), x.data(), w.data(), bp, g);
        (void)conv2d_forward_skip_zeros(skip.data(), x.data(), w.data(), bp, g);
        const std::string what = "geometry " + std::to_string(&q - geos);
        EXPECT_TRUE(same_bits(dense, want)) << what;
        EXPECT_TRUE(same_bits(skip, want)) << what;
      }
    }
  }
}

}  // namespace
}  // namespace tinyprop_test
