// Training on top of a bound Model: loss, sparse backward, optimizer. The trainer is the only
// place that knows the call order; policies only choose indices and kernels never know which
// policy chose.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "tinyprop/arena.h"
#include "tinyprop/counters.h"
#include "tinyprop/model.h"
#include "tinyprop/spec.h"
#include "tinyprop/status.h"
#include "tinyprop/train_config.h"

namespace tinyprop {

// What a sample should produce: a class label (softmax cross-entropy) or a target vector of
// the output size (binary cross-entropy, mean squared error; also soft labels for softmax).
struct Target {
  const float* values = nullptr;  // [output size], or null to use label
  uint32_t label = 0;

  static Target of_label(uint32_t l) { return Target{nullptr, l}; }
  static Target of_values(const float* v) { return Target{v, 0}; }
};

// Per trainable layer training state.
struct LayerTrainState {
  float* dw = nullptr;   // [n_weights] gradient accumulator (batch > 1, or a convolution)
  float* db = nullptr;   // [n_bias]
  float* m_w = nullptr;  // first moment / SGD velocity [n_weights]
  float* m_b = nullptr;
  float* v_w = nullptr;  // Adam second moment [n_weights]
  float* v_b = nullptr;
  uint8_t* touched = nullptr;  // [n_bias] rows (filters) with gradient in the current batch
                               // (batch > 1, or a convolution)
  // Dense layers: the list of the layer input's nonzero blocks that the trainer's forward pass
  // found [nonzero_block_capacity(in_size)], reused by the weight update of the same input
  // instead of scanning it again (the same decision and list, so the same bits). kept: the
  // list, count and skip are those of the current sample's forward pass.
  uint16_t* input_blocks = nullptr;
  float y_max = 0.0f;          // tinyprop: largest local error Y seen in this run; budget
                               // (output layer): the running mean of its Y
  int32_t depth = -1;          // trainable layers between this one and the output (0 = last)
  // The per-step cost model, set at bind time (docs/ALGORITHM.md, "budget" and "The per-step
  // bound"): backward MACs per selected neuron (both passes), the fixed cost of the frozen
  // layers below that pass the error through, and that plus k = 1 in every trainable layer
  // below (what must stay in the budget for them).
  uint64_t row_cost = 0;
  uint64_t fixed_below = 0;
  uint64_t reserve_below = 0;
  float budget_share = 1.0f;   // budget: this layer's fraction of what is left for it and below
  bool trainable = false;      // has params and spec.trainable
  bool input_blocks_skip = false;
  bool input_blocks_kept = false;
  uint32_t input_block_count = 0;
};

class Trainer {
 public:
  // An unbound trainer is all zero bytes (not the non-zero defaults of TrainConfig,
  // LayerTrainState and the members below, which bind() sets anyway): a static Trainer is then
  // zero-initialised into .bss, instead of a 2.1 KB image (24 layers) in .data that costs
  // flash and RAM (tests/unit/plan_test.cpp checks the bytes, tests/mcu/run-tests.sh the
  // firmware's sections). Its config() is all zeros until bind().
  constexpr Trainer() {
    config_ = blank_config();
    for (LayerTrainState& st : state_) {
      st.depth = 0;
      st.budget_share = 0.0f;
    }
    beta1_pow_ = beta2_pow_ = 0.0f;
    step_cap_ = 0;
  }

  // Bytes of model + training state for this spec and configuration, per region.
  // frozen: where the model keeps frozen layers' parameters (Model::bind_pretrained).
  static Status plan(const ModelSpec& spec, const TrainConfig& config, MemoryPlan* plan,
                     FrozenParams frozen = FrozenParams::kInArena);
  // The same, with the caller's objects as the scratch that planning lays out (instead of a
  // Model and a Trainer on the stack, about 4 KB on a Cortex-M). Both are left unbound.
  static Status plan(const ModelSpec& spec, const TrainConfig& config, MemoryPlan* plan,
                     FrozenParams frozen, Model* scratch_model, Trainer* scratch_trainer);
  // Takes the training state's memory from the arena (after model.bind on the same or another
  // arena). Validates the configuration against the model.
  Status bind(Model& model, const TrainConfig& config, Arena& arena);
  bool bound() const { return model_ != nullptr; }

  // Starts a training / fine-tuning run: clears Y_max, optimizer moments, the Adam step
  // count, pending gradients.
  void reset_run();

  // One sample: forward, loss, (maybe skip), sparse backward, and for batch size 1 the update.
  // With batch size B > 1 gradients accumulate and the optimizer steps every B samples.
  // counters may be null. Runs blind: inputs are trusted (validated at bind time).
  void train_sample(const float* x, Target target, StepCounters* counters);
  // Applies a partially filled batch (end of an epoch). No-op for batch size 1 or when empty.
  void flush(StepCounters* counters);

  // Loss of the last train_sample() (computed before any update).
  float last_loss() const { return last_loss_; }

  // Divergence guard, cheap enough for firmware (one comparison per step): kNonFinite, sticky,
  // once a step's loss was NaN or infinite (a diverged learning rate, a non-finite input, or
  // non-finite parameters from an earlier update, which show up in the next forward pass).
  // Such a step changes nothing (no update, no gradient accumulated), so the weights are those
  // of the last finite step. Poll it after train_sample(); before keeping weights (a snapshot,
  // a flash write), also scan them with Model::first_nonfinite_layer(), because a ReLU maps a
  // NaN pre-activation to 0 and can hide a damaged row from the loss. Cleared by reset_run()
  // and reset_health(); otherwise kOk.
  Status health() const { return health_; }
  void reset_health() { health_ = Status::kOk; }
  // Loss of x against target without training (runs forward).
  float loss(const float* x, Target target);

  const TrainConfig& config() const { return config_; }
  // Changing the optimizer's learning rate between steps is allowed (schedules).
  void set_learning_rate(float lr) { config_.optimizer.learning_rate = lr; }
  const LayerTrainState& state(uint32_t i) const { return state_[i]; }
  uint64_t optimizer_steps() const { return opt_step_; }

  // The most backward MACs one training step can do with this configuration (known at bind
  // time, for real-time schedules): the method's own worst case, and never more than the
  // per-step bound (SparsityConfig::max_backward_macs, the budget method's budget).
  uint64_t worst_case_backward_macs() const { return worst_case_macs_; }
  // What full backpropagation does in one step (the budget's reference).
  uint64_t full_backward_macs() const { return full_macs_; }
  // The per-step bound in force (UINT64_MAX: none).
  uint64_t step_backward_cap() const { return step_cap_; }

 private:
  friend struct CheckpointAccess;  // checkpoint.cpp: saves and restores the state below
  Status layout(const ModelSpec& spec, const TrainConfig& config, Arena& arena);
  void run_sample(const float* x, Target target, StepCounters* c);  // c already zeroed
  void backward(const float* x, StepCounters* c);
  void apply_batch(StepCounters* c);
  Status plan_step_cost(const ModelSpec& spec, const TrainConfig& config);
  uint64_t start_budget_step(const float* delta, uint32_t n, float* y_mean,
                             uint64_t remaining, bool* skip) const;

  // A TrainConfig of all-zero bytes (an unbound trainer's).
  static constexpr TrainConfig blank_config() {
    TrainConfig z;
    z.optimizer.learning_rate = z.optimizer.beta1 = z.optimizer.beta2 = 0.0f;
    z.optimizer.epsilon = 0.0f;
    SparsityConfig& sp = z.sparsity;
    sp.ratio = sp.s_min = sp.s_max = sp.zeta = sp.skip_threshold = sp.y_max_decay = 0.0f;
    sp.budget = 0.0f;
    sp.budget_split = static_cast<BudgetSplit>(0);
    sp.budget_adaptive = false;
    z.batch_size = 0;
    return z;
  }

  Model* model_ = nullptr;
  TrainConfig config_;
  LayerTrainState state_[kMaxLayers];
  float* delta_a_ = nullptr;       // [max layer size] error ping-pong buffers
  float* delta_b_ = nullptr;
  uint32_t* select_idx_ = nullptr; // [max trainable out_size] selected rows (conv: elements)
  uint32_t* channel_idx_ = nullptr;  // [max conv C_out] channel-mode selection (else null)
  float* channel_error_ = nullptr;   // [max conv C_out] channel-mode L1 errors (else null)
  uint32_t lowest_trainable_ = 0;
  uint32_t in_batch_ = 0;          // samples accumulated since the last optimizer step
  uint64_t opt_step_ = 0;          // optimizer steps taken in this run (Adam's t)
  float beta1_pow_ = 1.0f, beta2_pow_ = 1.0f;
  float last_loss_ = 0.0f;
  Status health_ = Status::kOk;
  uint64_t full_macs_ = 0;         // full backprop's backward MACs per step
  uint64_t worst_case_macs_ = 0;   // worst_case_backward_macs()
  uint64_t step_cap_ = UINT64_MAX; // per-step bound (UINT64_MAX: none)
  uint64_t budget_macs_ = 0;       // budget: b F, the mean step budget
  uint64_t minimum_macs_ = 0;      // k = 1 in every trainable layer (+ frozen pass-through)
  bool budget_dense_ = false;      // budget method whose budget covers full backprop: k = N
};

// Plans and binds in one go: model + trainer on one arena. Convenience for the common case.
Status bind_training(const ModelSpec& spec, const TrainConfig& config, void* arena,
                     size_t arena_bytes, Model* model, Trainer* trainer);

}  // namespace tinyprop
