// Geometry of a sliding window (convolution, depthwise convolution, pooling) over a
// channels-last feature map, shared by the conv and pool kernels.
//
// Layout: a feature map of H x W x C floats is stored [H, W, C] (HWC, channels-last), so the C
// values of one pixel are contiguous, as in CMSIS-NN and TensorFlow Lite Micro. Output element
// e of a [out_h, out_w, out_c] map is e = (oy * out_w + ox) * out_c + c.
//
// Output row oy reads input rows oy * stride_h - pad_top + ky for ky in [0, k_h); rows outside
// [0, in_h) are zero padding (skipped, never read). Columns likewise.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace tinyprop {

struct WindowGeometry {
  uint32_t in_h = 1, in_w = 1, in_c = 1;     // input map [in_h, in_w, in_c]
  uint32_t out_h = 1, out_w = 1, out_c = 1;  // output map [out_h, out_w, out_c]
  uint32_t k_h = 1, k_w = 1;                 // window
  uint32_t stride_h = 1, stride_w = 1;
  uint32_t pad_top = 0, pad_left = 0;        // zero rows above / columns left of the input
};

// The taps of one window along one axis that fall inside the input: taps [first, end), where
// tap `first` reads input index in0 (and tap first + t reads in0 + t).
struct TapSpan {
  uint32_t first = 0, end = 0, in0 = 0;
  uint32_t count() const { return end - first; }
};

// Window number o along an axis with the given stride, padding before, kernel and input size.
inline TapSpan tap_span(uint32_t o, uint32_t stride, uint32_t pad, uint32_t kernel,
                        uint32_t in) {
  const uint32_t start = o * stride;  // padded coordinate of tap 0
  TapSpan t;
  t.first = start < pad ? pad - start : 0;
  // Tap j is inside iff start + j - pad < in, i.e. j < in + pad - start.
  const uint32_t limit = in + pad > start ? in + pad - start : 0;
  t.end = limit < kernel ? limit : kernel;
  if (t.end < t.first) t.end = t.first;  // a window over padding only (rejected by validate)
  t.in0 = start + t.first - pad;
  return t;
}

inline TapSpan row_span(const WindowGeometry& g, uint32_t oy) {
  return tap_span(oy, g.stride_h, g.pad_top, g.k_h, g.in_h);
}
inline TapSpan col_span(const WindowGeometry& g, uint32_t ox) {
  return tap_span(ox, g.stride_w, g.pad_left, g.k_w, g.in_w);
}

// Offset in the input map of pixel (iy, ix), channel 0.
inline size_t pixel(const WindowGeometry& g, uint32_t iy, uint32_t ix) {
  return (static_cast<size_t>(iy) * g.in_w + ix) * g.in_c;
}

// Floats in the input map: in_h in_w in_c.
inline size_t input_size(const WindowGeometry& g) {
  return static_cast<size_t>(g.in_h) * g.in_w * g.in_c;
}

// p[0, n) = 0.
inline void zero_floats(float* p, size_t n) {
  for (size_t i = 0; i < n; ++i) p[i] = 0.0f;
}

}  // namespace tinyprop
