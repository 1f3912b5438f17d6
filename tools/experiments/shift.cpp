#include "experiments/shift.h"

#include <math.h>

#include <cstdio>

#include "tinyprop/rng.h"

namespace tinyprop::host {

ShiftParams mnist_shift_params() {
  ShiftParams p;
  p.rotation_deg = 10.0f;
  p.dx = 1.0f;
  p.dy = 1.0f;
  p.contrast = 0.8f;
  p.brightness = 0.05f;
  p.noise_sigma = 0.1f;
  p.seed = 20240607;
  return p;
}

std::string describe_shift(const ShiftParams& p) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "rotate %.1f deg, shift (%+.1f, %+.1f) px, contrast %.2f, brightness %+.2f, "
                "Gaussian noise sigma %.2f (seed %llu), clamp to [0, 1]",
                static_cast<double>(p.rotation_deg), static_cast<double>(p.dx),
                static_cast<double>(p.dy), static_cast<double>(p.contrast),
                static_cast<double>(p.brightness), static_cast<double>(p.noise_sigma),
                static_cast<unsigned long long>(p.seed));
  return buf;
}

// Output pixel (u, v) reads the source at the inverse transform of (u, v): undo the
// translation, then rotate by -theta about the centre c:
//   [x]   [ cos t  sin t] [u - dx - cx]   [cx]
//   [y] = [-sin t  cos t] [v - dy - cy] + [cy]
// (image coordinates, y down; a positive angle turns the content counter-clockwise on screen).
Dataset apply_shift(const Dataset& d, const ShiftParams& p) {
  Dataset out = d;
  const uint32_t h = d.shape.h, w = d.shape.w, c = d.shape.c;
  const float theta = p.rotation_deg * 3.14159265358979f / 180.0f;
  const float ct = cosf(theta), st = sinf(theta);
  const float cx = 0.5f * static_cast<float>(w - 1), cy = 0.5f * static_cast<float>(h - 1);
  const uint32_t dim = d.dim();

  for (size_t i = 0; i < d.size(); ++i) {
    const float* src = d.sample(i);          // [h, w, c]
    float* dst = out.x.data() + i * dim;     // [h, w, c]
    Rng rng(p.seed + i);
    for (uint32_t v = 0; v < h; ++v) {
      for (uint32_t u = 0; u < w; ++u) {
        const float ux = static_cast<float>(u) - p.dx - cx;
        const float vy = static_cast<float>(v) - p.dy - cy;
        const float x = ct * ux - st * vy + cx;
        const float y = st * ux + ct * vy + cy;
        const float x0f = floorf(x), y0f = floorf(y);
        const int x0 = static_cast<int>(x0f), y0 = static_cast<int>(y0f);
        const float fx = x - x0f, fy = y - y0f;
        for (uint32_t ch = 0; ch < c; ++ch) {
          auto at = [&](int yy, int xx) -> float {
            if (xx < 0 || yy < 0 || xx >= static_cast<int>(w) || yy >= static_cast<int>(h)) {
              return 0.0f;
            }
            return src[(static_cast<uint32_t>(yy) * w + static_cast<uint32_t>(xx)) * c + ch];
          };
          const float top = (1.0f - fx) * at(y0, x0) + fx * at(y0, x0 + 1);
          const float bottom = (1.0f - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1);
          float value = (1.0f - fy) * top + fy * bottom;
          value = p.contrast * value + p.brightness;
          if (p.noise_sigma > 0.0f) value += p.noise_sigma * rng.normal();
          dst[(v * w + u) * c + ch] = fminf(1.0f, fmaxf(0.0f, value));
        }
      }
    }
  }
  out.name = d.name + "-shift";
  return out;
}

}  // namespace tinyprop::host
