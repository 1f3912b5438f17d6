// Scenario "dcase-ae": on-device fine-tuning of the DCASE2020 Task 2 baseline autoencoder.
//
// Protocol, per seed and machine type:
//   1. Split every machine's (type/id) normal training clips with the seed: pretrain_fraction
//      of them for pretraining, the rest for fine-tuning.
//   2. "On the host": fit the feature standardisation on the pretraining clips of all IDs of
//      the type, and pretrain one autoencoder for the type on them (full backprop, Adam,
//      mini-batches) - as the DCASE baseline trains one model per machine type.
//   3. "On the device", per machine ID: start from the type's pretrained model and fine-tune on
//      that ID's own remaining normal clips with every method (full, static sweep, tinyprop,
//      tinypropv2), batch size 1 as on a microcontroller, same sample order for all methods.
//   4. Score every test clip of the ID (mean reconstruction error over its vectors) and report
//      AUC and pAUC (p = max_fpr) per ID, plus the work counters of the fine-tuning run.
// The pretrained model's own AUC per ID is reported too ("pretrained"): it shows what
// fine-tuning adds.
//
// Variant pretrain_pool = kOtherIds ("held-out machine"): the model that machine X fine-tunes
// was pretrained on the pretraining clips of the OTHER IDs of its type only (X's own pretraining
// clips go unused), as when a device is installed on a machine the factory never recorded. The
// device standardises the features with statistics of its own fine-tuning clips (the factory's
// describe other machines) and must then learn its machine's normal; on the synthetic data this is where fine-tuning
// changes AUC, and so where the methods can differ.
#pragma once
#include <stdint.h>

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/logmel.h"
#include "tinyprop/counters.h"
#include "tinyprop/train_config.h"

namespace tinyprop::host::audio {

struct DcaseMethod {
  std::string label;        // "full", "static r=0.1", "tinyprop", ...
  SparsityConfig sparsity;  // method and its parameters
};

// full; static r = 0.05, 0.1, 0.2, 0.3, 0.5; tinyprop and tinypropv2 with the authors' C
// defaults (S_min 0.1, S_max 0.9, zeta 0.5; skip threshold 0.1 for v2), and next to them the
// tuned variant dcase_tuned_tinyprop().
std::vector<DcaseMethod> dcase_default_methods();

// A TinyProp variant with other parameters, labelled "tinyprop S_MIN/S_MAX/ZETA" (tinypropv2:
// "tinypropv2 S_MIN/S_MAX/ZETA skip SKIP").
DcaseMethod dcase_tinyprop_variant(Method method, float s_min, float s_max, float zeta,
                                   float skip_threshold = 0.1f);

// TinyProp tuned for this scenario's compute target: S_min 0.1, S_max 0.5, zeta 0.5, labelled
// "tinyprop 0.1/0.5/0.5".
DcaseMethod dcase_tuned_tinyprop();
// The budget rule at a budget (backward MACs per step / full's), labelled "budget B".
DcaseMethod dcase_budget_variant(float budget);

// A method from its text: a label of dcase_default_methods ("full", "static r=0.1",
// "tinyprop", ...), "static:R", "tinyprop:S_MIN:S_MAX:ZETA" or
// "tinypropv2:S_MIN:S_MAX:ZETA:SKIP". Throws host::Error naming the text.
DcaseMethod parse_dcase_method(const std::string& text);

enum class DcasePretrainPool : uint8_t {
  kAllIds = 0,  // every ID's pretraining clips (one model per machine type)
  kOtherIds,    // all IDs but the one being fine-tuned (one model per machine)
};

struct DcaseScenarioConfig {
  std::string data_root;                   // DCASE2020 Task 2 dev layout (or the synthetic one)
  std::vector<std::string> machine_types;  // empty = every type folder under data_root
  uint32_t max_types = 0;                  // 0 = all (else the first ones by name)
  uint32_t max_ids_per_type = 0;           // 0 = all machine IDs of a type
  LogMelConfig features;                   // DCASE2020 baseline defaults

  std::vector<uint32_t> hidden = {128, 128, 128, 8, 128, 128, 128};  // autoencoder
  double pretrain_fraction = 0.5;          // of each ID's normal training clips
  DcasePretrainPool pretrain_pool = DcasePretrainPool::kAllIds;
  uint32_t pretrain_epochs = 15;
  uint32_t pretrain_batch = 32;
  // 3e-4: at 1e-3 the 8-unit ReLU bottleneck often died during pretraining (loss stuck at the
  // inputs' variance) on the synthetic set; see docs/AUDIO.md.
  OptimizerConfig pretrain_optimizer{OptimizerKind::kAdam, 3e-4f};

  uint32_t finetune_epochs = 2;            // passes over the ID's fine-tuning vectors, batch 1
  // Adam (the authors' C examples use Adam 1e-3); 3e-4 gave full fine-tuning the best AUC of
  // {1e-3, 3e-4} on the synthetic set (docs/AUDIO.md).
  OptimizerConfig finetune_optimizer{OptimizerKind::kAdam, 3e-4f};
  std::vector<DcaseMethod> methods = dcase_default_methods();
  std::vector<uint64_t> seeds = {1, 2, 3};
  double max_fpr = 0.1;                    // pAUC range [0, max_fpr]
  uint32_t threads = 1;                    // fine-tuning runs (methods) at once; results do
                                           // not depend on it

  // Throws host::Error naming the first bad field.
  void validate() const;
};

// A small configuration for smoke tests and CI: the first machine type, 2 IDs, few epochs,
// methods full / static r=0.1 / tinyprop / tinyprop 0.1/0.5/0.5 / tinypropv2, seeds 1, 2, 3.
DcaseScenarioConfig dcase_quick_config(const std::string& data_root);

// One fine-tuning run (or the pretrained model, method "pretrained", with empty counters).
struct DcaseRun {
  std::string machine_type, machine_id, method;
  uint64_t seed = 0;
  double auc = 0.0, pauc = 0.0;
  RunCounters counters;        // fine-tuning work (all epochs)
  double final_loss = 0.0;     // mean training loss over the last epoch
  double seconds = 0.0;        // wall time of the fine-tuning (noisy; for orientation only)
  size_t arena_bytes = 0;      // model + training state, batch 1
};

// Per method, over all (machine, seed) pairs.
struct DcaseMethodSummary {
  std::string method;
  size_t runs = 0;
  double auc_mean = 0.0, auc_min = 0.0, auc_max = 0.0;
  double pauc_mean = 0.0;
  double auc_delta_vs_full = 0.0;   // mean over pairs of (AUC - AUC of full), same machine+seed
  double auc_delta_sd = 0.0;        // sample standard deviation of those paired differences
  // Per seed (config.seeds order): mean over the machines of AUC, and of AUC - AUC of full.
  // Their spread is the seed-to-seed noise of the whole protocol (split, init, order).
  std::vector<double> auc_by_seed, auc_delta_by_seed;
  double auc_seed_sd = 0.0;         // sample sd of auc_by_seed (0 with one seed)
  double pauc_delta_vs_full = 0.0;
  double backward_ratio = 1.0;      // sum backward MACs / sum backward MACs of full backprop
  double total_ratio = 1.0;         // (forward + backward) / (forward + full backward)
  double skip_rate = 0.0;           // tinypropv2: skipped samples / samples
  double layer_ratio[kMaxLayers] = {};  // mean k/n per model layer
  size_t arena_bytes = 0;
  double seconds = 0.0;             // total fine-tuning wall time
};

struct DcaseScenarioResult {
  DcaseScenarioConfig config;
  std::vector<std::string> warnings;        // ignored files (layout scan), collapsed pretraining
  std::vector<std::string> machines;        // "type/id" evaluated
  size_t train_clips = 0, test_clips = 0, vectors = 0;
  double feature_seconds = 0.0, pretrain_seconds = 0.0;
  std::vector<DcaseRun> runs;               // including the "pretrained" rows
  std::vector<DcaseMethodSummary> summary;  // "pretrained" first, then config.methods order
};

// Progress of a phase: "features" counts clips read; "training" counts vectors through the
// network: a training sample 3 units (forward + backward), a scored vector 1. total is fixed
// within a phase. Called from the fine-tuning threads too: the callee must be thread-safe.
using DcaseWorkFn = std::function<void(const char* phase, uint64_t done, uint64_t total)>;

// Runs the whole protocol. log (may be null) receives one line per step; work (may be empty)
// is called as work progresses (for a progress bar). Throws host::Error with a one-line message
// (missing data, unreadable clip, bad configuration).
DcaseScenarioResult run_dcase_scenario(const DcaseScenarioConfig& config, std::ostream* log,
                                       const DcaseWorkFn& work = {});

// Report helpers: a markdown section (tables per method and per machine type, configuration,
// and the statement that synthetic data is synthetic when the layout has SYNTHETIC.txt), a JSON
// document with every run (for plots), and one CSV line per run. The markdown section starts
// with a level-2 heading; `images` (may be empty) are appended as ![caption](path) links, and a
// non-empty `command` is shown as the command that reproduces the run.
struct DcaseReportImage {
  std::string caption, path;
};
std::string dcase_report_markdown(const DcaseScenarioResult& result,
                                  const std::vector<DcaseReportImage>& images = {},
                                  const std::string& command = "");
nlohmann::json dcase_report_json(const DcaseScenarioResult& result);
std::string dcase_runs_csv(const DcaseScenarioResult& result);

}  // namespace tinyprop::host::audio
