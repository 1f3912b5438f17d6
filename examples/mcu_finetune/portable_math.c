// expf and logf written out in plain float arithmetic, linked into BOTH the firmware and its
// host build, replacing the C library's.
//
// Why: the same-bits test (tests/mcu) compares weights after K fine-tuning steps on the
// emulated Cortex-M4 and on the host. Everything in the core is IEEE single-precision adds,
// multiplies and divides (compiled with -ffp-contract=off), which both machines round the same
// way; the only operations that are not are the C library's transcendental functions. The
// softmax uses expf, and newlib's expf (the old fdlibm code, single precision) and glibc's
// (table-driven, double precision internally, FMA where the CPU has it) disagree in the last bit
// for about 1 input in 10 (19,555 of 200,000 inputs in [-24.4, 0], measured under QEMU). With
// these definitions both builds do the same float operations in the same order, so they
// produce the same bits.
//
// Accuracy: within 2 ulp of the exact result over the whole float range (checked against
// double-precision exp/log by tests/mcu/check_portable_math.c).
#include <math.h>
#include <stdint.h>
#include <string.h>

static float from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static uint32_t to_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

// 2^k for k in [-126, 127], exactly.
static float pow2i(int32_t k) { return from_bits((uint32_t)(k + 127) << 23); }

// ln 2 split so that k * kLn2Hi is exact for |k| < 2^8 (kLn2Hi has 16 significant bits).
static const float kLn2Hi = 0x1.62e4p-1f;   // 0.693145751953125
static const float kLn2Lo = 0x1.7f7d1cp-20f;  // ln 2 - kLn2Hi, rounded
static const float kLog2e = 1.44269504f;

// exp(x) = 2^k * exp(r), k = round(x / ln 2), r = x - k ln 2 in [-0.35, 0.35];
// exp(r) by its Taylor series to r^8 (remainder below 2^-30 relative), Horner form.
float expf(float x) {
  if (x != x) return x;                        // NaN
  if (x > 0x1.62e42ep+6f) return from_bits(0x7f800000u);    // exp(x) > FLT_MAX: +inf
  if (x <= -0x1.9fe368p+6f) return 0.0f;  // exp(x) < 2^-150: rounds to 0
  const float kf = x * kLog2e;
  const int32_t k = (int32_t)(kf + (kf >= 0.0f ? 0.5f : -0.5f));
  const float fk = (float)k;
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
float logf(float x) {
  if (x != x) return x;
  if (x < 0.0f) return from_bits(0x7fc00000u);  // NaN
  if (x == 0.0f) return from_bits(0xff800000u);  // -inf
  if (x == from_bits(0x7f800000u)) return x;
  int32_t e = 0;
  uint32_t u = to_bits(x);
  if ((u >> 23) == 0u) {  // subnormal: scale into the normal range first
    x *= pow2i(25);
    u = to_bits(x);
    e = -25;
  }
  e += (int32_t)(u >> 23) - 127;
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
  const float fe = (float)e;
  return fe * kLn2Hi + (fe * kLn2Lo + log_m);
}

