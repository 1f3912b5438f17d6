#include "tinyprop/kernels/pool.h"
#include "tinyprop/config.h"

#include <stddef.h>

// Compiled out with TINYPROP_WITH_POOL=0 (tinyprop/config.h).
#if TINYPROP_WITH_POOL
namespace tinyprop {
namespace {

// Offset (in x) of the first maximum of a window's channel, its first tap at x[first], over
// rows x cols taps, scanning rows then columns; a later equal value does not replace it (nor
// does a NaN, and a NaN first stays). The addresses advance by a column (in_c floats) and a
// row (in_w in_c), without a multiplication per tap; the usual 2 x 2 window is unrolled.
inline size_t argmax(const float* x, const WindowGeometry& g, size_t first, uint32_t rows,
                     uint32_t cols) {
  const size_t row_step = static_cast<size_t>(g.in_w) * g.in_c;
  size_t best = first;
  float best_value = x[first];
  const auto offer = [&](size_t at) {
    if (x[at] > best_value) {
      best = at;
      best_value = x[at];
    }
  };
  if (rows == 2 && cols == 2) {
    offer(first + g.in_c);
    offer(first + row_step);
    offer(first + row_step + g.in_c);
    return best;
  }
  for (uint32_t r = 0; r < rows; ++r, first += row_step) {
    for (uint32_t t = 0; t < cols; ++t) offer(first + static_cast<size_t>(t) * g.in_c);
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
      const size_t first = pixel(g, rows.in0, cols.in0);
      for (uint32_t c = 0; c < g.in_c; ++c) {
        *yp++ = x[argmax(x, g, first + c, rows.count(), cols.count())];
      }
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
      const size_t first = pixel(g, rows.in0, cols.in0);
      for (uint32_t c = 0; c < g.in_c; ++c) {
        // An error of +-0 (most of them after a sparse layer above) would add +-0 to an entry
        // that is never -0 (it starts at +0, and a sum is -0 only when both terms are):
        // skipped, the same bits.
        const float d = *dyp++;
        if (d != 0.0f) dx[argmax(x, g, first + c, rows.count(), cols.count())] += d;
      }
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
