// A small seeded PRNG of our own (xoshiro128**, seeded through splitmix64), so that
// initialisation and shuffling give the same bits on every platform for the same seed.
// 32-bit operations only: cheap on a Cortex-M.
#pragma once
#include <stdint.h>

namespace tinyprop {

class Rng {
 public:
  explicit Rng(uint64_t seed = 1) { reseed(seed); }
  void reseed(uint64_t seed);

  uint32_t next_u32();
  // Uniform integer in [0, bound) without modulo bias (Lemire's multiply-shift with rejection).
  uint32_t uniform_below(uint32_t bound);
  // Uniform float in [0, 1) with 24 random bits.
  float uniform01();
  // Uniform float in [lo, hi).
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform01(); }
  // Standard normal sample (Box-Muller; uses the core's portable log and cos, so the same bits everywhere).
  float normal();
  // Fisher-Yates shuffle of an index array.
  void shuffle(uint32_t* items, uint32_t n);

 private:
  uint32_t s_[4];
};

}  // namespace tinyprop
