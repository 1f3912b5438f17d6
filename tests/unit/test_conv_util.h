// Helpers of the convolution tests: independent geometry formulas, naive reference convolutions
// in double (plain loops over padded coordinates, no shared code with the kernels), small CNN
// specs and generated images. Host only.
#pragma once
#include <math.h>
#include <stdint.h>

#include <vector>

#include "test_util.h"
#include "tinyprop/kernels/window.h"

namespace tinyprop_test {

constexpr int kSame = -1;  // `pad` argument: TF "same"

// PyTorch's output formula floor((in + 2p - k) / s) + 1, or TF "same": ceil(in / s) with
// total padding max((out - 1) s + k - in, 0), the smaller half first.
inline void axis(uint32_t in, uint32_t k, uint32_t s, int pad, uint32_t* out, uint32_t* before) {
  if (pad == kSame) {
    *out = (in + s - 1) / s;
    const int total = static_cast<int>((*out - 1) * s + k) - static_cast<int>(in);
    *before = total > 0 ? static_cast<uint32_t>(total / 2) : 0;
  } else {
    *out = (in + 2 * static_cast<uint32_t>(pad) - k) / s + 1;
    *before = static_cast<uint32_t>(pad);
  }
}

inline WindowGeometry geometry(uint32_t in_h, uint32_t in_w, uint32_t in_c, uint32_t out_c,
                               uint32_t k_h, uint32_t k_w, uint32_t s_h, uint32_t s_w, int pad) {
  WindowGeometry g;
  g.in_h = in_h;
  g.in_w = in_w;
  g.in_c = in_c;
  g.out_c = out_c;
  g.k_h = k_h;
  g.k_w = k_w;
  g.stride_h = s_h;
  g.stride_w = s_w;
  axis(in_h, k_h, s_h, pad, &g.out_h, &g.pad_top);
  axis(in_w, k_w, s_w, pad, &g.out_w, &g.pad_left);
  return g;
}

inline size_t in_count(const WindowGeometry& g) {
  return static_cast<size_t>(g.in_h) * g.in_w * g.in_c;
}
inline size_t out_count(const WindowGeometry& g) {
  return static_cast<size_t>(g.out_h) * g.out_w * g.out_c;
}

// Calls f(e, c, iy, ix, ky, kx) for every tap of output element e (HWC index) that lies inside
// the input. Written from the definition: input row = oy * s - pad_top + ky.
template <typename F>
void for_taps(const WindowGeometry& g, uint32_t e, F f) {
  const uint32_t c = e % g.out_c;
  const uint32_t pos = e / g.out_c;
  const int oy = static_cast<int>(pos / g.out_w), ox = static_cast<int>(pos % g.out_w);
  for (uint32_t ky = 0; ky < g.k_h; ++ky) {
    const int iy = oy * static_cast<int>(g.stride_h) - static_cast<int>(g.pad_top) +
                   static_cast<int>(ky);
    if (iy < 0 || iy >= static_cast<int>(g.in_h)) continue;
    for (uint32_t kx = 0; kx < g.k_w; ++kx) {
      const int ix = ox * static_cast<int>(g.stride_w) - static_cast<int>(g.pad_left) +
                     static_cast<int>(kx);
      if (ix < 0 || ix >= static_cast<int>(g.in_w)) continue;
      f(c, static_cast<uint32_t>(iy), static_cast<uint32_t>(ix), ky, kx);
    }
  }
}

inline size_t x_at(const WindowGeometry& g, uint32_t iy, uint32_t ix, uint32_t ci) {
  return (static_cast<size_t>(iy) * g.in_w + ix) * g.in_c + ci;
}
// Conv2D filter layout [C_out, K_h, K_w, C_in]; depthwise [C, K_h, K_w].
inline size_t w_at(const WindowGeometry& g, uint32_t c, uint32_t ky, uint32_t kx, uint32_t ci) {
  return ((static_cast<size_t>(c) * g.k_h + ky) * g.k_w + kx) * g.in_c + ci;
}
inline size_t dw_at(const WindowGeometry& g, uint32_t c, uint32_t ky, uint32_t kx) {
  return (static_cast<size_t>(c) * g.k_h + ky) * g.k_w + kx;
}

// Naive Conv2D / depthwise forward in double.
inline std::vector<double> ref_conv_forward(const WindowGeometry& g, bool depthwise,
                                            const std::vector<float>& x,
                                            const std::vector<float>& w,
                                            const std::vector<float>& b) {
  std::vector<double> y(out_count(g));
  for (uint32_t e = 0; e < y.size(); ++e) {
    double s = b.empty() ? 0.0 : b[e % g.out_c];
    for_taps(g, e, [&](uint32_t c, uint32_t iy, uint32_t ix, uint32_t ky, uint32_t kx) {
      if (depthwise) {
        s += static_cast<double>(w[dw_at(g, c, ky, kx)]) * x[x_at(g, iy, ix, c)];
      } else {
        for (uint32_t ci = 0; ci < g.in_c; ++ci) {
          s += static_cast<double>(w[w_at(g, c, ky, kx, ci)]) * x[x_at(g, iy, ix, ci)];
        }
      }
    });
    y[e] = s;
  }
  return y;
}

// Naive backward over a list of output elements: dx (error below) and dW, in double.
struct RefGrads {
  std::vector<double> dx, dw, db;
};
inline RefGrads ref_conv_backward(const WindowGeometry& g, bool depthwise,
                                  const std::vector<float>& x, const std::vector<float>& w,
                                  const std::vector<float>& dy,
                                  const std::vector<uint32_t>& elems) {
  RefGrads r;
  r.dx.assign(in_count(g), 0.0);
  r.dw.assign(w.size(), 0.0);
  r.db.assign(g.out_c, 0.0);
  for (uint32_t e : elems) {
    const double d = dy[e];
    r.db[e % g.out_c] += d;
    for_taps(g, e, [&](uint32_t c, uint32_t iy, uint32_t ix, uint32_t ky, uint32_t kx) {
      if (depthwise) {
        r.dw[dw_at(g, c, ky, kx)] += d * x[x_at(g, iy, ix, c)];
        r.dx[x_at(g, iy, ix, c)] += d * w[dw_at(g, c, ky, kx)];
      } else {
        for (uint32_t ci = 0; ci < g.in_c; ++ci) {
          r.dw[w_at(g, c, ky, kx, ci)] += d * x[x_at(g, iy, ix, ci)];
          r.dx[x_at(g, iy, ix, ci)] += d * w[w_at(g, c, ky, kx, ci)];
        }
      }
    });
  }
  return r;
}

inline std::vector<uint32_t> all_indices(size_t n) {
  std::vector<uint32_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint32_t>(i);
  return v;
}

// |got - want| <= abs + rel |want| for every element; returns the number of violations.
template <typename A, typename B>
size_t count_far(const A& got, const B& want, double abs_tol, double rel_tol) {
  size_t bad = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double g = static_cast<double>(got[i]), w = static_cast<double>(want[i]);
    if (!(fabs(g - w) <= abs_tol + rel_tol * fabs(w))) ++bad;
  }
  return bad;
}

// A small CNN for 12 x 12 x 1 images: c4k3 (valid) - relu - maxpool 2 - flatten - dense classes.
inline ModelSpec small_cnn(uint32_t classes = 10, uint32_t filters = 4) {
  ModelSpec s;
  s.input = Shape{12, 12, 1};
  (void)s.add_conv2d(filters, 3);
  (void)s.add_activation(LayerKind::kReLU);
  (void)s.add_max_pool2d(2);
  (void)s.add_flatten();
  (void)s.add_dense(classes);
  return s;
}

// A CNN with every new layer kind: conv (same, stride 1) - relu - maxpool 2 - depthwise (pad 1)
// - relu - conv (stride 2, valid) - avgpool 2 (stride 1) - relu - global avg pool ... - dense.
inline ModelSpec all_kinds_cnn() {
  ModelSpec s;
  s.input = Shape{11, 9, 2};
  (void)s.add_conv2d(5, 3, 1, kPadSame);  // 11 x 9 x 5
  (void)s.add_activation(LayerKind::kReLU);
  (void)s.add_max_pool2d(2);              // 5 x 4 x 5
  (void)s.add_depthwise_conv2d(3, 1, 1);  // 5 x 4 x 5
  (void)s.add_activation(LayerKind::kTanh);
  (void)s.add_conv2d(6, 2, 1);            // 4 x 3 x 6
  (void)s.add_avg_pool2d(2, 1);           // 3 x 2 x 6
  (void)s.add_activation(LayerKind::kLeakyReLU, 0.1f);
  (void)s.add_flatten();                  // 1 x 1 x 36
  (void)s.add_dense(7);
  (void)s.add_activation(LayerKind::kReLU);
  (void)s.add_dense(4);
  return s;
}

// Generated 12 x 12 x 1 images of up to 10 classes of strokes, a stand-in for digits: a
// horizontal bar, a vertical bar, a diagonal, an anti-diagonal, a filled 3 x 3 square, a plus,
// an X, a hollow 5 x 5 square, two horizontal bars, an L. Each is drawn at a random place (the
// 5 x 5 box fits anywhere in [0, 12)), on Gaussian noise. Labels balanced (i % classes).
inline Dataset make_shapes(uint32_t n, uint64_t seed, uint32_t classes = 10,
                           float noise = 0.15f) {
  Rng rng(seed);
  Dataset d;
  d.dim = 144;
  d.x.assign(static_cast<size_t>(n) * 144, 0.0f);
  d.y.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t label = i % classes;
    d.y[i] = label;
    float* img = d.x.data() + static_cast<size_t>(i) * 144;
    for (uint32_t p = 0; p < 144; ++p) img[p] = noise * rng.normal();
    const int r = 2 + static_cast<int>(rng.uniform_below(8));  // centre of a 5 x 5 box
    const int c = 2 + static_cast<int>(rng.uniform_below(8));
    auto ink = [&](int dy, int dx, float v) { img[(r + dy) * 12 + (c + dx)] += v; };
    for (int t = -2; t <= 2; ++t) {
      switch (label) {
        case 0: ink(0, t, 1.0f); break;                       // -
        case 1: ink(t, 0, 1.0f); break;                       // |
        case 2: ink(t, t, 1.0f); break;                       // backslash
        case 3: ink(t, -t, 1.0f); break;                      // /
        case 5: ink(0, t, 1.0f); if (t != 0) ink(t, 0, 1.0f); break;       // +
        case 6: ink(t, t, 1.0f); if (t != 0) ink(t, -t, 1.0f); break;      // X
        case 7:                                                            // hollow square
          ink(-2, t, 1.0f); ink(2, t, 1.0f);
          if (t > -2 && t < 2) { ink(t, -2, 1.0f); ink(t, 2, 1.0f); }
          break;
        case 8: ink(-1, t, 1.0f); ink(1, t, 1.0f); break;     // =
        case 9: ink(t, -2, 1.0f); if (t > -2) ink(2, t, 1.0f); break;      // L
        default: break;
      }
    }
    if (label == 4) {  // filled 3 x 3 square
      for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) ink(dy, dx, 0.6f);
      }
    }
  }
  return d;
}

}  // namespace tinyprop_test

namespace tinyprop_test {

// Strided convolutions, asymmetric "same" padding and global average pooling:
// conv 4 k3 s2 p1 - relu - depthwise k3 s2 same - sigmoid - global avg pool - dense 3.
inline ModelSpec strided_gap_cnn() {
  ModelSpec s;
  s.input = Shape{7, 8, 3};
  (void)s.add_conv2d(4, 3, 2, 1);               // 4 x 4 x 4
  (void)s.add_activation(LayerKind::kReLU);
  (void)s.add_depthwise_conv2d(3, 2, kPadSame);  // 2 x 2 x 4 (pad: 0 before, 1 after)
  (void)s.add_activation(LayerKind::kSigmoid);
  (void)s.add_global_avg_pool();                 // 1 x 1 x 4
  (void)s.add_dense(3);
  return s;
}

}  // namespace tinyprop_test
