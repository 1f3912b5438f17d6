// The `compare` scenarios: pretrain on the host, fine-tune "on the device" (batch size 1) with
// every backpropagation method over several seeds, and summarise accuracy, work and time.
// docs/SCENARIOS.md documents each protocol; make_protocol() is the single source of its values.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "experiments/shift.h"
#include "experiments/train_loop.h"
#include "tinyprop/tinyprop.h"

namespace tinyprop::host {

// One fine-tuning method of a comparison.
struct MethodVariant {
  std::string label;        // unique, e.g. "static r=0.05", "tinyprop 0.1/0.9/0.5"
  std::string group;        // "full" | "static" | "static-matched" | "tinyprop" | "tinypropv2" | "budget"
  SparsityConfig sparsity;
  bool is_default = false;  // tinyprop at the paper's defaults (S_min 0.1, S_max 0.9, zeta 0.5)
  bool is_budget_default = false;  // the budget rule at its default budget
  // static-matched: the ratio is the MAC-weighted backward ratio that this variant (a label)
  // measured with the same seed.
  std::string matched_to;
};

struct Protocol {
  std::string scenario;      // one of scenario_names()
  bool quick = false;
  std::string model;         // model spec text
  std::string dataset = "mnist";  // "mnist" | "fashion-mnist" | "cifar10"
  // What the top-k of a convolution chooses from, for every method of the run (dense layers
  // ignore it): output elements, or whole output channels by the L1 norm of their error.
  ConvSelection conv_selection = ConvSelection::kElement;
  uint64_t split_seed = 0;   // the pretrain / fine-tune split of the training set
  size_t pretrain_count = 0; // first samples of the split shuffle
  size_t finetune_count = 0; // the next samples (0: all the rest)
  size_t test_count = 0;     // first samples of the test set (0: all)
  TrainConfig pretrain;      // host: full backprop
  uint32_t pretrain_epochs = 1;
  TrainConfig finetune;      // device: batch size 1; its sparsity is replaced per method
  uint32_t finetune_epochs = 1;
  float finetune_lr_end_factor = 1.0f;  // linear decay of the learning rate over fine-tuning
  bool shifted = false;      // mnist-shift: fine-tune and test data are shifted
  ShiftParams shift;         // noise seed of the fine-tune data; the test data uses seed + 1e6
  bool drifted = false;      // mnist-drift: fine-tune and test data come through a drifted sensor
  DriftParams drift;         // the same sensor pattern for both; the test data's noise seed + 1e6
  // fmnist-newclass: pretraining keeps only the samples of classes [0, pretrain_classes) of its
  // split (0: every class); fine-tuning and test data keep every class.
  uint32_t pretrain_classes = 0;
  uint32_t eval_points = 0;  // test evaluations during fine-tuning (evenly spaced, incl. end)
  uint32_t trace_windows = 0;
  std::vector<uint64_t> seeds;
  std::vector<MethodVariant> methods;
  // The project's targets for this scenario, checked on tinyprop at its defaults:
  // backward MACs relative to full at most target_backward_rel, accuracy loss at most
  // target_loss_pp percentage points, and more accurate than static at the same mean ratio.
  double target_backward_rel = 0.20;
  double target_loss_pp = 1.0;
  std::string target_source = "set for mnist-mlp";  // where the targets were set
  // The budget rule's targets, checked on its default: backward MACs at most this fraction of
  // full's and accuracy within this many points of full (from scratch: 20 % and 2 pp).
  double budget_target_backward_rel = 0.12;
  double budget_target_loss_pp = 1.0;
  // From scratch (mnist-scratch*): no pretraining; the "pretrained" model is the Glorot-uniform
  // initialisation (zero biases); the first finetune_count training and test_count test
  // samples in file order, visited in file order every epoch.
  bool from_scratch = false;
};

// Throws host::Error for an unknown scenario or seeds == 0.
Protocol make_protocol(const std::string& scenario, bool quick, uint32_t seeds,
                       ConvSelection conv_selection = ConvSelection::kElement);
// Keeps only the methods with these labels (and full, and the runs a kept static-matched run is
// matched to); throws host::Error naming an unknown label.
void keep_methods(Protocol* p, const std::vector<std::string>& labels);
// The scenario names make_protocol knows.
std::vector<std::string> scenario_names();

// One fine-tuning run (one method, one seed).
struct RunResult {
  std::string label;
  uint64_t seed = 0;
  SparsityConfig sparsity;        // as run (static-matched: the ratio it used)
  double accuracy_before = 0.0;   // pretrained model on the test data
  double accuracy_after = 0.0;
  double test_loss_after = 0.0;
  double train_loss = 0.0;        // mean fine-tuning loss
  RunCounters counters;
  double seconds = 0.0;           // fine-tuning wall time (evaluations excluded)
  double cpu_seconds = 0.0;       // fine-tuning CPU time of the thread (evaluations excluded)
  double forward_us = 0.0;        // CPU microseconds per test-set forward pass (evaluations)
  std::vector<double> layer_ratio;  // [param layers] mean k/N
  std::vector<TracePoint> trace;
  std::vector<CurvePoint> curve;
};

// Mean, sample standard deviation (n - 1; 0 for one value), min and max over seeds.
struct Stat {
  double mean = 0.0, sd = 0.0, min = 0.0, max = 0.0;
  static Stat of(const std::vector<double>& v);
};

struct MethodSummary {
  size_t method = 0;         // index into protocol.methods
  Stat accuracy_before, accuracy_after;
  Stat accuracy_loss_pp;     // (full - method) accuracy in percentage points, paired by seed
  Stat backward_rel;         // backward MACs / full's backward MACs (same seed)
  Stat total_rel;            // (forward + backward) MACs / full's
  Stat seconds;              // wall time
  Stat cpu_seconds;          // thread CPU time
  Stat speedup;              // full's CPU seconds / this method's CPU seconds, paired by seed
  Stat wall_speedup;         // the same with wall time (noisier on a shared machine)
  Stat step_us;              // CPU microseconds per fine-tuning sample
  Stat forward_us;           // CPU microseconds per forward pass (from the evaluations)
  Stat ratio_used;           // static: the ratio (varies per seed for static-matched)
  std::vector<double> layer_ratio;  // [param layers] mean k/N, averaged over seeds
  Stat skip_rate;
};

struct CompareResult {
  Protocol protocol;
  std::vector<std::string> layer_names;  // "784x128", "conv3x3 1>8", ... (parameter layers)
  std::vector<double> pretrain_accuracy; // [seeds] on the (clean) test data
  std::vector<double> pretrain_seconds;  // [seeds]
  // [classes] samples per label of the pretraining, fine-tuning and test data.
  std::vector<size_t> pretrain_class_counts, finetune_class_counts, test_class_counts;
  SensorDefects drift_defects;           // mnist-drift: the sensor's dead and stuck pixels
  std::vector<RunResult> runs;           // seed-major, then protocol.methods order
  std::vector<MethodSummary> summary;    // protocol.methods order
  size_t pretrain_samples = 0, finetune_samples = 0, test_samples = 0;
  double wall_seconds = 0.0;
  unsigned threads = 1;

  const MethodSummary* find(const std::string& label) const;
  const MethodSummary* default_tinyprop() const;
  const MethodSummary* default_budget() const;
};

struct CompareOptions {
  std::string data_dir;
  unsigned threads = 2;
  bool progress = false;  // progress bar on stderr
};

// Loads the data, pretrains one model per seed, fine-tunes with every method, summarises.
CompareResult run_compare(const Protocol& protocol, const CompareOptions& options);

}  // namespace tinyprop::host
