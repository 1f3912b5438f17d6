// Host-side training loops around the core: a model + trainer bound on an owned arena, epochs
// over an in-memory dataset with work counters, a downsampled trace of the per-layer
// backpropagation ratio, and evaluations during training.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <functional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "tinyprop/tinyprop.h"

namespace tinyprop::host {

// Arena memory owned by the host: kArenaAlignment-aligned blocks, at least `bytes` of them.
class OwnedArena {
 public:
  void reserve_bytes(size_t bytes);
  void* data() { return blocks_.data(); }
  size_t bytes() const { return blocks_.size() * sizeof(Block); }

 private:
  struct alignas(kArenaAlignment) Block {
    unsigned char bytes[kArenaAlignment];
  };
  std::vector<Block> blocks_;
};

// A model alone (parameters and forward activations) on an arena sized by Model::plan: all that
// inspection and inference need, for any valid spec (all-frozen ones too). Not movable.
class InferenceModel {
 public:
  // Throws host::Error naming the problem when the spec is invalid.
  explicit InferenceModel(const ModelSpec& spec);
  InferenceModel(const InferenceModel&) = delete;
  InferenceModel& operator=(const InferenceModel&) = delete;
  Model& model() { return model_; }
  const MemoryPlan& plan() const { return plan_; }

 private:
  OwnedArena arena_;
  MemoryPlan plan_;
  Model model_;
};

// A model and its trainer on one arena this object owns (aligned to kArenaAlignment, sized by
// Trainer::plan). Neither copyable nor movable: the core keeps pointers into the arena.
class Session {
 public:
  // Throws host::Error naming the problem when the spec or configuration is invalid.
  Session(const ModelSpec& spec, const TrainConfig& config);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Model& model() { return model_; }
  Trainer& trainer() { return trainer_; }
  const MemoryPlan& plan() const { return plan_; }

 private:
  OwnedArena arena_;
  MemoryPlan plan_;
  Model model_;
  Trainer trainer_;
};

// Throws host::Error with `what` in the message if the model cannot take this dataset
// (input size differs from the features per sample, or more classes than outputs).
void check_fits(const ModelSpec& spec, const Dataset& data, const std::string& what);

// Indices of the layers that own parameters (dense layers), in model order.
std::vector<uint32_t> param_layers(const ModelSpec& spec);
// A parameter layer's short name: dense "784x128" (in x out), conv2d "conv3x3 1>8" (kernel,
// input > output channels), depthwise "dw3x3 16".
std::string layer_label(const Model& model, uint32_t layer);

struct EvalResult {
  double accuracy = 0.0;  // fraction in [0, 1]
  double loss = 0.0;      // mean loss
  size_t samples = 0;
  std::vector<size_t> class_samples;  // [outputs] samples per true class
  std::vector<size_t> class_hits;     // [outputs] correctly classified samples per true class
};

// Accuracy and mean loss of the model on the dataset (forward passes only).
EvalResult evaluate(Model& model, const Dataset& data);

// Mean backpropagation ratio k/N per parameter layer over a window of training steps.
struct TracePoint {
  uint64_t step = 0;              // samples trained when the window ended
  std::vector<double> ratio;      // [param layers] mean k/N over non-skipped steps of the window
  double skip_rate = 0.0;         // skipped steps / steps in the window
};

struct CurvePoint {
  uint64_t step = 0;  // samples trained before this evaluation
  double accuracy = 0.0;
  double loss = 0.0;  // mean test loss
};

struct FitOptions {
  uint32_t epochs = 1;
  uint64_t order_seed = 1;            // sample order: epoch e visits shuffled_indices(n, seed + e)
  bool shuffle = true;                // false: file order every epoch
  // Learning-rate schedule: linear decay from the configured rate lr0 to lr0 * lr_end_factor
  // over the whole run, lr(t) = lr0 * (1 - (1 - lr_end_factor) * t / total). 1 = constant.
  float lr_end_factor = 1.0f;
  uint32_t trace_windows = 0;         // > 0: record this many evenly spaced trace windows
  const Dataset* eval_set = nullptr;  // evaluated at eval_points evenly spaced steps (not timed)
  uint32_t eval_points = 0;           // includes the end of training (not the start)
  // Called with (samples done, samples total) about every 256 samples and at the end.
  std::function<void(uint64_t, uint64_t)> progress;
  // Called after each evaluation during training with the number of samples evaluated.
  std::function<void(size_t)> evaluated;
  // Resuming from a checkpoint: the run starts at sample start_position of the
  // epochs * train.size() samples (epoch start_position / n, that many samples into its order),
  // keeps the trainer's restored state (no reset_run), and the schedule runs from lr_base
  // (0: the trainer's learning rate at the start).
  uint64_t start_position = 0;
  bool keep_state = false;
  float lr_base = 0.0f;
  // Called with the samples done every checkpoint_every samples (after the end-of-epoch flush
  // when one falls on an epoch's end, so that a pending batch is never split from its flush).
  uint64_t checkpoint_every = 0;
  std::function<void(uint64_t)> checkpoint;
  // Stops the run once this many of its samples are done (a run spread over sessions: resume
  // from a checkpoint written there). Default: never.
  uint64_t stop_at = UINT64_MAX;
};

struct FitResult {
  RunCounters counters;
  double train_seconds = 0.0;  // wall time of the training steps only (evaluations excluded)
  // CPU time of the calling thread over the same steps: unlike wall time it does not grow when
  // other processes compete for the cores, so it makes the fairer speed ratio on a shared host.
  double train_cpu_seconds = 0.0;
  // CPU time and sample count of the evaluations during training (forward passes only): the
  // measured cost of the forward pass, which no backpropagation method can avoid.
  double eval_cpu_seconds = 0.0;
  uint64_t eval_samples = 0;
  double mean_loss = 0.0;      // mean training loss over all steps
  uint64_t position = 0;       // samples of the run done at the end (< total after stop_at)
  std::vector<TracePoint> trace;
  std::vector<CurvePoint> curve;
};

// Trains the session's model on `train` (a fresh run: Trainer::reset_run first, unless
// options.keep_state).
// Divergence: the trainer's health() is polled after every step and the parameters are scanned
// at the end of every epoch; a non-finite loss or parameter throws host::Error naming the step
// (or epoch) and the first layer with non-finite parameters, after restoring the weights of the
// last good check (the start, or the end of the last clean epoch) into the model.
FitResult fit(Session& session, const Dataset& train, const FitOptions& options);

}  // namespace tinyprop::host
