#include "tinyprop/sparsity.h"

#include <math.h>

#include "core/u64_float.h"
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
    case Method::kBudget:  // the trainer sets k from the step's budget (budget_k)
      d.k = n;
      d.ratio = 1.0f;
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

// budget: k = clamp(floor(share * remaining / row_cost), 1, n), in float32 (no double on the
// device path). As in k_for_ratio, floor gets a relative nudge of 1e-6, so that a share of
// exactly a layer's full cost (a dense layer) is not rounded to one neuron less; the hard
// bound that the trainer applies next keeps the step within the budget whatever the rounding.
uint32_t budget_k(float share, uint64_t remaining_macs, uint64_t row_cost, uint32_t n) {
  if (n == 0) return 0;
  if (row_cost == 0) return n;
  const float macs = share * u64_to_float(remaining_macs);
  float kf = macs / u64_to_float(row_cost);
  kf += kf * 1e-6f;
  if (!(kf >= 1.0f)) return 1;
  if (kf >= static_cast<float>(n)) return n;
  const uint32_t k = static_cast<uint32_t>(kf);
  return k < 1 ? 1 : k;
}

uint32_t cap_k(uint32_t k, uint64_t spendable, uint64_t row_cost) {
  if (row_cost == 0) return k;
  const uint64_t fits = spendable / row_cost;
  if (fits < 1) return 1;
  return static_cast<uint64_t>(k) > fits ? static_cast<uint32_t>(fits) : k;
}

}  // namespace tinyprop
