// The drifted-sensor transform of the mnist-drift scenario (apply_drift): deterministic, the
// gain field as its formula states, dead and stuck pixels where and as declared in every image
// and channel, a sensor pattern independent of the noise seed, values always in [0, 1].
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "experiments/shift.h"
#include "util/error.h"

namespace tinyprop::host {
namespace {

// n images of h x w x c, values from a fixed formula covering [0, 1].
Dataset images(size_t n, uint32_t h, uint32_t w, uint32_t c) {
  Dataset d;
  d.name = "test";
  d.shape = Shape{h, w, c};
  d.num_classes = 10;
  d.x.resize(n * d.dim());
  for (size_t i = 0; i < d.x.size(); ++i) d.x[i] = static_cast<float>((i * 37) % 101) / 100.0f;
  d.y.assign(n, 0);
  return d;
}

Dataset filled(size_t n, uint32_t h, uint32_t w, uint32_t c, float value) {
  Dataset d = images(n, h, w, c);
  std::fill(d.x.begin(), d.x.end(), value);
  return d;
}

TEST(SensorDrift, IsDeterministicAndTheNoiseSeedChangesOnlyTheNoise) {
  const Dataset d = images(5, 28, 28, 1);
  const DriftParams p = mnist_drift_params();
  const Dataset a = apply_drift(d, p), b = apply_drift(d, p);
  EXPECT_EQ(a.x, b.x);
  EXPECT_EQ(a.y, d.y);
  EXPECT_NE(a.x, d.x);
  DriftParams other_noise = p;
  other_noise.noise_seed += 1000000;  // the scenario's test data
  const Dataset c = apply_drift(d, other_noise);
  EXPECT_NE(a.x, c.x);
  // Without noise, the noise seed changes nothing: the sensor's pattern is the pattern seed's.
  DriftParams quiet = p;
  quiet.noise_sigma = 0.0f;
  DriftParams quiet_other = quiet;
  quiet_other.noise_seed = 7;
  EXPECT_EQ(apply_drift(d, quiet).x, apply_drift(d, quiet_other).x);
  DriftParams other_sensor = quiet;
  other_sensor.pattern_seed += 1;
  EXPECT_NE(apply_drift(d, quiet).x, apply_drift(d, other_sensor).x);
}

TEST(SensorDrift, DeadAndStuckPixelsAreDistinctAndAsDeclared) {
  const DriftParams p = mnist_drift_params();
  const SensorDefects defects = sensor_defects(p, 28, 28);
  ASSERT_EQ(defects.dead.size(), p.dead_pixels);
  ASSERT_EQ(defects.stuck.size(), p.stuck_pixels);
  std::set<uint32_t> all(defects.dead.begin(), defects.dead.end());
  all.insert(defects.stuck.begin(), defects.stuck.end());
  EXPECT_EQ(all.size(), p.dead_pixels + p.stuck_pixels);  // no pixel both dead and stuck
  EXPECT_LT(*all.rbegin(), 28u * 28u);
  // Whatever the light, in every image and every channel: dead reads 0, stuck reads 1.
  for (float light : {0.0f, 0.5f, 1.0f}) {
    const Dataset out = apply_drift(filled(3, 28, 28, 3, light), p);
    for (size_t i = 0; i < out.size(); ++i) {
      const float* s = out.sample(i);
      for (uint32_t ch = 0; ch < 3; ++ch) {
        for (uint32_t px : defects.dead) EXPECT_EQ(s[px * 3 + ch], 0.0f) << px;
        for (uint32_t px : defects.stuck) EXPECT_EQ(s[px * 3 + ch], 1.0f) << px;
      }
    }
  }
  // A healthy pixel follows the light: brighter input, brighter output (noise aside).
  DriftParams quiet = p;
  quiet.noise_sigma = 0.0f;
  const Dataset dark = apply_drift(filled(1, 28, 28, 1, 0.2f), quiet);
  const Dataset bright = apply_drift(filled(1, 28, 28, 1, 0.8f), quiet);
  const uint32_t centre = 14 * 28 + 14;
  ASSERT_EQ(all.count(centre), 0u);
  EXPECT_GT(bright.sample(0)[centre], dark.sample(0)[centre]);
}

TEST(SensorDrift, GainFieldFollowsItsFormula) {
  // A 3x3 image, no offset, noise or defects: x' = (1 - vignetting rho^2)(1 + tilt (u - cx)/cx).
  DriftParams p;
  p.vignetting = 0.5f;
  p.tilt = 0.2f;
  const Dataset out = apply_drift(filled(1, 3, 3, 1, 0.5f), p);
  const float* s = out.sample(0);
  EXPECT_FLOAT_EQ(s[4], 0.5f);                 // centre: gain 1
  EXPECT_FLOAT_EQ(s[0], 0.5f * 0.5f * 0.8f);   // top left corner: rho = 1, left edge
  EXPECT_FLOAT_EQ(s[8], 0.5f * 0.5f * 1.2f);   // bottom right corner: rho = 1, right edge
  EXPECT_FLOAT_EQ(s[1], 0.5f * 0.75f * 1.0f);  // top middle: rho^2 = 1/2
  EXPECT_FLOAT_EQ(s[5], 0.5f * 0.75f * 1.2f);  // middle right: rho^2 = 1/2, right edge
}

TEST(SensorDrift, ValuesStayInTheUnitRange) {
  DriftParams p = mnist_drift_params();
  p.black_level = 0.4f;
  p.tilt = 0.9f;
  p.noise_sigma = 0.5f;
  p.pattern_sigma = 0.3f;
  size_t low = 0, high = 0;
  for (float light : {0.0f, 1.0f}) {
    const Dataset out = apply_drift(filled(4, 28, 28, 1, light), p);
    for (float v : out.x) {
      ASSERT_GE(v, 0.0f);
      ASSERT_LE(v, 1.0f);
      low += v == 0.0f;
      high += v == 1.0f;
    }
  }
  // The clamp was needed on both sides (beyond the dead and stuck pixels).
  EXPECT_GT(low, 4u * p.dead_pixels);
  EXPECT_GT(high, 4u * p.stuck_pixels);
}

TEST(SensorDrift, MoreDefectsThanPixelsIsAnError) {
  DriftParams p;
  p.dead_pixels = 5;
  p.stuck_pixels = 5;
  try {
    apply_drift(images(1, 3, 3, 1), p);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "sensor drift: 5 dead + 5 stuck pixels exceed the 9 pixels of a 3x3 image");
  }
  p.stuck_pixels = 4;  // exactly every pixel
  const Dataset out = apply_drift(images(1, 3, 3, 1), p);
  EXPECT_EQ(std::count(out.x.begin(), out.x.end(), 0.0f), 5);
  EXPECT_EQ(std::count(out.x.begin(), out.x.end(), 1.0f), 4);
}

}  // namespace
}  // namespace tinyprop::host
