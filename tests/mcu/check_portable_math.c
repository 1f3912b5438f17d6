// examples/mcu_finetune/portable_math.c against double-precision exp and log: every 31st float
// (about 140 million inputs) and the edge cases. Fails if any result is more than 2 ulp off, or
// an edge case (0, inf, NaN, overflow, underflow, subnormals) is wrong.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

float expf(float);
float logf(float);

static float from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

// |got - want| in units in the last place of binary32 at want.
static double ulp_error(float got, double want) {
  const float rounded = (float)want;
  if (isinf(rounded) || rounded == 0.0f) return got == rounded ? 0.0 : INFINITY;
  int e;
  frexp(want, &e);
  double ulp = ldexp(1.0, e - 24);
  if (fabs(want) < 0x1p-126) ulp = 0x1p-149;
  return fabs((double)got - want) / ulp;
}

int main(void) {
  int failures = 0;
  double worst_exp = 0.0, worst_log = 0.0;
  float at_exp = 0.0f, at_log = 0.0f;
  for (uint64_t u = 0; u < (1ull << 32); u += 31) {
    const float x = from_bits((uint32_t)u);
    if (isnan(x)) continue;
    const double e = ulp_error(expf(x), exp((double)x));
    if (e > worst_exp) { worst_exp = e; at_exp = x; }
    if (x > 0.0f) {
      const double l = ulp_error(logf(x), log((double)x));
      if (l > worst_log) { worst_log = l; at_log = x; }
    }
  }
  printf("expf: worst %.3f ulp at %a\nlogf: worst %.3f ulp at %a\n", worst_exp, (double)at_exp,
         worst_log, (double)at_log);
  if (worst_exp > 2.0 || worst_log > 2.0) failures++;

  struct { float got, want; const char* what; } edges[] = {
      {expf(0.0f), 1.0f, "exp(0)"},
      {expf(-INFINITY), 0.0f, "exp(-inf)"},
      {expf(INFINITY), INFINITY, "exp(inf)"},
      {expf(89.0f), INFINITY, "exp(89) overflows"},
      {expf(-104.0f), 0.0f, "exp(-104) underflows"},
      {logf(1.0f), 0.0f, "log(1)"},
      {logf(0.0f), -INFINITY, "log(0)"},
      {logf(INFINITY), INFINITY, "log(inf)"},
  };
  for (size_t i = 0; i < sizeof edges / sizeof edges[0]; ++i) {
    if (edges[i].got != edges[i].want) {
      printf("FAIL %s = %a\n", edges[i].what, (double)edges[i].got);
      failures++;
    }
  }
  if (!isnan(expf(NAN)) || !isnan(logf(NAN)) || !isnan(logf(-1.0f))) {
    printf("FAIL NaN handling\n");
    failures++;
  }
  if (!(expf(-100.0f) > 0.0f) || ulp_error(expf(-100.0f), exp(-100.0)) > 2.0) {
    printf("FAIL exp(-100) (subnormal result)\n");
    failures++;
  }
  if (ulp_error(logf(0x1p-140f), log(0x1p-140)) > 2.0) {
    printf("FAIL log of a subnormal\n");
    failures++;
  }
  return failures == 0 ? 0 : 1;
}
