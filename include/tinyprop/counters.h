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
  bool skipped = false;                // tinypropv2 or budget skipped the backward pass here
  // Per layer (model layer index): k selected of n neurons. n = 0 for layers without
  // parameters or frozen layers.
  uint32_t k[kMaxLayers] = {};
  uint32_t n[kMaxLayers] = {};
};

// Sums of step counters over a run or an epoch. Integers only, so that a firmware that keeps
// them links no floating-point helper (a soft-double division costs kilobytes of flash and
// hundreds of cycles on a Cortex-M0 or M33) and pooled sums do not depend on the order of
// merging. The *_ppm accessors give the ratios in parts per million, in integer arithmetic; the
// double accessors below them are for hosts (inline: only code that calls them gets double).
struct RunCounters {
  // k/n of one step in units of 2^-32 (floor(k 2^32 / n), exact to 2^-32).
  static constexpr uint32_t kRatioFractionBits = 32;

  uint64_t steps = 0;
  uint64_t skipped = 0;
  uint64_t forward_macs = 0;
  uint64_t backward_macs = 0;
  uint64_t backward_macs_full = 0;
  uint64_t forward_macs_done = 0;
  uint64_t backward_macs_done = 0;
  uint64_t selection_comparisons = 0;
  uint64_t updated_params = 0;
  // Per layer: sum over non-skipped steps of k/n, in units of 2^-32 (fits 2^32 steps).
  uint64_t ratio_sum[kMaxLayers] = {};
  uint64_t ratio_count[kMaxLayers] = {};

  void add(const StepCounters& s);
  // Adds another run's sums (e.g. several runs pooled into one figure).
  void merge(const RunCounters& other);
  void clear() { *this = RunCounters{}; }

  // Mean k/n of layer i over non-skipped steps, in parts per million, rounded to nearest
  // (0 when the layer was never sparsified).
  uint32_t mean_ratio_ppm(uint32_t layer) const;
  // backward_macs / backward_macs_full in parts per million (1,000,000 when nothing was counted).
  uint32_t backward_ratio_ppm() const;
  // (forward + backward) / (forward + backward_full) in parts per million.
  uint32_t total_ratio_ppm() const;

  // The same as doubles, for host programs.
  double mean_ratio(uint32_t layer) const {
    if (layer >= kMaxLayers || ratio_count[layer] == 0) return 0.0;
    return static_cast<double>(ratio_sum[layer]) / 4294967296.0 /
           static_cast<double>(ratio_count[layer]);
  }
  // backward_macs / backward_macs_full (1 when nothing was counted).
  double backward_ratio() const {
    if (backward_macs_full == 0) return 1.0;
    return static_cast<double>(backward_macs) / static_cast<double>(backward_macs_full);
  }
  // (forward + backward) / (forward + backward_full): training compute relative to full.
  double total_ratio() const {
    const double full = static_cast<double>(forward_macs + backward_macs_full);
    if (full == 0.0) return 1.0;
    return static_cast<double>(forward_macs + backward_macs) / full;
  }
};

}  // namespace tinyprop
