// Conv2D and DepthwiseConv2D kernels: forward against a naive double reference, backward
// (dx, dW, db) against central finite differences of L = sum_e r_e y_e, and the sparse element
// list against the naive backward over the same elements. Geometries cover stride 1 and 2,
// padding 0, 1 and "same" (symmetric and asymmetric), odd and rectangular sizes, several
// channels.
#include <gtest/gtest.h>

#include <string>

#include "test_conv_util.h"
#include "tinyprop/kernels/conv.h"

namespace tinyprop_test {
namespace {

struct GeoCase {
  const char* name;
  uint32_t in_h, in_w, in_c, out_c, k_h, k_w, s_h, s_w;
  int pad;
};

void PrintTo(const GeoCase& c, std::ostream* os) { *os << c.name; }

const GeoCase kCases[] = {
    {"k3_s1_p0", 7, 7, 3, 4, 3, 3, 1, 1, 0},
    {"k3_s1_p1", 7, 5, 2, 3, 3, 3, 1, 1, 1},
    {"k3_s1_same", 6, 5, 3, 2, 3, 3, 1, 1, kSame},
    {"k3_s2_p0", 9, 7, 2, 4, 3, 3, 2, 2, 0},
    {"k3_s2_p1", 8, 7, 3, 3, 3, 3, 2, 2, 1},
    {"k3_s2_same_asym", 8, 6, 2, 3, 3, 3, 2, 2, kSame},
    {"k5_s1_same", 5, 6, 1, 2, 5, 5, 1, 1, kSame},
    {"k2x3_s2x1_p1", 7, 6, 3, 2, 2, 3, 2, 1, 1},
    {"k1_s1_p0", 4, 3, 5, 6, 1, 1, 1, 1, 0},
    {"k4_s3_same", 10, 11, 2, 3, 4, 4, 3, 3, kSame},
    {"kernel_is_input", 3, 3, 4, 5, 3, 3, 1, 1, 0},
};

class ConvKernels : public ::testing::TestWithParam<std::tuple<GeoCase, bool>> {
 protected:
  void SetUp() override {
    const GeoCase& gc = std::get<0>(GetParam());
    depthwise = std::get<1>(GetParam());
    g = geometry(gc.in_h, gc.in_w, gc.in_c, depthwise ? gc.in_c : gc.out_c, gc.k_h, gc.k_w,
                 gc.s_h, gc.s_w, gc.pad);
    Rng rng(11);
    const size_t n_w = depthwise ? static_cast<size_t>(g.out_c) * g.k_h * g.k_w
                                 : static_cast<size_t>(g.out_c) * g.k_h * g.k_w * g.in_c;
    x = random_vector(rng, in_count(g), -1.0f, 1.0f);
    w = random_vector(rng, n_w, -0.5f, 0.5f);
    b = random_vector(rng, g.out_c, -0.3f, 0.3f);
    r = random_vector(rng, out_count(g), -1.0f, 1.0f);
  }

  std::vector<float> forward(const std::vector<float>& xs, const std::vector<float>& ws) const {
    std::vector<float> y(out_count(g));
    if (depthwise) {
      depthwise_conv2d_forward(y.data(), xs.data(), ws.data(), b.data(), g);
    } else {
      conv2d_forward(y.data(), xs.data(), ws.data(), b.data(), g);
    }
    return y;
  }
  // L = sum_e r_e y_e, summed in double.
  double objective(const std::vector<float>& xs, const std::vector<float>& ws) const {
    const std::vector<float> y = forward(xs, ws);
    double s = 0.0;
    for (size_t e = 0; e < y.size(); ++e) s += static_cast<double>(r[e]) * y[e];
    return s;
  }
  void backward(const uint32_t* elems, uint32_t n, std::vector<float>* dx,
                std::vector<float>* dw, std::vector<float>* db) const {
    dx->assign(in_count(g), 123.0f);  // overwritten
    dw->assign(w.size(), 0.0f);
    db->assign(g.out_c, 0.0f);
    if (depthwise) {
      depthwise_conv2d_backward_input(dx->data(), w.data(), r.data(), elems, n, g);
      depthwise_conv2d_accumulate_weight_grad(dw->data(), x.data(), r.data(), elems, n, g);
    } else {
      conv2d_backward_input(dx->data(), w.data(), r.data(), elems, n, g);
      conv2d_accumulate_weight_grad(dw->data(), x.data(), r.data(), elems, n, g);
    }
    conv_accumulate_bias_grad(db->data(), r.data(), elems, n, g.out_c);
  }

  bool depthwise = false;
  WindowGeometry g;
  std::vector<float> x, w, b, r;
};

TEST_P(ConvKernels, ForwardMatchesNaiveReference) {
  const std::vector<float> y = forward(x, w);
  const std::vector<double> want = ref_conv_forward(g, depthwise, x, w, b);
  ASSERT_EQ(y.size(), want.size());
  EXPECT_EQ(count_far(y, want, 1e-5, 1e-5), 0u);
}

// The objective is linear in x and in W, so central differences with a large step are exact
// up to float rounding of the forward pass.
TEST_P(ConvKernels, BackwardMatchesFiniteDifferences) {
  std::vector<float> dx, dw, db;
  backward(nullptr, static_cast<uint32_t>(out_count(g)), &dx, &dw, &db);
  const float h = 0.05f;
  auto check = [&](std::vector<float>* param, const std::vector<float>& analytic,
                   const char* what) {
    for (size_t i = 0; i < param->size(); ++i) {
      const float orig = (*param)[i];
      (*param)[i] = orig + h;
      const double hi = objective(x, w);
      (*param)[i] = orig - h;
      const double lo = objective(x, w);
      (*param)[i] = orig;
      const double numeric = (hi - lo) / (2.0 * h);
      EXPECT_NEAR(analytic[i], numeric, 1e-4 + 1e-4 * fabs(numeric)) << what << "[" << i << "]";
    }
  };
  check(&x, dx, "dx");
  check(&w, dw, "dW");
  // db[c] = sum of r over channel c's outputs (the objective's derivative in b[c]).
  std::vector<double> want_db(g.out_c, 0.0);
  for (size_t e = 0; e < r.size(); ++e) want_db[e % g.out_c] += r[e];
  EXPECT_EQ(count_far(db, want_db, 1e-5, 1e-5), 0u);
}

// A random element list (each element at most once, in random order) gives the
// naive backward over the same elements; the null list equals listing 0..N-1 bit for bit.
TEST_P(ConvKernels, ElementListMatchesReferenceAndNullIsAll) {
  const uint32_t n = static_cast<uint32_t>(out_count(g));
  std::vector<uint32_t> order = all_indices(n);
  Rng rng(5);
  rng.shuffle(order.data(), n);
  for (uint32_t k : {1u, n / 3 + 1, n}) {
    const std::vector<uint32_t> elems(order.begin(), order.begin() + k);
    std::vector<float> dx, dw, db;
    backward(elems.data(), k, &dx, &dw, &db);
    const RefGrads ref = ref_conv_backward(g, depthwise, x, w, r, elems);
    EXPECT_EQ(count_far(dx, ref.dx, 1e-5, 1e-5), 0u) << "k " << k;
    EXPECT_EQ(count_far(dw, ref.dw, 1e-5, 1e-5), 0u) << "k " << k;
    EXPECT_EQ(count_far(db, ref.db, 1e-5, 1e-5), 0u) << "k " << k;
  }
  std::vector<float> dx_all, dw_all, db_all, dx_list, dw_list, db_list;
  backward(nullptr, n, &dx_all, &dw_all, &db_all);
  const std::vector<uint32_t> ordered = all_indices(n);
  backward(ordered.data(), n, &dx_list, &dw_list, &db_list);
  EXPECT_TRUE(same_bits(dx_all.data(), dx_list.data(), dx_all.size()));
  EXPECT_TRUE(same_bits(dw_all.data(), dw_list.data(), dw_all.size()));
  EXPECT_TRUE(same_bits(db_all.data(), db_list.data(), db_all.size()));
}

// The fused dx + dW walk gives the separate kernels' bits, over a list and over all elements,
// from a nonzero dW start (conv2d only).
TEST_P(ConvKernels, FusedBackwardHasTheSeparateKernelsBits) {
  if (depthwise) return;
  const uint32_t n = static_cast<uint32_t>(out_count(g));
  std::vector<uint32_t> list;
  for (uint32_t e = 0; e < n; e += 1 + e % 3) list.push_back(e);
  Rng rng(6);
  for (int listed = 0; listed < 2; ++listed) {
    const uint32_t* elems = listed != 0 ? list.data() : nullptr;
    const uint32_t count = listed != 0 ? static_cast<uint32_t>(list.size()) : n;
    std::vector<float> dw0(w.size());
    for (float& v : dw0) v = rng.normal();
    std::vector<float> dx_sep(in_count(g), 5.0f), dx_fused(in_count(g), 9.0f);
    std::vector<float> dw_sep = dw0, dw_fused = dw0;
    conv2d_backward_input(dx_sep.data(), w.data(), r.data(), elems, count, g);
    conv2d_accumulate_weight_grad(dw_sep.data(), x.data(), r.data(), elems, count, g);
    conv2d_backward_input_and_weight_grad(dx_fused.data(), dw_fused.data(), w.data(), x.data(),
                                          r.data(), elems, count, g);
    EXPECT_TRUE(same_bits(dx_sep.data(), dx_fused.data(), dx_sep.size())) << "listed " << listed;
    EXPECT_TRUE(same_bits(dw_sep.data(), dw_fused.data(), dw_sep.size())) << "listed " << listed;
  }
}

// Unlisted output elements contribute nothing: a filter none of whose elements is listed gets
// no weight gradient and no bias gradient; for depthwise, other channels get no dx either.
TEST_P(ConvKernels, UnlistedFiltersGetNoGradient) {
  const uint32_t n = static_cast<uint32_t>(out_count(g));
  std::vector<uint32_t> elems;
  for (uint32_t e = 0; e < n; ++e) {
    if (e % g.out_c == 0) elems.push_back(e);  // only channel 0
  }
  std::vector<float> dx, dw, db;
  backward(elems.data(), static_cast<uint32_t>(elems.size()), &dx, &dw, &db);
  const size_t len = w.size() / g.out_c;
  for (size_t i = len; i < dw.size(); ++i) ASSERT_EQ(dw[i], 0.0f) << "dW[" << i << "]";
  for (uint32_t c = 1; c < g.out_c; ++c) EXPECT_EQ(db[c], 0.0f);
  if (depthwise) {
    for (size_t i = 0; i < dx.size(); ++i) {
      if (i % g.in_c != 0) ASSERT_EQ(dx[i], 0.0f) << "dx[" << i << "]";
    }
  }
}

// The dense bias gradient (four channels per SSE register on x86) has the bits of the plain
// per-channel sums in position order, for channel counts with and without a remainder of four,
// from a nonzero start (batch accumulation) and with errors of mixed magnitudes (so that a
// different summation order would show in the last bits).
TEST(ConvBiasGrad, AllElementsEqualPerChannelSumsInPositionOrder) {
  Rng rng(11);
  for (uint32_t out_c : {1u, 3u, 4u, 5u, 8u, 12u, 13u, 16u, 29u, 32u}) {
    const uint32_t pixels = 37;
    std::vector<float> dy(static_cast<size_t>(pixels) * out_c);
    for (float& f : dy) f = rng.normal() * (rng.uniform_below(4) == 0 ? 1e4f : 1e-3f);
    std::vector<float> db(out_c), want(out_c);
    for (uint32_t c = 0; c < out_c; ++c) db[c] = want[c] = rng.normal();
    for (uint32_t p = 0; p < pixels; ++p) {
      for (uint32_t c = 0; c < out_c; ++c) want[c] += dy[static_cast<size_t>(p) * out_c + c];
    }
    conv_accumulate_bias_grad(db.data(), dy.data(), nullptr, pixels * out_c, out_c);
    EXPECT_TRUE(same_bits(db.data(), want.data(), out_c)) << "out_c " << out_c;
  }
}

INSTANTIATE_TEST_SUITE_P(Geometries, ConvKernels,
                         ::testing::Combine(::testing::ValuesIn(kCases), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param).name) +
                                  (std::get<1>(info.param) ? "_depthwise" : "_conv2d");
                         });

}  // namespace
}  // namespace tinyprop_test
