#include "tinyprop/sparsity.h"

#include <math.h>

#include "kernels/rows4.h"
#include "tinyprop/select.h"

namespace tinyprop {

// Summed in index order (four elements per loop pass: less loop overhead, the same order and
// so the same bits).
float local_error(const float* delta, uint32_t n) {
  float y = 0.0f;
  uint32_t i = 0;
#if defined(TINYPROP_ARM_VFP_ROWS4)
  // Cortex-M with a single-precision FPU: one VLDM per four elements, then the same four
  // |d| + y in order (the operands as GCC's code for the C loop has them): 11 instructions
  // per four elements against 15.
  if (n >= 4) {
    uint32_t blocks = n / 4u;
    const float* p = delta;
    __asm__(
        "1:\n\t"
        "vldmia %[p]!, {s8-s11}\n\t"
        "vabs.f32 s8, s8\n\t"
        "vabs.f32 s9, s9\n\t"
        "vabs.f32 s10, s10\n\t"
        "vabs.f32 s11, s11\n\t"
        "vadd.f32 %[y], s8, %[y]\n\t"
        "vadd.f32 %[y], s9, %[y]\n\t"
        "vadd.f32 %[y], s10, %[y]\n\t"
        "vadd.f32 %[y], s11, %[y]\n\t"
        "subs %[blocks], %[blocks], #1\n\t"
        "bne 1b\n\t"
        : [p] "+r"(p), [y] "+t"(y), [blocks] "+r"(blocks)
        :
        : "s8", "s9", "s10", "s11", "cc", "memory");
    i = n - n % 4u;
  }
#endif
  for (; i + 4 <= n; i += 4) {
    y += fabsf(delta[i]);
    y += fabsf(delta[i + 1]);
    y += fabsf(delta[i + 2]);
    y += fabsf(delta[i + 3]);
  }
  for (; i < n; ++i) y += fabsf(delta[i]);
  return y;
}

// TinyProp (docs/ALGORITHM.md, "Per layer, per sample"):
//   Y = sum |delta|;  Y_max = max(Y_max, Y)
//   bpr = (S_min + (S_max - S_min) * Y / Y_max) * zeta^d, or S_min * zeta^d when Y_max = 0
//   k = clamp(floor(bpr * N), 1, N)
RatioDecision decide_ratio(const SparsityConfig& cfg, const float* delta, uint32_t n,
                           uint32_t depth, float* y_max) {
  RatioDecision d;
  switch (cfg.method) {
    case Method::kFull:
      d.k = n;
      d.ratio = 1.0f;
      return d;
    case Method::kStatic:
      d.k = k_for_ratio(cfg.ratio, n);
      d.ratio = cfg.ratio;
      return d;
    case Method::kTinyProp:
    case Method::kTinyPropV2:
      break;
  }
  const float y = local_error(delta, n);
  if (cfg.y_max_decay < 1.0f) *y_max *= cfg.y_max_decay;
  if (y > *y_max) *y_max = y;
  float damping = 1.0f;
  for (uint32_t i = 0; i < depth; ++i) damping *= cfg.zeta;
  float bpr;
  if (*y_max > 0.0f) {
    d.relative_error = y / *y_max;
    bpr = (cfg.s_min + (cfg.s_max - cfg.s_min) * d.relative_error) * damping;
  } else {
    d.relative_error = 1.0f;  // guard: no error seen yet, Y / Y_max would be 0 / 0
    bpr = cfg.s_min * damping;
  }
  if (bpr < 0.0f) bpr = 0.0f;
  if (bpr > 1.0f) bpr = 1.0f;
  d.ratio = bpr;
  d.k = k_for_ratio(bpr, n);
  return d;
}

}  // namespace tinyprop
