// Optimizer row updates. Every update reads its gradient as g[i] = scale * src[i]: for batch
// size 1 src is the layer input x and scale the neuron's delta (the gradient row is never
// stored); for larger batches src is the accumulated gradient row and scale = 1 / B.
#pragma once
#include <stdint.h>

#include "tinyprop/train_config.h"

namespace tinyprop {

// Per-step constants, computed once per optimizer step.
struct OptimizerStep {
  float lr = 0.0f;
  float bias_correction1 = 1.0f;  // 1 - beta1^t (Adam)
  float bias_correction2 = 1.0f;  // 1 - beta2^t (Adam)
};

// w: parameters, m: SGD velocity or Adam first moment (may be null for plain SGD),
// v: Adam second moment. n elements.
void optimizer_update(const OptimizerConfig& cfg, const OptimizerStep& step, float* w, float* m,
                      float* v, const float* src, float scale, uint32_t n);

// True when a zero src element leaves its parameter unchanged: plain SGD (m null). Momentum and
// Adam decay their state every step, so their zero-gradient elements still change.
inline bool optimizer_skips_zero_grads(const OptimizerConfig& cfg, const float* m) {
  return cfg.kind == OptimizerKind::kSgd && m == nullptr;
}

// Buffers per parameter the optimizer keeps (0 plain SGD, 1 momentum, 2 Adam).
uint32_t optimizer_state_per_param(const OptimizerConfig& cfg);

}  // namespace tinyprop
