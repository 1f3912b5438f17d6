#include "experiments/shift.h"

#include <math.h>

#include <cstdio>

#include "tinyprop/rng.h"
#include "util/error.h"

namespace tinyprop::host {
namespace {

// What the sensor finally reports for a noiseless value: plus Gaussian noise of this sigma (none
// at 0), clamped to the [0, 1] range of the pixels.
float noisy_clamped(float value, float noise_sigma, Rng& rng) {
  if (noise_sigma > 0.0f) value += noise_sigma * rng.normal();
  return fminf(1.0f, fmaxf(0.0f, value));
}

}  // namespace

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
          dst[(v * w + u) * c + ch] = noisy_clamped(value, p.noise_sigma, rng);
        }
      }
    }
  }
  out.name = d.name + "-shift";
  return out;
}

DriftParams mnist_drift_params() {
  DriftParams p;
  p.vignetting = 0.5f;
  p.tilt = 0.3f;
  p.black_level = 0.1f;
  p.pattern_sigma = 0.05f;
  p.dead_pixels = 20;
  p.stuck_pixels = 20;
  p.noise_sigma = 0.05f;
  p.pattern_seed = 20240611;
  p.noise_seed = 20240620;
  return p;
}

std::string describe_drift(const DriftParams& p) {
  char buf[384];
  std::snprintf(buf, sizeof buf,
                "gain (1 - %.2f rho^2)(1 + %.2f (u - cx)/cx), black level %+.2f, fixed-pattern "
                "offset sigma %.2f, %u dead (0) and %u stuck (1) pixels (sensor seed %llu), "
                "Gaussian noise sigma %.2f (seed %llu), clamp to [0, 1]",
                static_cast<double>(p.vignetting), static_cast<double>(p.tilt),
                static_cast<double>(p.black_level), static_cast<double>(p.pattern_sigma),
                p.dead_pixels, p.stuck_pixels, static_cast<unsigned long long>(p.pattern_seed),
                static_cast<double>(p.noise_sigma),
                static_cast<unsigned long long>(p.noise_seed));
  return buf;
}

SensorDefects sensor_defects(const DriftParams& p, uint32_t h, uint32_t w) {
  const uint64_t pixels = static_cast<uint64_t>(h) * w;
  if (static_cast<uint64_t>(p.dead_pixels) + p.stuck_pixels > pixels) {
    throw Error("sensor drift: " + std::to_string(p.dead_pixels) + " dead + " +
                std::to_string(p.stuck_pixels) + " stuck pixels exceed the " +
                std::to_string(pixels) + " pixels of a " + std::to_string(h) + "x" +
                std::to_string(w) + " image");
  }
  // Distinct positions: the first pixels of a seeded shuffle (the offsets use pattern_seed itself).
  const std::vector<uint32_t> order = shuffled_indices(pixels, p.pattern_seed + 1);
  SensorDefects d;
  d.dead.assign(order.begin(), order.begin() + p.dead_pixels);
  d.stuck.assign(order.begin() + p.dead_pixels, order.begin() + p.dead_pixels + p.stuck_pixels);
  return d;
}

Dataset apply_drift(const Dataset& d, const DriftParams& p) {
  const uint32_t h = d.shape.h, w = d.shape.w, c = d.shape.c;
  const uint32_t dim = d.dim();
  const SensorDefects defects = sensor_defects(p, h, w);
  // The sensor's per-value gain g and fixed-pattern offset (black level + o), [h, w, c].
  std::vector<float> gain(dim), offset(dim);
  const float cx = 0.5f * static_cast<float>(w - 1), cy = 0.5f * static_cast<float>(h - 1);
  const float corner2 = cx * cx + cy * cy;
  Rng pattern(p.pattern_seed);
  for (uint32_t v = 0; v < h; ++v) {
    for (uint32_t u = 0; u < w; ++u) {
      const float du = static_cast<float>(u) - cx, dv = static_cast<float>(v) - cy;
      const float rho2 = corner2 > 0.0f ? (du * du + dv * dv) / corner2 : 0.0f;
      const float g = (1.0f - p.vignetting * rho2) * (1.0f + p.tilt * (cx > 0.0f ? du / cx : 0.0f));
      for (uint32_t ch = 0; ch < c; ++ch) {
        gain[(v * w + u) * c + ch] = g;
        offset[(v * w + u) * c + ch] = p.black_level + p.pattern_sigma * pattern.normal();
      }
    }
  }
  Dataset out = d;
  for (size_t i = 0; i < d.size(); ++i) {
    const float* src = d.sample(i);
    float* dst = out.x.data() + i * dim;
    Rng rng(p.noise_seed + i);
    for (uint32_t j = 0; j < dim; ++j) {
      dst[j] = noisy_clamped(gain[j] * src[j] + offset[j], p.noise_sigma, rng);
    }
    for (uint32_t px : defects.dead) {
      for (uint32_t ch = 0; ch < c; ++ch) dst[px * c + ch] = 0.0f;
    }
    for (uint32_t px : defects.stuck) {
      for (uint32_t ch = 0; ch < c; ++ch) dst[px * c + ch] = 1.0f;
    }
  }
  out.name = d.name + "-drift";
  return out;
}

}  // namespace tinyprop::host
