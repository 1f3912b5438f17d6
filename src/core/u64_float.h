// Conversions between uint64_t and float that link no double-precision code.
//
// Why: on Cortex-M, libgcc converts a float to a 64-bit integer through double precision
// (__aeabi_f2ulz calls __aeabi_dmul and friends), and ARMv6-M's libgcc does the same for a 64-bit
// integer to a float, which would put soft-double helpers into every firmware image. These give
// the C conversions' results exactly: u64_to_float rounds to nearest even like
// static_cast<float>(uint64_t), float_to_u64 truncates like static_cast<uint64_t>(float).
#pragma once
#include <stdint.h>
#include <string.h>

namespace tinyprop {

inline float u64_to_float(uint64_t x) {
  if (x <= 0xffffffffu) return static_cast<float>(static_cast<uint32_t>(x));
  // Shift into 32 bits, OR-ing every bit shifted out into the lowest one (the sticky bit): 32
  // bits hold the 24 of the result plus guard and sticky bits, so the 32-bit conversion rounds
  // exactly as the 64-bit one would; the power of two then scales back exactly.
  uint32_t shift = 0;
  while (x > 0xffffffffu) {
    x = (x >> 1) | (x & 1u);
    ++shift;
  }
  float f = static_cast<float>(static_cast<uint32_t>(x));
  while (shift-- > 0) f *= 2.0f;
  return f;
}

// floor(v) for finite 0 <= v < 2^64; 0 below 1 (and for NaN), UINT64_MAX from 2^64 up.
inline uint64_t float_to_u64(float v) {
  if (!(v >= 1.0f)) return 0;
  if (v < 4294967296.0f) return static_cast<uint32_t>(v);
  if (!(v < 18446744073709551616.0f)) return UINT64_MAX;
  uint32_t bits = 0;
  memcpy(&bits, &v, sizeof bits);
  const uint32_t biased = (bits >> 23) & 0xffu;  // v >= 2^32: biased - 127 >= 32
  const uint64_t mantissa = (bits & 0x7fffffu) | 0x800000u;
  return mantissa << (biased - 150u);  // v = mantissa * 2^(biased - 127 - 23), an integer
}

}  // namespace tinyprop
