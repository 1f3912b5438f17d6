// Planning from the spec alone: Model::plan(spec, plan, frozen) and Trainer::plan(spec, config,
// plan, frozen) make the same takes, of the same sizes and in the same regions, as
// Model::layout and Trainer::layout do when they bind, but without a Model (about 3.4 KB at
// 24 layers on a 32-bit target) and a Trainer (about 2.1 KB) to lay out on the stack; a
// planning arena only adds sizes up, so nothing but the sizes is needed. That keeps planning
// within a few hundred bytes of stack on a microcontroller. tests/unit/plan_test.cpp checks that
// both ways give the same plan for every kind of model and configuration.
#include "tinyprop/kernels/dense.h"
#include "tinyprop/model.h"
#include "tinyprop/optimizer.h"
#include "tinyprop/trainer.h"

namespace tinyprop {
namespace {

// What the layouts need to know of layer i: its sizes and how it is kept.
struct LayerDims {
  uint32_t n_weights = 0, n_bias = 0, in_size = 0, out_size = 0;
  bool dense = false;
  bool trainable = false;  // owns parameters and is not frozen
  bool conv = false;
  bool in_place = false;   // shares its input buffer (activations, Flatten)
};

// Walks the layers of a validated spec, shape by shape.
class LayerWalk {
 public:
  explicit LayerWalk(const ModelSpec& spec) : spec_(spec), in_(spec.input) {}
  bool next(LayerDims* d) {
    if (i_ >= spec_.n_layers) return false;
    const LayerSpec& l = spec_.layers[i_];
    const Shape out = spec_.output_shape(i_);
    const LayerParamCounts p = layer_param_counts(l, in_, out);
    d->n_weights = p.weights;
    d->n_bias = p.bias;
    d->in_size = in_.size();
    d->out_size = out.size();
    d->dense = l.kind == LayerKind::kDense;
    d->trainable = layer_has_params(l.kind) && l.trainable;
    d->conv = layer_is_conv(l.kind);
    d->in_place = i_ > 0 && (layer_is_activation(l.kind) || l.kind == LayerKind::kFlatten);
    in_ = out;
    ++i_;
    return true;
  }
  uint32_t index() const { return i_ - 1; }  // of the layer next() returned last

 private:
  const ModelSpec& spec_;
  Shape in_;
  uint32_t i_ = 0;
};

// Model::layout's takes: one parameter block (with kInPlace only the trainable layers'), then
// an activation buffer per layer that does not work in place.
void take_model(const ModelSpec& spec, FrozenParams frozen, Arena& arena) {
  uint64_t params = 0;
  LayerDims d;
  for (LayerWalk w(spec); w.next(&d);) {
    const bool stays_in_place = frozen == FrozenParams::kInPlace && !spec.layers[w.index()].trainable;
    if (!stays_in_place) params += static_cast<uint64_t>(d.n_weights) + d.n_bias;
  }
  (void)arena.take_array<float>(Region::kParameters, static_cast<size_t>(params));
  for (LayerWalk w(spec); w.next(&d);) {
    if (!d.in_place) (void)arena.take_array<float>(Region::kActivations, d.out_size);
  }
}

// Trainer::layout's takes (see there for why each buffer exists).
Status take_trainer(const ModelSpec& spec, const TrainConfig& config, Arena& arena) {
  Status s = config.validate();
  if (!ok(s)) return s;
  bool any = false;
  uint32_t lowest = 0;
  LayerDims d;
  for (LayerWalk w(spec); w.next(&d);) {
    if (d.trainable && !any) {
      lowest = w.index();
      any = true;
    }
  }
  if (!any) return Status::kNothingToTrain;
  const bool accumulate = config.batch_size > 1;
  for (LayerWalk w(spec); w.next(&d);) {
    if (!d.trainable || (!accumulate && !d.conv)) continue;
    (void)arena.take_array<float>(Region::kGradients, d.n_weights);
    (void)arena.take_array<float>(Region::kGradients, d.n_bias);
  }
  const uint32_t per_param = optimizer_state_per_param(config.optimizer);
  for (LayerWalk w(spec); w.next(&d);) {
    if (!d.trainable) continue;
    for (uint32_t copy = 0; copy < per_param && copy < 2; ++copy) {
      (void)arena.take_array<float>(Region::kOptimizerState, d.n_weights);
      (void)arena.take_array<float>(Region::kOptimizerState, d.n_bias);
    }
  }
  uint32_t widest = 0, widest_trainable = 0, widest_conv = 0;
  for (LayerWalk w(spec); w.next(&d);) {
    if (w.index() >= lowest && d.out_size > widest) widest = d.out_size;
    if (w.index() >= lowest && d.trainable && d.out_size > widest_trainable) {
      widest_trainable = d.out_size;
    }
    if (d.trainable && d.conv && d.n_bias > widest_conv) widest_conv = d.n_bias;
  }
  (void)arena.take_array<float>(Region::kScratch, widest);
  (void)arena.take_array<float>(Region::kScratch, widest);
  (void)arena.take_array<uint32_t>(Region::kIndices, widest_trainable);
  for (LayerWalk w(spec); w.next(&d);) {
    if (!d.trainable || (!accumulate && !d.conv)) continue;
    (void)arena.take_array<uint8_t>(Region::kIndices, d.n_bias);
  }
  if (config.sparsity.conv_selection == ConvSelection::kChannel && widest_conv > 0) {
    (void)arena.take_array<float>(Region::kScratch, widest_conv);
    (void)arena.take_array<uint32_t>(Region::kIndices, widest_conv);
  }
  for (LayerWalk w(spec); w.next(&d);) {
    if (d.trainable && d.dense) {
      (void)arena.take_array<uint16_t>(Region::kIndices, nonzero_block_capacity(d.in_size));
    }
  }
  return Status::kOk;
}

}  // namespace

Status Model::plan(const ModelSpec& spec, MemoryPlan* plan, FrozenParams frozen) {
  if (plan == nullptr) return Status::kInvalidArgument;
  const Status s = spec.validate();
  if (!ok(s)) return s;
  Arena planning;
  take_model(spec, frozen, planning);
  if (planning.too_large()) return Status::kTooLarge;
  *plan = planning.plan();
  return Status::kOk;
}

Status Trainer::plan(const ModelSpec& spec, const TrainConfig& config, MemoryPlan* plan,
                     FrozenParams frozen) {
  if (plan == nullptr) return Status::kInvalidArgument;
  Status s = spec.validate();
  if (!ok(s)) return s;
  Arena planning;
  take_model(spec, frozen, planning);
  if (planning.too_large()) return Status::kTooLarge;
  s = take_trainer(spec, config, planning);
  if (!ok(s)) return s;
  if (planning.too_large()) return Status::kTooLarge;
  *plan = planning.plan();
  return Status::kOk;
}

}  // namespace tinyprop
