#include "args.h"

namespace mcu {

bool equal(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

bool parse_u32(const char* s, uint32_t* out) {
  if (*s == '\0') return false;
  uint64_t v = 0;
  for (; *s != '\0'; ++s) {
    if (*s < '0' || *s > '9') return false;
    v = v * 10u + static_cast<uint64_t>(*s - '0');
    if (v > 0xFFFFFFFFu) return false;
  }
  *out = static_cast<uint32_t>(v);
  return true;
}

bool parse_float(const char* s, float* out) {
  bool negative = false;
  if (*s == '-' || *s == '+') negative = *s++ == '-';
  uint64_t mantissa = 0;
  int digits = 0, exp10 = 0;
  bool any = false;
  for (; *s >= '0' && *s <= '9'; ++s, any = true) {
    if (digits < 15) {
      mantissa = mantissa * 10u + static_cast<uint64_t>(*s - '0');
      if (mantissa != 0) ++digits;
    } else {
      ++exp10;  // digits beyond 15 only scale
    }
  }
  if (*s == '.') {
    for (++s; *s >= '0' && *s <= '9'; ++s, any = true) {
      if (digits < 15) {
        mantissa = mantissa * 10u + static_cast<uint64_t>(*s - '0');
        if (mantissa != 0) ++digits;
        --exp10;
      }
    }
  }
  if (!any) return false;
  if (*s == 'e' || *s == 'E') {
    ++s;
    bool exp_negative = false;
    if (*s == '-' || *s == '+') exp_negative = *s++ == '-';
    uint32_t e = 0;
    if (!parse_u32(s, &e) || e > 60) return false;
    exp10 += exp_negative ? -static_cast<int>(e) : static_cast<int>(e);
  } else if (*s != '\0') {
    return false;
  }
  if (exp10 < -22 || exp10 > 22) return false;
  double power = 1.0;  // 10^|exp10| is exact in double for |exp10| <= 22
  for (int i = 0; i < (exp10 < 0 ? -exp10 : exp10); ++i) power *= 10.0;
  const double m = static_cast<double>(mantissa);  // exact: below 10^15 < 2^53
  const double v = exp10 < 0 ? m / power : m * power;
  *out = static_cast<float>(negative ? -v : v);
  return true;
}

}  // namespace mcu
