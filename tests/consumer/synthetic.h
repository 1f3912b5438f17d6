/* Synthetic 12x12 images of 4 classes for the consumer tests (C99, also C++): a horizontal
 * bar, a vertical bar, a diagonal or a 3x3 square at a random place, on uniform noise.
 * Domain 1 is the same with inverted contrast (x -> 1 - x): a shift that a model trained on
 * domain 0 handles badly until it is fine-tuned. Sample i of a domain is always the same. */
#ifndef TINYPROP_CONSUMER_SYNTHETIC_H
#define TINYPROP_CONSUMER_SYNTHETIC_H
#include <stdint.h>

#define SYN_SIDE 12u
#define SYN_INPUT (SYN_SIDE * SYN_SIDE)
#define SYN_CLASSES 4u

/* A 32-bit integer hash (lowbias32): well mixed bits from consecutive inputs. */
static uint32_t syn_hash(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

/* Uniform in [0, 1) from 24 hash bits. */
static float syn_uniform(uint32_t key) {
  return (float)(syn_hash(key) >> 8) * (1.0f / 16777216.0f);
}

static void syn_sample(uint32_t index, uint32_t domain, float* x, uint32_t* label) {
  const uint32_t seed = syn_hash(index * 2u + domain + 0x9e3779b9u);
  const uint32_t cls = syn_hash(seed) % SYN_CLASSES;
  const uint32_t r0 = syn_hash(seed + 1u) % 7u, c0 = syn_hash(seed + 2u) % 7u;
  uint32_t i, k;
  for (i = 0; i < SYN_INPUT; ++i) x[i] = 0.3f * syn_uniform(seed * 131u + i);
  for (k = 0; k < 6u; ++k) {
    if (cls == 0u) x[(r0 + 3u) * SYN_SIDE + c0 + k] = 1.0f; /* horizontal bar */
    if (cls == 1u) x[(r0 + k) * SYN_SIDE + c0 + 3u] = 1.0f; /* vertical bar */
    if (cls == 2u) x[(r0 + k) * SYN_SIDE + c0 + k] = 1.0f;  /* diagonal */
  }
  if (cls == 3u) { /* 3x3 square */
    for (k = 0; k < 9u; ++k) x[(r0 + 1u + k / 3u) * SYN_SIDE + c0 + 1u + k % 3u] = 1.0f;
  }
  if (domain == 1u) {
    for (i = 0; i < SYN_INPUT; ++i) x[i] = 1.0f - x[i];
  }
  *label = cls;
}

#endif
