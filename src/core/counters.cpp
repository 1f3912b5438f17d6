#include "tinyprop/counters.h"

namespace tinyprop {

void RunCounters::add(const StepCounters& s) {
  ++steps;
  if (s.skipped) ++skipped;
  forward_macs += s.forward_macs;
  backward_macs += s.backward_macs;
  backward_macs_full += s.backward_macs_full;
  forward_macs_done += s.forward_macs_done;
  backward_macs_done += s.backward_macs_done;
  selection_comparisons += s.selection_comparisons;
  updated_params += s.updated_params;
  if (s.skipped) return;
  for (uint32_t i = 0; i < kMaxLayers; ++i) {
    if (s.n[i] == 0) continue;
    ratio_sum[i] += static_cast<double>(s.k[i]) / static_cast<double>(s.n[i]);
    ++ratio_count[i];
  }
}

void RunCounters::merge(const RunCounters& o) {
  steps += o.steps;
  skipped += o.skipped;
  forward_macs += o.forward_macs;
  backward_macs += o.backward_macs;
  backward_macs_full += o.backward_macs_full;
  forward_macs_done += o.forward_macs_done;
  backward_macs_done += o.backward_macs_done;
  selection_comparisons += o.selection_comparisons;
  updated_params += o.updated_params;
  for (uint32_t i = 0; i < kMaxLayers; ++i) {
    ratio_sum[i] += o.ratio_sum[i];
    ratio_count[i] += o.ratio_count[i];
  }
}

double RunCounters::mean_ratio(uint32_t layer) const {
  if (layer >= kMaxLayers || ratio_count[layer] == 0) return 0.0;
  return ratio_sum[layer] / static_cast<double>(ratio_count[layer]);
}

double RunCounters::backward_ratio() const {
  if (backward_macs_full == 0) return 1.0;
  return static_cast<double>(backward_macs) / static_cast<double>(backward_macs_full);
}

double RunCounters::total_ratio() const {
  const double full = static_cast<double>(forward_macs + backward_macs_full);
  if (full == 0.0) return 1.0;
  return static_cast<double>(forward_macs + backward_macs) / full;
}

}  // namespace tinyprop
