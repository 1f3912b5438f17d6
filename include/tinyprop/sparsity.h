// Backpropagation-ratio policies. A policy looks at one layer's error for one sample and
// decides k (how many neurons to backpropagate); it never touches kernels.
#pragma once
#include <stdint.h>

#include "tinyprop/train_config.h"

namespace tinyprop {

struct RatioDecision {
  uint32_t k = 0;       // neurons to keep, in [1, n]
  float ratio = 1.0f;   // the backpropagation ratio before flooring (tinyprop's bpr)
  float relative_error = 1.0f;  // Y / Y_max after the update (1 when Y_max = 0 guards)
};

// Y = sum_i |delta_i|.
float local_error(const float* delta, uint32_t n);

// Decides k for a layer with n outputs at trainable depth d (0 = output layer).
// For tinyprop methods, updates *y_max (optionally decayed first) with Y.
RatioDecision decide_ratio(const SparsityConfig& cfg, const float* delta, uint32_t n,
                           uint32_t depth, float* y_max);

// The budget rule's k for one layer (docs/ALGORITHM.md, "budget"): the layer's share of the
// step's remaining budget, share * remaining MACs, divided by its cost per selected neuron,
// clamped to [1, n]. share is the layer's fixed fraction of what is left for it and the layers
// below it (1 for the lowest trainable layer), set at bind time.
uint32_t budget_k(float share, uint64_t remaining_macs, uint64_t row_cost, uint32_t n);

// The hard per-step bound: the largest k in [1, n] whose cost k * row_cost fits in
// `spendable` MACs (1 if not even one fits: binding guarantees that one always does).
uint32_t cap_k(uint32_t k, uint64_t spendable, uint64_t row_cost);

}  // namespace tinyprop
