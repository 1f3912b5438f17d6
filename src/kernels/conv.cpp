#include "tinyprop/kernels/conv.h"
#include "tinyprop/config.h"
#include "tinyprop/kernels/dense.h"

#include <stddef.h>
#include <string.h>

#include "kernels/dot4.h"
#include "kernels/rows4.h"

// Compiled out with TINYPROP_WITH_CONV=0 (tinyprop/config.h).
#if TINYPROP_WITH_CONV
namespace tinyprop {
namespace {

// y += a * x. Runs are short (k_w c_in floats: 3 for a first layer on grey images), so the loop
// is unrolled by hand: a compiler-vectorized loop would pay its alias checks and remainder loop
// on every call and cost several times the arithmetic (measured with callgrind, docs/CONV.md).
// kVfpCall: on a Cortex-M with a single-precision FPU the runs of four and more take axpy's
// VLDM/VSTM loop (a call into dense.cpp; the same products and sums, so the same bits). The
// kernels of a lowest layer (weight gradient only, mostly short rows) keep the plain code: the
// call's presence alone costs them about 10% (measured on the MNIST CNN's first layer).
template <bool kVfpCall>
inline void axpy_run(float* __restrict y, float a, const float* __restrict x, uint32_t n) {
#if defined(TINYPROP_ARM_VFP_ROWS4)
  if (kVfpCall && n >= 4) {
    axpy(y, a, x, n);
    return;
  }
#endif
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    y[i] += a * x[i];
    y[i + 1] += a * x[i + 1];
    y[i + 2] += a * x[i + 2];
    y[i + 3] += a * x[i + 3];
  }
  for (; i < n; ++i) y[i] += a * x[i];
}

// One output element's window, resolved: which input rows/columns it reads, and (zero-skipping)
// which of its in-range rows hold a nonzero input (bit r for row r; all bits without skipping).
struct Element {
  uint32_t c;        // output channel
  TapSpan rows, cols;
  uint32_t nonzero_rows = ~0u;
};

// Zero-skipping works on whole window rows (one contiguous run of cols.count() * in_c inputs):
// bit r of the result is set when row r of the window holds an input that is not +0 or -0
// (NaN counts as nonzero). Windows taller than 32 rows are never skipped (all bits set).
inline uint32_t window_nonzero_rows(const float* x, const TapSpan& rows, const TapSpan& cols,
                                    const WindowGeometry& g) {
  if (rows.count() > 32) return ~0u;
  const uint32_t run = cols.count() * g.in_c;
  const size_t in_row = static_cast<size_t>(g.in_w) * g.in_c;
  const float* xp = x + pixel(g, rows.in0, cols.in0);
  uint32_t mask = 0;
  for (uint32_t r = 0; r < rows.count(); ++r) {
    // The row's bits ORed: without the sign bit they are zero exactly when every input is +0
    // or -0 (a NaN's are not). Integer ORs, no float compare (on a Cortex-M a VCMP and a VMRS
    // per input).
    const float* row = xp + r * in_row;
    uint32_t bits = 0;
    for (uint32_t t = 0; t < run; ++t) {
      uint32_t b;
      memcpy(&b, row + t, sizeof b);
      bits |= b;
    }
    mask |= ((bits << 1) != 0 ? 1u : 0u) << r;
  }
  return mask;
}

// The rows of a window that the kernels compute: all, or with zero-skipping the nonzero ones.
inline uint32_t rows_done(uint32_t nonzero_rows, const TapSpan& rows) {
  uint32_t n = 0;
  for (uint32_t r = 0; r < rows.count(); ++r) n += (nonzero_rows >> (r & 31u)) & 1u;
  return n;
}

// ---- Conv2D: in HWC, one window row (ky) of an element touches k_w' * in_c contiguous inputs
// and the matching contiguous run of its filter, so each row is one dot / axpy.

inline size_t filter_offset(const WindowGeometry& g, uint32_t c, uint32_t ky, uint32_t kx) {
  return ((static_cast<size_t>(c) * g.k_h + ky) * g.k_w + kx) * g.in_c;
}

// dx[window] += d * w[c]
inline void conv2d_scatter(float* dx, const float* w, float d, const Element& el,
                           const WindowGeometry& g) {
  const uint32_t run = el.cols.count() * g.in_c;
  const size_t in_row = static_cast<size_t>(g.in_w) * g.in_c;
  const size_t w_row = static_cast<size_t>(g.k_w) * g.in_c;
  float* dxp = dx + pixel(g, el.rows.in0, el.cols.in0);
  const float* wp = w + filter_offset(g, el.c, el.rows.first, el.cols.first);
  for (uint32_t r = 0; r < el.rows.count(); ++r) {
    axpy_run<true>(dxp + r * in_row, d, wp + r * w_row, run);
  }
}

// dw[c] += d * x[window]. Always inlined: with two callers (the weight-gradient kernels and the
// fused dx + dW walk) GCC would otherwise make it a call per element (measured: +3% instructions
// on the sparse backward of both benchmarked layers).
template <bool kVfpCall>
__attribute__((always_inline)) inline void conv2d_gather(float* dw, const float* x, float d,
                                                        const Element& el,
                                                        const WindowGeometry& g) {
  const uint32_t run = el.cols.count() * g.in_c;
  const size_t in_row = static_cast<size_t>(g.in_w) * g.in_c;
  const size_t w_row = static_cast<size_t>(g.k_w) * g.in_c;
  const float* xp = x + pixel(g, el.rows.in0, el.cols.in0);
  float* dwp = dw + filter_offset(g, el.c, el.rows.first, el.cols.first);
  for (uint32_t r = 0; r < el.rows.count(); ++r) {
    // A row of exact zeros adds d * (+-0) = +-0 to each dw, which (a sum from +0, never -0)
    // it leaves unchanged: skipped, same bits.
    if (((el.nonzero_rows >> (r & 31u)) & 1u) == 0) continue;
    axpy_run<kVfpCall>(dwp + r * w_row, d, xp + r * in_row, run);
  }
}

// ---- Depthwise: filter c is [k_h, k_w]; element (pixel, c) touches channel c of its window.

inline void depthwise_scatter(float* dx, const float* w, float d, const Element& el,
                              const WindowGeometry& g) {
  const float* wc = w + (static_cast<size_t>(el.c) * g.k_h + el.rows.first) * g.k_w;
  for (uint32_t r = 0; r < el.rows.count(); ++r) {
    float* dxp = dx + pixel(g, el.rows.in0 + r, el.cols.in0) + el.c;
    const float* wp = wc + static_cast<size_t>(r) * g.k_w + el.cols.first;
    for (uint32_t t = 0; t < el.cols.count(); ++t) dxp[static_cast<size_t>(t) * g.in_c] += d * wp[t];
  }
}

inline void depthwise_gather(float* dw, const float* x, float d, const Element& el,
                             const WindowGeometry& g) {
  float* dwc = dw + (static_cast<size_t>(el.c) * g.k_h + el.rows.first) * g.k_w;
  for (uint32_t r = 0; r < el.rows.count(); ++r) {
    const float* xp = x + pixel(g, el.rows.in0 + r, el.cols.in0) + el.c;
    float* dwp = dwc + static_cast<size_t>(r) * g.k_w + el.cols.first;
    for (uint32_t t = 0; t < el.cols.count(); ++t) dwp[t] += d * xp[static_cast<size_t>(t) * g.in_c];
  }
}

// Calls f(element, e) for the listed elements, or for all of them in index order. The "all"
// walk resolves each window once per pixel instead of dividing per element; the per-element
// floating-point work (and so every bit of the result) is the same as listing 0..n-1.
// With skip_x (the layer input), each element also gets its window's nonzero rows.
template <typename F>
inline void for_elements(const uint32_t* elems, uint32_t n_elems, const WindowGeometry& g,
                         F f, const float* skip_x = nullptr) {
  if (elems != nullptr) {
    // Selections usually list several channels of one pixel in a row (the radix select and the
    // channel expansion emit pixel-major order), so the pixel's window is resolved once, and
    // the output row's span is kept while the pixel stays in that row. No divisions on the
    // common path (a division's latency, with the data-dependent branch after it, cost more
    // than the window lookup): the pixel by a shift when out_c is a power of two, the row by a
    // range test, divided only when the pixel leaves the current row.
    const bool pow2 = (g.out_c & (g.out_c - 1)) == 0;
    uint32_t shift = 0;
    while ((1u << shift) < g.out_c) ++shift;
    uint32_t last_pos = 0xFFFFFFFFu;
    uint32_t row_begin = 1, row_end = 0;  // positions of the current output row (none yet)
    Element el;
    for (uint32_t t = 0; t < n_elems; ++t) {
      const uint32_t e = elems[t];
      const uint32_t pos = pow2 ? e >> shift : e / g.out_c;
      if (pos != last_pos) {
        if (pos < row_begin || pos >= row_end) {
          const uint32_t oy = pos / g.out_w;
          el.rows = row_span(g, oy);
          row_begin = oy * g.out_w;
          row_end = row_begin + g.out_w;
        }
        el.cols = col_span(g, pos - row_begin);
        if (skip_x != nullptr) el.nonzero_rows = window_nonzero_rows(skip_x, el.rows, el.cols, g);
        last_pos = pos;
      }
      el.c = e - pos * g.out_c;
      f(el, e);
    }
    return;
  }
  uint32_t e = 0;
  for (uint32_t oy = 0; oy < g.out_h; ++oy) {
    Element el;
    el.rows = row_span(g, oy);
    for (uint32_t ox = 0; ox < g.out_w; ++ox) {
      el.cols = col_span(g, ox);
      if (skip_x != nullptr) el.nonzero_rows = window_nonzero_rows(skip_x, el.rows, el.cols, g);
      for (el.c = 0; el.c < g.out_c; ++el.c, ++e) f(el, e);
    }
  }
}


// The forward pass; with kSkip, window rows whose inputs are all exact zeros are left out of
// every sum. Such a row's dot4 is +0 (its lane sums start at +0 and add +-0 products of finite
// weights; an IEEE sum is -0 only when both operands are), and s, a sum from +0, is never -0,
// so adding that +0 changes nothing: the same bits. Returns the MACs done.
// Four floats operated on lane by lane with single IEEE operations: one SSE register on x86,
// four scalar registers elsewhere (a Cortex-M FPU has 32 single registers and no SIMD; GCC
// keeps a small aggregate in registers once the loops over it are unrolled).
#if defined(TINYPROP_FLOAT4)
using Lanes4 = Float4;
#else
struct Lanes4 {
  float l0, l1, l2, l3;  // four scalars, not an array: GCC then keeps them in registers
  Lanes4& operator+=(const Lanes4& o) {
    l0 += o.l0;
    l1 += o.l1;
    l2 += o.l2;
    l3 += o.l3;
    return *this;
  }
};
inline Lanes4 operator*(const Lanes4& a, const Lanes4& b) {
  return Lanes4{a.l0 * b.l0, a.l1 * b.l1, a.l2 * b.l2, a.l3 * b.l3};
}
inline Lanes4 operator+(const Lanes4& a, const Lanes4& b) {
  return Lanes4{a.l0 + b.l0, a.l1 + b.l1, a.l2 + b.l2, a.l3 + b.l3};
}
inline Lanes4 load4(const float* p) { return Lanes4{p[0], p[1], p[2], p[3]}; }
inline void store4(float* p, const Lanes4& v) {
  p[0] = v.l0;
  p[1] = v.l1;
  p[2] = v.l2;
  p[3] = v.l3;
}
// Eight filters per pass where the output channels allow it: the input value of a tap is then
// loaded once for eight filters (x86 keeps four, one SSE register).
struct Lanes8 {
  Lanes4 lo, hi;
  Lanes8& operator+=(const Lanes8& o) {
    lo += o.lo;
    hi += o.hi;
    return *this;
  }
};
inline Lanes8 operator*(const Lanes8& a, const Lanes8& b) { return Lanes8{a.lo * b.lo, a.hi * b.hi}; }
inline Lanes8 operator+(const Lanes8& a, const Lanes8& b) { return Lanes8{a.lo + b.lo, a.hi + b.hi}; }
inline Lanes8 load8(const float* p) { return Lanes8{load4(p), load4(p + 4)}; }
inline void store8(float* p, const Lanes8& v) {
  store4(p, v.lo);
  store4(p + 4, v.hi);
}
#endif

// The lane groups of the kernel below, by width (a template over the x86 vector type itself
// would drop its attributes): the type, +0 in every lane, one value in every lane, load, store.
template <uint32_t W>
struct LaneOps;
template <>
struct LaneOps<4> {
  using Lanes = Lanes4;
  static constexpr uint32_t kWidth = 4;
  static Lanes4 zero() { return Lanes4{0.0f, 0.0f, 0.0f, 0.0f}; }
  static Lanes4 splat(float v) { return Lanes4{v, v, v, v}; }
  static Lanes4 load(const float* p) { return load4(p); }
  static void store(float* p, const Lanes4& v) { store4(p, v); }
};
#if !defined(TINYPROP_FLOAT4)
template <>
struct LaneOps<8> {
  using Lanes = Lanes8;
  static constexpr uint32_t kWidth = 8;
  static Lanes8 zero() { return Lanes8{LaneOps<4>::zero(), LaneOps<4>::zero()}; }
  static Lanes8 splat(float v) { return Lanes8{LaneOps<4>::splat(v), LaneOps<4>::splat(v)}; }
  static Lanes8 load(const float* p) { return load8(p); }
  static void store(float* p, const Lanes8& v) { store8(p, v); }
};
#endif

// Short window rows (k_w in_c < 4: a first layer on grey images), four output channels per
// pass (per SSE register on x86). There dot4 is all tail: a row's sum is
// ((+0 + w x_0) + w x_1) + ..., then s += row sum from s = +0, then y = b + s. Lane L does
// exactly those IEEE operations for channel c0 + L (w x = x w exactly; the lanes start at +0),
// so the bits are the scalar kernel's, while the window's inputs, its zero-row check and the
// loop overhead are shared by four channels. The filters are transposed once per call to
// [tap][out_c] (wt: out_c taps floats).
constexpr uint32_t kLaneForwardMaxWeights = 256;

bool forward_by_lanes(const WindowGeometry& g) {
  return g.k_w * g.in_c < 4 && g.out_c % 4 == 0 &&
         static_cast<uint64_t>(g.out_c) * g.k_h * g.k_w * g.in_c <= kLaneForwardMaxWeights;
}

template <uint32_t kWidth, bool kSkip>
uint64_t conv2d_forward_lanes(float* y, const float* x, const float* w, const float* b,
                              const WindowGeometry& g) {
  using Ops = LaneOps<kWidth>;
  using L = typename Ops::Lanes;
  const uint32_t taps = g.k_h * g.k_w * g.in_c;
  float wt[kLaneForwardMaxWeights];
  for (uint32_t c = 0; c < g.out_c; ++c) {
    for (uint32_t t = 0; t < taps; ++t) wt[t * g.out_c + c] = w[c * taps + t];
  }
  const size_t in_row = static_cast<size_t>(g.in_w) * g.in_c;
  uint64_t macs = 0;
  float* yp = y;
  for (uint32_t oy = 0; oy < g.out_h; ++oy) {
    const TapSpan rows = row_span(g, oy);
    for (uint32_t ox = 0; ox < g.out_w; ++ox, yp += g.out_c) {
      const TapSpan cols = col_span(g, ox);
      const uint32_t run = cols.count() * g.in_c;
      const float* xp = x + pixel(g, rows.in0, cols.in0);
      const uint32_t nonzero = kSkip ? window_nonzero_rows(x, rows, cols, g) : ~0u;
      macs += static_cast<uint64_t>(rows_done(nonzero, rows)) * run * g.out_c;
      for (uint32_t c0 = 0; c0 < g.out_c; c0 += Ops::kWidth) {
        L s = Ops::zero();
        for (uint32_t r = 0; r < rows.count(); ++r) {
          if (kSkip && ((nonzero >> (r & 31u)) & 1u) == 0) continue;
          const float* xr = xp + r * in_row;
          const float* wr =
              wt + (static_cast<size_t>(rows.first + r) * g.k_w + cols.first) * g.in_c * g.out_c +
              c0;
          L d = Ops::zero();
          for (uint32_t t = 0; t < run; ++t) {
            d += Ops::load(wr + static_cast<size_t>(t) * g.out_c) * Ops::splat(xr[t]);
          }
          s += d;
        }
        const L bias = b != nullptr ? Ops::load(b + c0) : Ops::zero();
        Ops::store(yp + c0, bias + s);
      }
    }
  }
  return macs;
}

// The lane kernel at its widest for this layer.
template <bool kSkip>
uint64_t conv2d_forward_by_lanes(float* y, const float* x, const float* w, const float* b,
                                 const WindowGeometry& g) {
#if !defined(TINYPROP_FLOAT4)
  if (g.out_c % 8 == 0) return conv2d_forward_lanes<8, kSkip>(y, x, w, b, g);
#endif
  return conv2d_forward_lanes<4, kSkip>(y, x, w, b, g);
}

// On x86 not inlined: the short-row dispatch in front of it would otherwise change its register
// allocation (measured: 7% more instructions on the 13x13x8 layer).
#if defined(TINYPROP_FLOAT4)
#define TINYPROP_ROWS_NOINLINE __attribute__((noinline))
#else
#define TINYPROP_ROWS_NOINLINE
#endif
template <bool kSkip>
TINYPROP_ROWS_NOINLINE uint64_t conv2d_forward_rows(float* y, const float* x, const float* w, const float* b,
                             const WindowGeometry& g) {
  const size_t in_row = static_cast<size_t>(g.in_w) * g.in_c;
  const size_t w_row = static_cast<size_t>(g.k_w) * g.in_c;
  uint64_t macs = 0;
  float* yp = y;
  for (uint32_t oy = 0; oy < g.out_h; ++oy) {
    const TapSpan rows = row_span(g, oy);
    for (uint32_t ox = 0; ox < g.out_w; ++ox) {
      const TapSpan cols = col_span(g, ox);
      const uint32_t run = cols.count() * g.in_c;
      const float* xp = x + pixel(g, rows.in0, cols.in0);
      const uint32_t nonzero = kSkip ? window_nonzero_rows(x, rows, cols, g) : ~0u;
      macs += static_cast<uint64_t>(rows_done(nonzero, rows)) * run * g.out_c;
      uint32_t c = 0;
#if !defined(TINYPROP_FLOAT4)
      // Four filters per pass (rows4.h: each block of four inputs loaded once for four
      // filters, whose same window row lies one filter apart), each (filter, row) dot combined
      // and its tail added exactly as in dot4: the same bits. On x86 the one-filter loop below
      // is already one SSE register per dot (dot4's lanes) and stays as it is.
      const size_t filter = static_cast<size_t>(g.k_h) * w_row;
      const uint32_t whole = run - run % 4u;
      for (; c + 4 <= g.out_c; c += 4, yp += 4) {
        const float* wp = w + filter_offset(g, c, rows.first, cols.first);
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
        for (uint32_t r = 0; r < rows.count(); ++r) {
          if (kSkip && ((nonzero >> (r & 31u)) & 1u) == 0) continue;
          const float* wr = wp + r * w_row;
          const float* xr = xp + r * in_row;
          if (whole == run) {  // in_c a multiple of four: no tail
            rows4_dots_add(wr, filter, xr, run / 4u, s0, s1, s2, s3);
            continue;
          }
          float lanes[16];
          rows4_lanes(wr, filter, xr, run / 4u, lanes);
          float* const sums[4] = {&s0, &s1, &s2, &s3};
          for (uint32_t q = 0; q < 4; ++q) {
            const float* l = lanes + 4 * q;
            float d = (l[0] + l[1]) + (l[2] + l[3]);
            for (uint32_t i = whole; i < run; ++i) d += wr[q * filter + i] * xr[i];
            *sums[q] += d;
          }
        }
        const float b0 = b != nullptr ? b[c] : 0.0f, b1 = b != nullptr ? b[c + 1] : 0.0f;
        const float b2 = b != nullptr ? b[c + 2] : 0.0f, b3 = b != nullptr ? b[c + 3] : 0.0f;
        yp[0] = b0 + s0;
        yp[1] = b1 + s1;
        yp[2] = b2 + s2;
        yp[3] = b3 + s3;
      }
#endif
      for (; c < g.out_c; ++c) {
        const float* wp = w + filter_offset(g, c, rows.first, cols.first);
        float s = 0.0f;
        for (uint32_t r = 0; r < rows.count(); ++r) {
          if (kSkip && ((nonzero >> (r & 31u)) & 1u) == 0) continue;
          s += dot4(wp + r * w_row, xp + r * in_row, run);
        }
        *yp++ = (b != nullptr ? b[c] : 0.0f) + s;
      }
    }
  }
  return macs;
}

}  // namespace

void conv2d_forward(float* y, const float* x, const float* w, const float* b,
                    const WindowGeometry& g) {
  if (forward_by_lanes(g)) {
    (void)conv2d_forward_by_lanes<false>(y, x, w, b, g);
    return;
  }
  (void)conv2d_forward_rows<false>(y, x, w, b, g);
}

uint64_t conv2d_forward_skip_zeros(float* y, const float* x, const float* w, const float* b,
                                   const WindowGeometry& g) {
  if (forward_by_lanes(g)) return conv2d_forward_by_lanes<true>(y, x, w, b, g);
  return conv2d_forward_rows<true>(y, x, w, b, g);
}

void conv2d_backward_input(float* dx, const float* w, const float* dy, const uint32_t* elems,
                           uint32_t n_elems, const WindowGeometry& g) {
  zero_floats(dx, input_size(g));
  for_elements(elems, n_elems, g,
               [&](const Element& el, uint32_t e) { conv2d_scatter(dx, w, dy[e], el, g); });
}

void conv2d_backward_input_and_weight_grad(float* dx, float* dw, const float* w,
                                           const float* x, const float* dy,
                                           const uint32_t* elems, uint32_t n_elems,
                                           const WindowGeometry& g) {
  zero_floats(dx, input_size(g));
  for_elements(elems, n_elems, g, [&](const Element& el, uint32_t e) {
    conv2d_scatter(dx, w, dy[e], el, g);
    conv2d_gather<true>(dw, x, dy[e], el, g);
  });
}

void conv2d_accumulate_weight_grad(float* dw, const float* x, const float* dy,
                                   const uint32_t* elems, uint32_t n_elems,
                                   const WindowGeometry& g) {
  for_elements(elems, n_elems, g,
               [&](const Element& el, uint32_t e) { conv2d_gather<false>(dw, x, dy[e], el, g); });
}

uint64_t conv2d_accumulate_weight_grad_skip_zeros(float* dw, const float* x, const float* dy,
                                                  const uint32_t* elems, uint32_t n_elems,
                                                  const WindowGeometry& g) {
  uint64_t macs = 0;
  for_elements(
      elems, n_elems, g,
      [&](const Element& el, uint32_t e) {
        macs += static_cast<uint64_t>(rows_done(el.nonzero_rows, el.rows)) *
                el.cols.count() * g.in_c;
        conv2d_gather<false>(dw, x, dy[e], el, g);
      },
      x);
  return macs;
}

void depthwise_conv2d_forward(float* y, const float* x, const float* w, const float* b,
                              const WindowGeometry& g) {
  float* yp = y;
  for (uint32_t oy = 0; oy < g.out_h; ++oy) {
    const TapSpan rows = row_span(g, oy);
    for (uint32_t ox = 0; ox < g.out_w; ++ox) {
      const TapSpan cols = col_span(g, ox);
      for (uint32_t c = 0; c < g.out_c; ++c) {
        const float* wc = w + (static_cast<size_t>(c) * g.k_h + rows.first) * g.k_w + cols.first;
        float s = 0.0f;
        for (uint32_t r = 0; r < rows.count(); ++r) {
          const float* xp = x + pixel(g, rows.in0 + r, cols.in0) + c;
          const float* wp = wc + static_cast<size_t>(r) * g.k_w;
          for (uint32_t t = 0; t < cols.count(); ++t) s += wp[t] * xp[static_cast<size_t>(t) * g.in_c];
        }
        *yp++ = (b != nullptr ? b[c] : 0.0f) + s;
      }
    }
  }
}

void depthwise_conv2d_backward_input(float* dx, const float* w, const float* dy,
                                     const uint32_t* elems, uint32_t n_elems,
                                     const WindowGeometry& g) {
  zero_floats(dx, input_size(g));
  for_elements(elems, n_elems, g,
               [&](const Element& el, uint32_t e) { depthwise_scatter(dx, w, dy[e], el, g); });
}

void depthwise_conv2d_accumulate_weight_grad(float* dw, const float* x, const float* dy,
                                             const uint32_t* elems, uint32_t n_elems,
                                             const WindowGeometry& g) {
  for_elements(elems, n_elems, g,
               [&](const Element& el, uint32_t e) { depthwise_gather(dw, x, dy[e], el, g); });
}

void conv_accumulate_bias_grad(float* db, const float* dy, const uint32_t* elems,
                               uint32_t n_elems, uint32_t out_c) {
  if (elems != nullptr) {
    for (uint32_t t = 0; t < n_elems; ++t) db[elems[t] % out_c] += dy[elems[t]];
    return;
  }
  uint32_t c0 = 0;
  // Four channels per lane group (one SSE register on x86, four FPU registers on a Cortex-M,
  // Lanes4 above): lane L adds channel c0 + L's errors in position order, the
  // scalar loop's sequence of IEEE adds for that channel, so the bits are the same. Each
  // channel's sum is one chain of dependent adds, so up to four registers (16 channels) run in
  // one pass to overlap their chains.
  for (; c0 + 16 <= out_c; c0 += 16) {
    Lanes4 a0 = load4(db + c0), a1 = load4(db + c0 + 4);
    Lanes4 a2 = load4(db + c0 + 8), a3 = load4(db + c0 + 12);
    for (uint32_t e = 0; e < n_elems; e += out_c) {
      const float* d = dy + e + c0;
      a0 += load4(d);
      a1 += load4(d + 4);
      a2 += load4(d + 8);
      a3 += load4(d + 12);
    }
    store4(db + c0, a0);
    store4(db + c0 + 4, a1);
    store4(db + c0 + 8, a2);
    store4(db + c0 + 12, a3);
  }
  for (; c0 + 8 <= out_c; c0 += 8) {
    Lanes4 a0 = load4(db + c0), a1 = load4(db + c0 + 4);
    for (uint32_t e = 0; e < n_elems; e += out_c) {
      a0 += load4(dy + e + c0);
      a1 += load4(dy + e + c0 + 4);
    }
    store4(db + c0, a0);
    store4(db + c0 + 4, a1);
  }
  for (; c0 + 4 <= out_c; c0 += 4) {
    Lanes4 acc = load4(db + c0);
    for (uint32_t e = 0; e < n_elems; e += out_c) acc += load4(dy + e + c0);
    store4(db + c0, acc);
  }
  if (c0 == out_c) return;
  for (uint32_t e = 0; e < n_elems; e += out_c) {
    for (uint32_t c = c0; c < out_c; ++c) db[c] += dy[e + c];
  }
}

}  // namespace tinyprop

#endif  // TINYPROP_WITH_CONV
