// Deterministic distribution shifts of image data, as a deployed sensor delivers them:
// * ShiftParams: mounted slightly rotated and offset, with a weaker contrast, a raised black level
//   and noise (the mnist-shift scenario);
// * DriftParams: a sensor whose response drifted: uneven gain, a fixed-pattern offset, dead and
//   stuck pixels, noise (the mnist-drift scenario).
// docs/SCENARIOS.md documents the parameters of both scenarios.
#pragma once
#include <stdint.h>

#include <string>
#include <vector>

#include "data/dataset.h"

namespace tinyprop::host {

struct ShiftParams {
  float rotation_deg = 0.0f;  // counter-clockwise, about the image centre
  float dx = 0.0f, dy = 0.0f; // translation in pixels (+x right, +y down)
  float contrast = 1.0f;      // x' = contrast * x + brightness, then noise, then clamp to [0, 1]
  float brightness = 0.0f;
  float noise_sigma = 0.0f;   // additive Gaussian noise, standard deviation
  uint64_t seed = 0;          // noise of sample i comes from Rng(seed + i): order-independent
};

// The shift of the mnist-shift scenario.
ShiftParams mnist_shift_params();
// "rotate 10.0 deg, shift (+1.0, +1.0) px, contrast 0.80, brightness +0.05, ..."
std::string describe_shift(const ShiftParams& p);

// Returns d with every image transformed: geometric part by inverse mapping with bilinear
// interpolation (zero outside the image), then the intensity part. Per channel.
Dataset apply_shift(const Dataset& d, const ShiftParams& p);

// A drifted image sensor. Pixel (u, v) of every image, every channel, becomes
//   x' = clamp(g(u, v) x + black_level + o(u, v) + n, 0, 1),
// then 0 at a dead pixel and 1 at a stuck one, where
//   g(u, v) = (1 - vignetting rho^2) (1 + tilt (u - cx) / cx): a smooth gain field, falling off
//             towards the corners (rho = distance from the centre / the corner's distance) and
//             rising from left to right (uneven illumination);
//   o(u, v) ~ N(0, pattern_sigma^2), drawn once per pixel: the sensor's fixed-pattern offset;
//   n       ~ N(0, noise_sigma^2), fresh per pixel of every image (image i: Rng(noise_seed + i)).
// The sensor's pattern (o, the dead and the stuck pixels) comes from pattern_seed alone, so every
// data set seen through the same sensor shares it.
struct DriftParams {
  float vignetting = 0.0f;    // gain at the corners = 1 - vignetting (times the tilt)
  float tilt = 0.0f;          // gain 1 - tilt at the left edge, 1 + tilt at the right
  float black_level = 0.0f;   // constant offset
  float pattern_sigma = 0.0f; // fixed-pattern offset, standard deviation
  uint32_t dead_pixels = 0;   // read 0 whatever the light
  uint32_t stuck_pixels = 0;  // read 1 whatever the light
  float noise_sigma = 0.0f;   // temporal noise, standard deviation
  uint64_t pattern_seed = 0;  // the sensor: fixed pattern and dead / stuck positions
  uint64_t noise_seed = 0;    // noise of image i from Rng(noise_seed + i): order-independent
};

// The drift of the mnist-drift scenario.
DriftParams mnist_drift_params();
// "gain (1 - 0.50 rho^2)(1 + 0.30 (u - cx)/cx), black level +0.10, ..."
std::string describe_drift(const DriftParams& p);

// The sensor's defects on an h x w image: distinct pixel indices (v w + u), dead first.
struct SensorDefects {
  std::vector<uint32_t> dead, stuck;
};
// Throws host::Error when dead + stuck pixels exceed the image's pixels.
SensorDefects sensor_defects(const DriftParams& p, uint32_t h, uint32_t w);
// Returns d as the drifted sensor delivers it (DriftParams), values in [0, 1].
Dataset apply_drift(const Dataset& d, const DriftParams& p);

}  // namespace tinyprop::host
