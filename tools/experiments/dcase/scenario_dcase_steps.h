// The steps of the DCASE scenario (run_dcase_scenario in scenario_dcase.cpp): pretraining on the
// host and fine-tuning with every method on one machine (scenario_dcase_steps.cpp), and what they
// share. Internal to tools/experiments/dcase.
#pragma once

#include <stdint.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "data/dcase_layout.h"
#include "experiments/dcase/models.h"
#include "experiments/dcase/scenario_dcase.h"

namespace tinyprop::host::audio {

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Features of one clip: [n, dim] raw log-mel vectors.
struct ClipFeatures {
  std::vector<float> x;
  size_t n = 0;
};

// A stable 64-bit mix of a string (FNV-1a), to derive per-machine seeds.
inline uint64_t hash_text(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// Vectors in the clips (features: by clip path); test_vectors: in a machine's test clips.
size_t vectors_of(const std::vector<DcaseClip>& clips, const std::map<std::string, ClipFeatures>& features);
size_t test_vectors(const DcaseMachine& m, const std::map<std::string, ClipFeatures>& features);

// Counts work units for the progress callback; reports about every 256 units (fine-tuning
// threads share it).
class WorkMeter {
 public:
  WorkMeter(const DcaseWorkFn& fn, const char* phase, uint64_t total)
      : fn_(fn), phase_(phase), total_(total) {
    if (fn_) fn_(phase_, 0, total_);
  }
  void add(uint64_t units) {
    if (!fn_) return;
    const uint64_t before = done_.fetch_add(units);
    if ((before >> 8) != ((before + units) >> 8)) fn_(phase_, before + units, total_);
  }
  // Reports the units actually counted: equal to total when the estimate was exact (tested).
  void finish() {
    if (fn_) fn_(phase_, done_.load(), total_);
  }

 private:
  const DcaseWorkFn& fn_;
  const char* phase_;
  uint64_t total_;
  std::atomic<uint64_t> done_{0};
};

inline void log_line(std::ostream* out, const std::string& line) {
  if (out != nullptr) *out << line << std::endl;
}

// The host side: fits the standardisation on the pooled pretraining clips of machines
// `pool_ids` and pretrains an autoencoder on them (full backprop, mini-batches).
struct Pretrained {
  FeatureNorm norm;
  std::vector<float> params;
  std::unique_ptr<BoundNetwork> net;  // holds params; used to score the pretrained model
  double seconds = 0.0;
  std::string warning;                // non-empty when the pretraining collapsed
};

Pretrained pretrain(const DcaseScenarioConfig& config, const ModelSpec& spec, uint64_t seed,
                    const std::string& name, const std::vector<size_t>& pool_ids,
                    const std::vector<std::vector<DcaseClip>>& pre,
                    const std::map<std::string, ClipFeatures>& features, std::ostream* progress,
                    WorkMeter& meter);

// The device side for one machine: scores the pretrained model, then fine-tunes a copy with
// every method (batch 1, one shared sample order) and scores it.
void fine_tune_all(const DcaseScenarioConfig& config, const ModelSpec& spec, uint64_t seed,
                   const DcaseMachine& m, const std::vector<DcaseClip>& tune_clips,
                   Pretrained& host, const std::map<std::string, ClipFeatures>& features,
                   std::ostream* progress, WorkMeter& meter, DcaseScenarioResult* result);

}  // namespace tinyprop::host::audio
