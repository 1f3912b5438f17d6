#include "tinyprop/trainer.h"

#include <math.h>

#include "core/u64_float.h"
#include "layers/conv_layer.h"
#include "layers/layer.h"
#include "layers/pool_layer.h"
#include "tinyprop/kernels/activation.h"
#include "tinyprop/kernels/dense.h"
#include "tinyprop/loss.h"
#include "tinyprop/optimizer.h"
#include "tinyprop/select.h"
#include "tinyprop/sparsity.h"

namespace tinyprop {
namespace {

void zero(float* p, uint32_t n) {
  if (p == nullptr) return;
  for (uint32_t i = 0; i < n; ++i) p[i] = 0.0f;
}

}  // namespace

Status Trainer::plan(const ModelSpec& spec, const TrainConfig& config, MemoryPlan* plan,
                     FrozenParams frozen, Model* scratch_model, Trainer* scratch_trainer) {
  if (plan == nullptr || scratch_model == nullptr || scratch_trainer == nullptr) {
    return Status::kInvalidArgument;
  }
  Arena planning;
  Model& model = *scratch_model;
  Status s = model.bind_pretrained(spec, planning, nullptr, frozen);  // lays out, binds nothing
  if (!ok(s)) return s;
  Trainer& trainer = *scratch_trainer;
  trainer.model_ = &model;
  s = trainer.layout(spec, config, planning);
  trainer.model_ = nullptr;
  if (!ok(s)) return s;
  if (planning.too_large()) return Status::kTooLarge;
  *plan = planning.plan();
  return Status::kOk;
}

Status Trainer::bind(Model& model, const TrainConfig& config, Arena& arena) {
  model_ = nullptr;
  if (!model.bound()) return Status::kNotBound;
  model_ = &model;
  Status s = layout(model.spec(), config, arena);
  if (ok(s) && arena.too_large()) s = Status::kTooLarge;
  if (ok(s) && arena.misaligned()) s = Status::kArenaMisaligned;
  if (ok(s) && (!arena.ok() || arena.planning())) s = Status::kArenaTooSmall;
  if (!ok(s)) {
    model_ = nullptr;
    return s;
  }
  reset_run();
  return Status::kOk;
}

// Layout order: gradients, optimizer state, error buffers, selection indices. With batch size 1
// there are no gradient buffers at all: rows are updated as they are computed.
Status Trainer::layout(const ModelSpec& spec, const TrainConfig& config, Arena& arena) {
  Status s = config.validate();
  if (!ok(s)) return s;
  config_ = config;
  const Model& m = *model_;
  const uint32_t n = spec.n_layers;

  bool any = false;
  for (uint32_t i = 0; i < n; ++i) {
    state_[i] = LayerTrainState{};
    state_[i].trainable = layer_has_params(spec.layers[i].kind) && spec.layers[i].trainable;
    if (state_[i].trainable && !any) {
      lowest_trainable_ = i;
      any = true;
    }
  }
  if (!any) return Status::kNothingToTrain;
  int32_t depth = 0;
  for (uint32_t i = n; i-- > 0;) {
    if (state_[i].trainable) state_[i].depth = depth++;
  }

  // Convolutions keep their filter gradients even at batch size 1: many output elements add
  // into the same filter, so the fused one-row-per-neuron update of dense layers does not apply.
  const bool accumulate = config.batch_size > 1;
  for (uint32_t i = 0; i < n; ++i) {
    if (!state_[i].trainable) continue;
    if (!accumulate && !layer_is_conv(spec.layers[i].kind)) continue;
    state_[i].dw = arena.take_array<float>(Region::kGradients, m.layer(i).n_weights);
    state_[i].db = arena.take_array<float>(Region::kGradients, m.layer(i).n_bias);
  }
  const uint32_t per_param = optimizer_state_per_param(config.optimizer);
  for (uint32_t i = 0; i < n; ++i) {
    if (!state_[i].trainable) continue;
    const Layer& l = m.layer(i);
    if (per_param >= 1) {
      state_[i].m_w = arena.take_array<float>(Region::kOptimizerState, l.n_weights);
      state_[i].m_b = arena.take_array<float>(Region::kOptimizerState, l.n_bias);
    }
    if (per_param >= 2) {
      state_[i].v_w = arena.take_array<float>(Region::kOptimizerState, l.n_weights);
      state_[i].v_b = arena.take_array<float>(Region::kOptimizerState, l.n_bias);
    }
  }

  // Errors flow only from the output down to the lowest trainable layer: size the ping-pong
  // buffers for the widest output among those layers (which also covers their inputs).
  uint32_t widest = 0, widest_trainable = 0;
  for (uint32_t i = lowest_trainable_; i < n; ++i) {
    const uint32_t w = m.layer(i).out_size;
    if (w > widest) widest = w;
    if (state_[i].trainable && w > widest_trainable) widest_trainable = w;
  }
  delta_a_ = arena.take_array<float>(Region::kScratch, widest);
  delta_b_ = arena.take_array<float>(Region::kScratch, widest);
  select_idx_ = arena.take_array<uint32_t>(Region::kIndices, widest_trainable);
  uint32_t widest_conv = 0;  // output channels
  for (uint32_t i = 0; i < n; ++i) {
    if (!state_[i].trainable) continue;
    const bool conv = layer_is_conv(spec.layers[i].kind);
    if (conv && m.layer(i).n_bias > widest_conv) widest_conv = m.layer(i).n_bias;
    if (!accumulate && !conv) continue;
    state_[i].touched = arena.take_array<uint8_t>(Region::kIndices, m.layer(i).n_bias);
  }
  channel_idx_ = nullptr;
  channel_error_ = nullptr;
  if (config.sparsity.conv_selection == ConvSelection::kChannel && widest_conv > 0) {
    channel_error_ = arena.take_array<float>(Region::kScratch, widest_conv);
    channel_idx_ = arena.take_array<uint32_t>(Region::kIndices, widest_conv);
  }
  // Trainable dense layers keep their input's nonzero-block list from the forward pass for the
  // weight update (LayerTrainState::input_blocks; none where skipping never applies).
  for (uint32_t i = 0; i < n; ++i) {
    if (!state_[i].trainable || spec.layers[i].kind != LayerKind::kDense) continue;
    state_[i].input_blocks =
        arena.take_array<uint16_t>(Region::kIndices, nonzero_block_capacity(m.layer(i).in_size));
  }
  return plan_step_cost(spec, config);
}

void Trainer::reset_run() {
  if (model_ == nullptr) return;
  for (uint32_t i = 0; i < model_->n_layers(); ++i) {
    LayerTrainState& st = state_[i];
    if (!st.trainable) continue;
    const Layer& l = model_->layer(i);
    st.y_max = 0.0f;
    zero(st.dw, l.n_weights);
    zero(st.db, l.n_bias);
    zero(st.m_w, l.n_weights);
    zero(st.m_b, l.n_bias);
    zero(st.v_w, l.n_weights);
    zero(st.v_b, l.n_bias);
    if (st.touched != nullptr) {
      for (uint32_t j = 0; j < l.n_bias; ++j) st.touched[j] = 0;
    }
  }
  in_batch_ = 0;
  opt_step_ = 0;
  beta1_pow_ = 1.0f;
  beta2_pow_ = 1.0f;
  last_loss_ = 0.0f;
  health_ = Status::kOk;
}

// Model::forward, with each trainable dense layer keeping its input's nonzero-block list.
float Trainer::loss(const float* x, Target target) {
  const float* out = x;
  for (uint32_t i = 0; i < model_->n_layers(); ++i) {
    Layer& l = model_->layer(i);
    layer_forward(l, out, &state_[i]);
    out = l.out;
  }
  return loss_forward_backward(model_->spec().loss, out, model_->output_size(), target.values,
                               target.label, delta_a_);
}

// The step's counters are cleared once: the caller's, or a local, value-initialised one (256
// bytes at 24 layers: clearing both, as a single code path would, costs a few hundred
// instructions per step on a Cortex-M, several per cent of a small model's step).
void Trainer::train_sample(const float* x, Target target, StepCounters* counters) {
  if (counters != nullptr) {
    *counters = StepCounters{};
    run_sample(x, target, counters);
  } else {
    StepCounters local;
    run_sample(x, target, &local);
  }
}

void Trainer::run_sample(const float* x, Target target, StepCounters* c) {
  last_loss_ = loss(x, target);
  c->forward_macs = model_->forward_macs();
  c->forward_macs_done = model_->forward_macs_done();
  if (!isfinite(last_loss_)) {  // diverged: keep the weights as they are (see health())
    health_ = Status::kNonFinite;
    return;
  }
  backward(x, c);
}

void Trainer::flush(StepCounters* counters) {
  if (config_.batch_size <= 1 || in_batch_ == 0) return;
  StepCounters local;
  apply_batch(counters != nullptr ? counters : &local);
}

// Walks from the output down to the lowest trainable layer with the error in `cur`.
void Trainer::backward(const float* x, StepCounters* c) {
  Model& m = *model_;
  float* cur = delta_a_;
  float* other = delta_b_;
  const bool fused = config_.batch_size == 1;
  OptimizerStep step;
  bool step_ready = false;
  // What is left of the per-step bound (UINT64_MAX: none). Binding checked that k = 1 in every
  // layer fits, so each layer can leave the layers below their reserve (st.reserve_below).
  const bool bounded = step_cap_ != UINT64_MAX;
  uint64_t remaining = step_cap_;
  // What full backprop would cost for this sample, skipped or not: the per-step constant that
  // binding summed over the same layers (step_cost.cpp), not a sum redone at every step.
  c->backward_macs_full += full_macs_;

  for (uint32_t i = m.n_layers(); i-- > lowest_trainable_;) {
    Layer& l = m.layer(i);
    const float* in = (i == 0) ? x : m.layer(i - 1).out;
    if (!layer_has_params(l.spec.kind)) {
      if (layer_is_activation(l.spec.kind)) {
        activation_backward(l.spec.kind, l.spec.alpha, cur, l.out, l.out_size);
      } else if (pool_layer_backward(l, in, cur, other)) {  // pooling: dense, no MACs
        float* t = cur; cur = other; other = t;
      }
      continue;
    }
    LayerTrainState& st = state_[i];
    const bool need_dx = i > lowest_trainable_;
    const bool conv = layer_is_conv(l.spec.kind);
    const uint64_t row_macs = layer_backward_macs_per_output(l);  // per output, per pass
    const uint64_t passes = need_dx ? 2 : 1;  // weight gradient, and error to the layer below

    if (!st.trainable) {  // frozen layer between trainable ones: pass the error through, dense
      if (conv) {
        conv_backward_input_all(l, cur, other);
      } else {
        dense_backward_input(other, l.w, cur, nullptr, l.out_size, l.in_size);
      }
      c->backward_macs += row_macs * l.out_size;
      c->backward_macs_done += row_macs * l.out_size;
      if (bounded) remaining -= row_macs * l.out_size;  // fixed, within the reserve
      float* t = cur; cur = other; other = t;
      continue;
    }

    RatioDecision d = decide_ratio(config_.sparsity, cur, l.out_size,
                                   static_cast<uint32_t>(st.depth), &st.y_max);
    if (config_.sparsity.method == Method::kBudget && !budget_dense_) {
      if (st.depth == 0) {
        bool skip = false;
        remaining = start_budget_step(cur, l.out_size, &st.y_max, remaining, &skip);
        if (skip) {  // too small an error to buy one neuron per layer
          c->skipped = true;
          // The sample still counts in its batch, with a zero gradient: the batch mean keeps
          // its denominator, as if every entry of the skipped sample's error were dropped.
          if (!fused && ++in_batch_ >= config_.batch_size) apply_batch(c);
          return;
        }
      }
      d.k = st.budget_share > 1.0f  // the output layer kept dense (step_cost.cpp)
                ? l.out_size
                : budget_k(st.budget_share, remaining - st.fixed_below, st.row_cost, l.out_size);
      d.ratio = static_cast<float>(d.k) / static_cast<float>(l.out_size);
    }
    if (bounded) d.k = cap_k(d.k, remaining - st.reserve_below, st.row_cost);
    if (config_.sparsity.method == Method::kTinyPropV2 && st.depth == 0 &&
        d.relative_error < config_.sparsity.skip_threshold) {
      // The output error is small relative to the largest seen: this sample teaches little.
      // backward_macs_full already holds what full backprop would have cost; stop.
      c->skipped = true;
      return;
    }
    if (fused && !step_ready) {
      ++opt_step_;
      beta1_pow_ *= config_.optimizer.beta1;
      beta2_pow_ *= config_.optimizer.beta2;
      step.lr = config_.optimizer.learning_rate;
      step.bias_correction1 = 1.0f - beta1_pow_;
      step.bias_correction2 = 1.0f - beta2_pow_;
      step_ready = true;
    }

    if (conv) {
      ConvScratch scratch;
      scratch.elems = select_idx_;
      scratch.channel_idx = channel_idx_;
      scratch.channel_error = channel_error_;
      uint64_t wgrad_done = 0;
      const uint32_t done = conv_backward(l, st, in, cur, need_dx ? other : nullptr, d,
                                          config_.sparsity, scratch,
                                          &c->selection_comparisons, &wgrad_done);
      c->k[i] = done;
      c->n[i] = l.out_size;
      if (bounded) remaining -= st.row_cost * done;
      c->backward_macs += passes * row_macs * done;
      // The error below is dense; the weight gradient may skip zero input rows.
      c->backward_macs_done += (passes - 1) * row_macs * done + wgrad_done;
      if (fused) {
        c->updated_params += layer_apply_accumulated(l, st, config_.optimizer, step, 1.0f,
                                                     config_.sparsity.sparse_bias);
      }
      if (need_dx) {
        float* t = cur; cur = other; other = t;
      }
      continue;
    }

    const uint32_t k = d.k;
    const uint32_t* rows = nullptr;
    if (k < l.out_size) {
      c->selection_comparisons += select_top_k(cur, l.out_size, k, select_idx_);
      rows = select_idx_;
    }
    c->k[i] = k;
    c->n[i] = l.out_size;
    if (bounded) remaining -= st.row_cost * k;
    c->backward_macs += passes * row_macs * k;

    // The error below must use W before this step changes it.
    // The error below is dense (dy and W have no exact-zero structure to skip); the weight
    // gradient skips the layer input's zero blocks where that pays.
    if (need_dx) {
      dense_backward_input(other, l.w, cur, rows, k, l.in_size);
      c->backward_macs_done += row_macs * k;
    }
    if (fused) {
      c->updated_params += dense_update_fused(l, st, in, cur, rows, k, config_.optimizer, step,
                                              config_.sparsity.sparse_bias,
                                              &c->backward_macs_done);
    } else {
      dense_accumulate(l, st, in, cur, rows, k, config_.sparsity.sparse_bias,
                       &c->backward_macs_done);
    }
    if (need_dx) {
      float* t = cur; cur = other; other = t;
    }
  }

  if (!fused && ++in_batch_ >= config_.batch_size) apply_batch(c);
}

// The budget rule's budget for this step, set at the output layer with `remaining` of the
// bound left (the frozen layers above, if any, already spent the rest). Adaptive:
//   Y = sum |delta| of the output layer,  s = Y / Ybar  (1 on the first step),
//   Ybar <- Ybar + (Y - Ybar) / 64       (a running mean that forgets: no anchor to the start)
//   softmax cross-entropy: s = max(s, 2 Y)   (Y = 2 (1 - p_true): 2 Y >= 2 when p_true <= 1/2)
//   step budget = clamp(s, 0, 2) * b F, at most the bound; below the cost of k = 1 everywhere
//   the step is skipped (*skip), unless s reached 2 (then it gets k = 1 everywhere).
// E[Y / Ybar] = 1; a sample with twice the usual error gets twice the budget, one that is
// already learnt (Y near 0) is skipped. The relative part alone cannot tell a model that gets
// every sample wrong (from scratch: Y / Ybar near 1 for all) from one that gets every sample
// nearly right; the absolute part gives the samples the model gets wrong, p_true <= 1/2, twice
// the budget whatever the others do.
uint64_t Trainer::start_budget_step(const float* delta, uint32_t n, float* y_mean,
                                    uint64_t remaining, bool* skip) const {
  uint64_t budget = budget_macs_;
  if (config_.sparsity.budget_adaptive) {
    const float y = local_error(delta, n);
    float scale = 1.0f;
    if (*y_mean > 0.0f) {
      scale = y / *y_mean;
      *y_mean += (y - *y_mean) * (1.0f / 64.0f);
    } else {
      *y_mean = y;
    }
    if (model_->spec().loss == LossKind::kSoftmaxCrossEntropy && 2.0f * y > scale) {
      scale = 2.0f * y;
    }
    if (!(scale < 2.0f)) scale = 2.0f;  // also catches NaN
    budget = float_to_u64(scale * u64_to_float(budget_macs_));
    // A step whose budget cannot buy k = 1 in every layer (with the output layer dense where
    // the plan keeps it so) is skipped, as tinypropv2 skips, but from the budget alone: no
    // threshold to tune. Those are the samples the model already gets right with margin. A
    // step at the largest scale is never skipped (a budget so small that even 2B is below the
    // minimum still trains, at the minimum, on the samples with the largest errors).
    if (scale < 2.0f && budget < minimum_macs_) {
      *skip = true;
      return remaining;
    }
  }
  if (budget < minimum_macs_) budget = minimum_macs_;
  const uint64_t spent = step_cap_ - remaining;  // by frozen layers above
  const uint64_t left = budget > spent ? budget - spent : 0;
  return left < remaining ? left : remaining;
}

void Trainer::apply_batch(StepCounters* c) {
  ++opt_step_;
  beta1_pow_ *= config_.optimizer.beta1;
  beta2_pow_ *= config_.optimizer.beta2;
  OptimizerStep step;
  step.lr = config_.optimizer.learning_rate;
  step.bias_correction1 = 1.0f - beta1_pow_;
  step.bias_correction2 = 1.0f - beta2_pow_;
  const float scale = 1.0f / static_cast<float>(in_batch_);
  for (uint32_t i = 0; i < model_->n_layers(); ++i) {
    if (!state_[i].trainable) continue;
    c->updated_params += layer_apply_accumulated(model_->layer(i), state_[i], config_.optimizer,
                                                 step, scale, config_.sparsity.sparse_bias);
  }
  in_batch_ = 0;
}

Status bind_training(const ModelSpec& spec, const TrainConfig& config, void* arena,
                     size_t arena_bytes, Model* model, Trainer* trainer) {
  if (arena == nullptr || model == nullptr || trainer == nullptr) {
    return Status::kInvalidArgument;
  }
  Arena a(arena, arena_bytes);
  Status s = model->bind(spec, a);
  if (!ok(s)) return s;
  return trainer->bind(*model, config, a);
}

}  // namespace tinyprop
