// Work counters: the product's claim is a compute ratio, so every training step reports the
// work it did and the work full backpropagation would have done.
#pragma once
#include <stdint.h>

#include "tinyprop/limits.h"

namespace tinyprop {

struct StepCounters {
  uint64_t forward_macs = 0;           // multiply-accumulates of the forward pass
  uint64_t backward_macs = 0;          // MACs of weight gradients and propagated errors, done
  uint64_t backward_macs_full = 0;     // the same, had every neuron been selected
  // The MACs actually executed: forward_macs and backward_macs count every input (the work
  // every ratio is defined on); zero-skipping leaves out exact-zero inputs of dense layers,
  // so these are <= forward_macs and backward_macs.
  uint64_t forward_macs_done = 0;
  uint64_t backward_macs_done = 0;
  uint64_t selection_comparisons = 0;  // comparisons spent choosing top-k
  uint64_t updated_params = 0;         // parameters the optimizer changed in this call
  bool skipped = false;                // tinypropv2 skipped the backward pass for this sample
  // Per layer (model layer index): k selected of n neurons. n = 0 for layers without
  // parameters or frozen layers.
  uint32_t k[kMaxLayers] = {};
  uint32_t n[kMaxLayers] = {};
};

// Sums of step counters over a run or an epoch.
struct RunCounters {
  uint64_t steps = 0;
  uint64_t skipped = 0;
  uint64_t forward_macs = 0;
  uint64_t backward_macs = 0;
  uint64_t backward_macs_full = 0;
  uint64_t forward_macs_done = 0;
  uint64_t backward_macs_done = 0;
  uint64_t selection_comparisons = 0;
  uint64_t updated_params = 0;
  double ratio_sum[kMaxLayers] = {};   // sum over non-skipped steps of k/n per layer
  uint64_t ratio_count[kMaxLayers] = {};

  void add(const StepCounters& s);
  // Adds another run's sums (e.g. several runs pooled into one figure).
  void merge(const RunCounters& other);
  void clear() { *this = RunCounters{}; }
  // Mean k/n of layer i over non-skipped steps (0 when the layer was never sparsified).
  double mean_ratio(uint32_t layer) const;
  // backward_macs / backward_macs_full (1 when nothing was counted).
  double backward_ratio() const;
  // (forward + backward) / (forward + backward_full): training compute relative to full.
  double total_ratio() const;
};

}  // namespace tinyprop
