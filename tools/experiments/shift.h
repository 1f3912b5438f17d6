// A deterministic distribution shift of image data: what a deployed sensor sees after it was
// mounted slightly rotated and offset, with a weaker contrast, a raised black level and noise.
// Used by the mnist-shift scenario (docs/SCENARIOS.md documents the parameters).
#pragma once
#include <stdint.h>

#include <string>

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

}  // namespace tinyprop::host
