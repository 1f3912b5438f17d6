// The one layout change between ONNX and the core, for conv weights and for the columns of a
// dense layer after a flatten alike: each of `rows` rows holds a C x H x W block, in ONNX's
// (c, h, w) order or the core's channels-last (h, w, c) order. Conv W: rows = C_out, C = C_in,
// H x W = the kernel; dense W after a flatten: rows = units, C x H x W = the flattened map.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <vector>

namespace tinyprop::host::onnx_io {

// to_hwc: (c, h, w) -> (h, w, c); else the inverse. n = rows * c * h * w floats at src.
inline std::vector<float> permute_rows(const float* src, uint32_t rows, uint32_t c, uint32_t h,
                                       uint32_t w, bool to_hwc) {
  const size_t block = static_cast<size_t>(c) * h * w;
  std::vector<float> out(rows * block);
  for (uint32_t r = 0; r < rows; ++r) {
    const size_t base = r * block;
    for (uint32_t k = 0; k < c; ++k)
      for (uint32_t y = 0; y < h; ++y)
        for (uint32_t x = 0; x < w; ++x) {
          const size_t chw = base + (static_cast<size_t>(k) * h + y) * w + x;
          const size_t hwc = base + (static_cast<size_t>(y) * w + x) * c + k;
          if (to_hwc) {
            out[hwc] = src[chw];
          } else {
            out[chw] = src[hwc];
          }
        }
  }
  return out;
}

}  // namespace tinyprop::host::onnx_io
