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
    // k <= n < 2^31, so k 2^32 fits 64 bits.
    ratio_sum[i] += (static_cast<uint64_t>(s.k[i]) << kRatioFractionBits) / s.n[i];
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

namespace {

constexpr uint64_t kPpm = 1000000;

// num / den in parts per million, rounded to nearest, for num <= den (or den = 0: 10^6). Both
// are first halved until num < 2^43, so that num * 10^6 fits 64 bits; that keeps 43 bits of
// the ratio, far more than the 20 bits a ppm figure shows.
uint32_t ppm_of(uint64_t num, uint64_t den) {
  if (den == 0) return static_cast<uint32_t>(kPpm);
  while (num >= (1ull << 43) || den >= (1ull << 63)) {
    num >>= 1;
    den >>= 1;
  }
  if (den == 0) return static_cast<uint32_t>(kPpm);
  return static_cast<uint32_t>((num * kPpm + den / 2) / den);
}

}  // namespace

uint32_t RunCounters::mean_ratio_ppm(uint32_t layer) const {
  if (layer >= kMaxLayers || ratio_count[layer] == 0) return 0;
  // The mean in units of 2^-32 is at most 2^32, so mean * 10^6 < 2^52.
  const uint64_t mean = ratio_sum[layer] / ratio_count[layer];
  return static_cast<uint32_t>((mean * kPpm + (1ull << (kRatioFractionBits - 1))) >>
                               kRatioFractionBits);
}

uint32_t RunCounters::backward_ratio_ppm() const { return ppm_of(backward_macs, backward_macs_full); }

uint32_t RunCounters::total_ratio_ppm() const {
  return ppm_of(forward_macs + backward_macs, forward_macs + backward_macs_full);
}

}  // namespace tinyprop
