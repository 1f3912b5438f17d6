#include "tinyprop/rng.h"

#include <math.h>

#include "tinyprop/kernels/math.h"

namespace tinyprop {
namespace {

uint64_t splitmix64(uint64_t* x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

}  // namespace

void Rng::reseed(uint64_t seed) {
  uint64_t x = seed;
  const uint64_t a = splitmix64(&x);
  const uint64_t b = splitmix64(&x);
  s_[0] = static_cast<uint32_t>(a);
  s_[1] = static_cast<uint32_t>(a >> 32);
  s_[2] = static_cast<uint32_t>(b);
  s_[3] = static_cast<uint32_t>(b >> 32);
  if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;  // the all-zero state is a fixed point
}

// xoshiro128** (Blackman and Vigna).
uint32_t Rng::next_u32() {
  const uint32_t result = rotl(s_[1] * 5u, 7) * 9u;
  const uint32_t t = s_[1] << 9;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 11);
  return result;
}

uint32_t Rng::uniform_below(uint32_t bound) {
  if (bound == 0) return 0;
  // Lemire: the high word of x * bound is uniform once the biased low part is rejected.
  uint64_t m = static_cast<uint64_t>(next_u32()) * bound;
  uint32_t low = static_cast<uint32_t>(m);
  if (low < bound) {
    const uint32_t threshold = (0u - bound) % bound;
    while (low < threshold) {
      m = static_cast<uint64_t>(next_u32()) * bound;
      low = static_cast<uint32_t>(m);
    }
  }
  return static_cast<uint32_t>(m >> 32);
}

float Rng::uniform01() { return static_cast<float>(next_u32() >> 8) * (1.0f / 16777216.0f); }

float Rng::normal() {
  // Box-Muller; u1 in (0, 1] so that the log stays finite.
  const float u1 = 1.0f - uniform01();
  const float u2 = uniform01();
  return sqrtf(-2.0f * math::log(u1)) * math::cos(6.28318530718f * u2);
}

void Rng::shuffle(uint32_t* items, uint32_t n) {
  for (uint32_t i = n; i > 1; --i) {
    const uint32_t j = uniform_below(i);
    const uint32_t tmp = items[i - 1];
    items[i - 1] = items[j];
    items[j] = tmp;
  }
}

}  // namespace tinyprop
