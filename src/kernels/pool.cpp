#include "tinyprop/kernels/pool.h"
#include "tinyprop/config.h"

#include <stddef.h>

// Compiled out with TINYPROP_WITH_POOL=0 (tinyprop/config.h).
#if TINYPROP_WITH_POOL
namespace tinyprop {
namespace {

// Offset (in x) of the first maximum of channel c over the window (rows, cols), scanning rows
// then columns; a later equal value does not replace it.
inline size_t argmax(const float* x, const WindowGeometry& g, const TapSpan& rows,
                     const TapSpan& cols, uint32_t c) {
  size_t best = pixel(g, rows.in0, cols.in0) + c;
  for (uint32_t r = 0; r < rows.count(); ++r) {
    for (uint32_t t = 0; t < cols.count(); ++t) {
      const size_t at = pixel(g, rows.in0 + r, cols.in0 + t) + c;
      if (x[at] > x[best]) best = at;
    }
  }
  return best;
}

}  // namespace

void max_pool2d_forward(float* y, const float* x, const WindowGeometry& g) {
  float* yp = y;
  for (uint32_t oy = 0; oy < g.out_h; ++oy) {
    const TapSpan rows = row_span(g, oy);
    for (uint32_t ox = 0; ox < g.out_w; ++ox) {
      const TapSpan cols = col_span(g, ox);
      for (uint32_t c = 0; c < g.in_c; ++c) *yp++ = x[argmax(x, g, rows, cols, c)];
    }
  }
}

void max_pool2d_backward_input(float* dx, const float* x, const float* dy,
                               const WindowGeometry& g) {
  zero_floats(dx, input_size(g));
  const float* dyp = dy;
  for (uint32_t oy = 0; oy < g.out_h; ++oy) {
    const TapSpan rows = row_span(g, oy);
    for (uint32_t ox = 0; ox < g.out_w; ++ox) {
      const TapSpan cols = col_span(g, ox);
      for (uint32_t c = 0; c < g.in_c; ++c) dx[argmax(x, g, rows, cols, c)] += *dyp++;
    }
  }
}

void avg_pool2d_forward(float* y, const float* x, const WindowGeometry& g) {
  float* yp = y;
  for (uint32_t oy = 0; oy < g.out_h; ++oy) {
    const TapSpan rows = row_span(g, oy);
    for (uint32_t ox = 0; ox < g.out_w; ++ox) {
      const TapSpan cols = col_span(g, ox);
      const float count = static_cast<float>(rows.count() * cols.count());
      for (uint32_t c = 0; c < g.in_c; ++c) {
        float s = 0.0f;
        for (uint32_t r = 0; r < rows.count(); ++r) {
          const float* xp = x + pixel(g, rows.in0 + r, cols.in0) + c;
          for (uint32_t t = 0; t < cols.count(); ++t) s += xp[static_cast<size_t>(t) * g.in_c];
        }
        *yp++ = s / count;
      }
    }
  }
}

void avg_pool2d_backward_input(float* dx, const float* dy, const WindowGeometry& g) {
  zero_floats(dx, input_size(g));
  const float* dyp = dy;
  for (uint32_t oy = 0; oy < g.out_h; ++oy) {
    const TapSpan rows = row_span(g, oy);
    for (uint32_t ox = 0; ox < g.out_w; ++ox) {
      const TapSpan cols = col_span(g, ox);
      const float count = static_cast<float>(rows.count() * cols.count());
      for (uint32_t c = 0; c < g.in_c; ++c) {
        const float share = *dyp++ / count;
        for (uint32_t r = 0; r < rows.count(); ++r) {
          float* dxp = dx + pixel(g, rows.in0 + r, cols.in0) + c;
          for (uint32_t t = 0; t < cols.count(); ++t) dxp[static_cast<size_t>(t) * g.in_c] += share;
        }
      }
    }
  }
}

void global_avg_pool_forward(float* y, const float* x, uint32_t hw, uint32_t c) {
  for (uint32_t j = 0; j < c; ++j) y[j] = 0.0f;
  for (uint32_t p = 0; p < hw; ++p) {
    const float* xp = x + static_cast<size_t>(p) * c;
    for (uint32_t j = 0; j < c; ++j) y[j] += xp[j];
  }
  const float n = static_cast<float>(hw);
  for (uint32_t j = 0; j < c; ++j) y[j] /= n;
}

void global_avg_pool_backward_input(float* dx, const float* dy, uint32_t hw, uint32_t c) {
  const float n = static_cast<float>(hw);
  for (uint32_t p = 0; p < hw; ++p) {
    float* dxp = dx + static_cast<size_t>(p) * c;
    for (uint32_t j = 0; j < c; ++j) dxp[j] = dy[j] / n;
  }
}

}  // namespace tinyprop

#endif  // TINYPROP_WITH_POOL
