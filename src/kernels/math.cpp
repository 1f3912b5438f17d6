// Portable exp, log, tanh and cos in float arithmetic (see include/tinyprop/kernels/math.h for
// why and how accurate). Every function reduces its argument exactly (or with a split constant
// whose high part has so few bits that the products are exact) and evaluates a short Taylor
// series in Horner form, whose truncation error is far below one float ulp.
#include "tinyprop/kernels/math.h"

#include <stdint.h>
#include <string.h>

namespace tinyprop {
namespace math {
namespace {

float from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

uint32_t to_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

// 2^k for k in [-126, 127], exactly.
float pow2i(int32_t k) { return from_bits(static_cast<uint32_t>(k + 127) << 23); }

// Round to the nearest integer, halves away from zero (|v| < 2^30).
int32_t round_to_int(float v) { return static_cast<int32_t>(v + (v >= 0.0f ? 0.5f : -0.5f)); }

// ln 2 split so that k * kLn2Hi is exact for |k| < 2^8 (kLn2Hi has 16 significant bits).
constexpr float kLn2Hi = 0x1.62e4p-1f;      // 0.693145751953125
constexpr float kLn2Lo = 0x1.7f7d1cp-20f;   // ln 2 - kLn2Hi, rounded
constexpr float kLog2e = 1.44269504f;

// exp(r) - 1 for |r| <= 0.35 by its Taylor series to r^9 (remainder below 2^-31 relative):
// r + r^2 (1/2 + r (1/6 + ...)), so that the leading r is added last and exactly.
float expm1_reduced(float r) {
  float p = 1.0f / 362880.0f;
  p = p * r + 1.0f / 40320.0f;
  p = p * r + 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  return r + r * r * p;
}

// exp(x) - 1 for 0 < x <= 18.5 (what tanh needs): x = k ln 2 + r, |r| <= ln 2 / 2, and
// e^x - 1 = 2^k (e^r - 1) + (2^k - 1), where 2^k - 1 is exact for k <= 24 and the scaling is exact.
float expm1_positive(float x) {
  if (x <= 0.3466f) return expm1_reduced(x);
  const int32_t k = round_to_int(x * kLog2e);
  const float fk = static_cast<float>(k);
  const float r = (x - fk * kLn2Hi) - fk * kLn2Lo;
  const float scale = pow2i(k);
  return scale * expm1_reduced(r) + (scale - 1.0f);
}

// pi / 2 in four parts: the first three have 12 significant bits each, so n * part is exact for
// |n| < 2^12, and a - n * kPio2A is exact (Cody and Waite); the sum of the four is pi / 2 to
// within 2^-63, so the reduced argument keeps its relative accuracy even next to a zero of cos.
constexpr float kPio2A = 0x1.92p+0f;
constexpr float kPio2B = 0x1.fb4p-12f;
constexpr float kPio2C = 0x1.444p-24f;
constexpr float kPio2D = 0x1.68c234p-39f;
constexpr float k2OverPi = 0.636619772f;

// sin(r) and cos(r) for |r| <= pi / 4 by their Taylor series (to r^11 and r^12; the remainders are
// below 2^-30 relative).
float sin_reduced(float r) {
  const float r2 = r * r;
  float p = -1.0f / 39916800.0f;
  p = p * r2 + 1.0f / 362880.0f;
  p = p * r2 - 1.0f / 5040.0f;
  p = p * r2 + 1.0f / 120.0f;
  p = p * r2 - 1.0f / 6.0f;
  return r + r * r2 * p;
}

float cos_reduced(float r) {
  const float r2 = r * r;
  float p = 1.0f / 479001600.0f;
  p = p * r2 - 1.0f / 3628800.0f;
  p = p * r2 + 1.0f / 40320.0f;
  p = p * r2 - 1.0f / 720.0f;
  p = p * r2 + 1.0f / 24.0f;
  // 1 - r^2/2 + r^4 p: the halving is exact, the 1 is added last.
  const float half_r2 = 0.5f * r2;
  return 1.0f - (half_r2 - r2 * r2 * p);
}

}  // namespace

// exp(x) = 2^k exp(r), k = round(x / ln 2), r = x - k ln 2 in [-0.35, 0.35];
// exp(r) by its Taylor series to r^8 (remainder below 2^-30 relative), Horner form.
float exp(float x) {
  if (x != x) return x;                                              // NaN
  if (x > 0x1.62e42ep+6f) return from_bits(0x7f800000u);             // > FLT_MAX: +inf
  if (x <= -0x1.9fe368p+6f) return 0.0f;                             // < 2^-150: rounds to 0
  const int32_t k = round_to_int(x * kLog2e);
  const float fk = static_cast<float>(k);
  const float r = (x - fk * kLn2Hi) - fk * kLn2Lo;
  float p = 1.0f / 40320.0f;
  p = p * r + 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  if (k > 127) return p * pow2i(127) * pow2i(k - 127);
  if (k < -126) return p * pow2i(k + 100) * pow2i(-100);  // subnormal result, rounded once
  return p * pow2i(k);
}

// log(x) = e ln 2 + log(m), x = m 2^e with m in [sqrt(1/2), sqrt(2));
// log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172, series to s^11.
float log(float x) {
  if (x != x) return x;
  if (x < 0.0f) return from_bits(0x7fc00000u);   // NaN
  if (x == 0.0f) return from_bits(0xff800000u);  // -inf
  if (x == from_bits(0x7f800000u)) return x;
  int32_t e = 0;
  uint32_t u = to_bits(x);
  if ((u >> 23) == 0u) {  // subnormal: scale into the normal range first
    x *= pow2i(25);
    u = to_bits(x);
    e = -25;
  }
  e += static_cast<int32_t>(u >> 23) - 127;
  float m = from_bits((u & 0x007fffffu) | 0x3f800000u);  // [1, 2)
  if (m > 1.41421356f) {
    m *= 0.5f;
    e += 1;
  }
  const float s = (m - 1.0f) / (m + 1.0f);
  const float s2 = s * s;
  float q = 1.0f / 11.0f;
  q = q * s2 + 1.0f / 9.0f;
  q = q * s2 + 1.0f / 7.0f;
  q = q * s2 + 1.0f / 5.0f;
  q = q * s2 + 1.0f / 3.0f;
  const float log_m = 2.0f * s + 2.0f * s * s2 * q;
  const float fe = static_cast<float>(e);
  return fe * kLn2Hi + (fe * kLn2Lo + log_m);
}

// tanh(x) = t / (t + 2) with t = e^(2|x|) - 1, sign restored. The relative error of t enters
// scaled by 2 / (t + 2) <= 1, so there is no cancellation near 0 (unlike 1 - 2 / (e^2x + 1)).
// |x| < 2^-12: tanh x = x (the next term, x^3 / 3, is below half an ulp); |x| > 9.1: +-1
// (1 - tanh x < 2 e^-18.2 is below half an ulp of 1).
float tanh(float x) {
  if (x != x) return x;
  const float a = x < 0.0f ? -x : x;
  if (a < 0x1p-12f) return x;
  float y = 1.0f;
  if (a <= 9.1f) {
    const float t = expm1_positive(2.0f * a);
    y = t / (t + 2.0f);
  }
  return x < 0.0f ? -y : y;
}

// cos(x): x = n pi/2 + r with |r| <= pi/4 (Cody-Waite reduction, see kPio2A), then
// cos x = cos r, -sin r, -cos r, sin r for n = 0, 1, 2, 3 (mod 4).
float cos(float x) {
  if (x != x) return x;
  const float a = x < 0.0f ? -x : x;  // cos is even
  if (a == from_bits(0x7f800000u)) return from_bits(0x7fc00000u);
  if (a < 0x1p-12f) return 1.0f;  // 1 - x^2/2 rounds to 1
  if (a > 0x1p+30f) return 0.0f;  // outside the stated range; keeps the conversion below defined
  const int32_t n = round_to_int(a * k2OverPi);
  const float fn = static_cast<float>(n);
  const float r = (((a - fn * kPio2A) - fn * kPio2B) - fn * kPio2C) - fn * kPio2D;
  switch (static_cast<uint32_t>(n) & 3u) {
    case 0u:
      return cos_reduced(r);
    case 1u:
      return -sin_reduced(r);
    case 2u:
      return -cos_reduced(r);
    default:
      return sin_reduced(r);
  }
}

}  // namespace math
}  // namespace tinyprop
