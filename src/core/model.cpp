#include "tinyprop/model.h"

#include <math.h>

#include "layers/layer.h"

namespace tinyprop {

Status Model::plan(const ModelSpec& spec, MemoryPlan* plan, FrozenParams frozen,
                   Model* scratch) {
  if (plan == nullptr || scratch == nullptr) return Status::kInvalidArgument;
  Arena planning;
  const Status s = scratch->bind_pretrained(spec, planning, nullptr, frozen);
  if (!ok(s)) return s;
  if (planning.too_large()) return Status::kTooLarge;
  *plan = planning.plan();
  return Status::kOk;
}

Status Model::bind(const ModelSpec& spec, Arena& arena) {
  bound_ = false;
  return finish_bind(arena, layout(spec, arena, nullptr, FrozenParams::kInArena));
}

Status Model::bind_pretrained(const ModelSpec& spec, Arena& arena, const float* params,
                              FrozenParams frozen) {
  bound_ = false;
  if (params == nullptr && !arena.planning()) return Status::kInvalidArgument;
  const Status s = finish_bind(arena, layout(spec, arena, params, frozen));
  if (!ok(s) || !bound_) return s;
  return load_params(params, n_params_);
}

Status Model::finish_bind(const Arena& arena, Status laid_out) {
  if (!ok(laid_out)) return laid_out;
  if (arena.too_large()) return Status::kTooLarge;
  if (arena.misaligned()) return Status::kArenaMisaligned;
  if (!arena.ok()) return Status::kArenaTooSmall;
  bound_ = !arena.planning();
  return Status::kOk;
}

Status Model::load_params(const float* params, uint32_t count) {
  if (!bound_) return Status::kNotBound;
  if (params == nullptr || count != n_params_) return Status::kInvalidArgument;
  const float* src = params;
  for (uint32_t i = 0; i < spec_.n_layers; ++i) {
    const Layer& l = layers_[i];
    if (l.n_weights == 0) continue;
    if (!l.params_in_place) {
      for (uint32_t j = 0; j < l.n_weights; ++j) l.w[j] = src[j];
      for (uint32_t j = 0; j < l.n_bias; ++j) l.b[j] = src[l.n_weights + j];
    }
    src += l.n_weights + l.n_bias;
  }
  return Status::kOk;
}

// Layout order: one contiguous parameter block (so that a model is one array on disk and in a
// checksum), then activation buffers. Elementwise activations and Flatten reuse their input
// buffer; pooling layers get their own (max pooling recomputes its argmax from its input in
// the backward pass, so it needs no index buffer). With FrozenParams::kInPlace the block holds
// only the trainable layers' parameters, in the same order; frozen layers point into `source`.
Status Model::layout(const ModelSpec& spec, Arena& arena, const float* source,
                     FrozenParams frozen) {
  const Status s = spec.validate();
  if (!ok(s)) return s;
  spec_ = spec;
  n_params_ = spec.param_count();

  Shape in = spec.input;
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    Layer& l = layers_[i];
    l = Layer{};
    l.spec = spec.layers[i];
    l.in_shape = in;
    l.out_shape = spec.output_shape(i);
    l.in_size = in.size();
    l.out_size = l.out_shape.size();
    const LayerParamCounts counts = layer_param_counts(l.spec, l.in_shape, l.out_shape);
    l.n_weights = counts.weights;
    l.n_bias = counts.bias;
    in = l.out_shape;
  }
  // The forward MACs of one sample depend on these shapes only, which nothing changes until the
  // next layout: summed here once instead of at every training step.
  forward_macs_ = 0;
  for (uint32_t i = 0; i < spec.n_layers; ++i) forward_macs_ += layer_forward_macs(layers_[i]);

  const bool in_place = frozen == FrozenParams::kInPlace;
  uint32_t arena_params = n_params_;
  if (in_place) {
    arena_params = 0;
    for (uint32_t i = 0; i < spec.n_layers; ++i) {
      const Layer& l = layers_[i];
      if (l.spec.trainable) arena_params += l.n_weights + l.n_bias;
    }
  }
  float* block = arena.take_array<float>(Region::kParameters, arena_params);
  params_ = in_place ? nullptr : block;
  float* p = block;
  uint32_t offset = 0;  // into source, in params() order
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    Layer& l = layers_[i];
    if (l.n_weights == 0) continue;
    if (in_place && !l.spec.trainable) {
      // Read-only from here on: frozen layers are never updated and init_params skips them.
      l.params_in_place = true;
      if (source != nullptr && !arena.planning()) {
        l.w = const_cast<float*>(source + offset);
        l.b = l.w + l.n_weights;
      }
    } else if (p != nullptr) {
      l.w = p;
      l.b = p + l.n_weights;
      p += l.n_weights + l.n_bias;
    }
    offset += l.n_weights + l.n_bias;
  }

  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    Layer& l = layers_[i];
    l.in_place = (i > 0) && (layer_is_activation(l.spec.kind) ||
                             l.spec.kind == LayerKind::kFlatten);
    if (l.in_place) {
      l.out = layers_[i - 1].out;
    } else {
      l.out = arena.take_array<float>(Region::kActivations, l.out_size);
    }
  }
  return Status::kOk;
}

void Model::init_params(Rng& rng) {
  for (uint32_t i = 0; i < spec_.n_layers; ++i) {
    if (!layers_[i].params_in_place) layer_init_params(layers_[i], rng);
  }
}

const float* Model::forward(const float* x) {
  const float* in = x;
  for (uint32_t i = 0; i < spec_.n_layers; ++i) {
    layer_forward(layers_[i], in);
    in = layers_[i].out;
  }
  return in;
}

uint32_t Model::predict(const float* x) {
  const float* out = forward(x);
  const uint32_t n = output_size();
  uint32_t best = 0;
  for (uint32_t i = 1; i < n; ++i) {
    if (out[i] > out[best]) best = i;
  }
  return best;
}

uint32_t Model::first_nonfinite_layer() const {
  for (uint32_t i = 0; i < spec_.n_layers; ++i) {
    const Layer& l = layers_[i];
    if (l.w == nullptr) continue;
    // w and b are contiguous: one pass over n_weights + n_bias floats.
    const uint32_t n = l.n_weights + l.n_bias;
    for (uint32_t j = 0; j < n; ++j) {
      if (!isfinite(l.w[j])) return i;
    }
  }
  return spec_.n_layers;
}

void Model::set_zero_skipping(bool on) {
  for (uint32_t i = 0; i < spec_.n_layers; ++i) layers_[i].zero_skip = on;
}

uint64_t Model::forward_macs_done() const {
  uint64_t macs = 0;
  for (uint32_t i = 0; i < spec_.n_layers; ++i) macs += layers_[i].forward_macs_done;
  return macs;
}

}  // namespace tinyprop
