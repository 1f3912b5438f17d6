#include "tinyprop/model.h"

#include <math.h>

#include "layers/layer.h"

namespace tinyprop {

Status Model::plan(const ModelSpec& spec, MemoryPlan* plan) {
  if (plan == nullptr) return Status::kInvalidArgument;
  Arena planning;
  Model m;
  const Status s = m.layout(spec, planning);
  if (!ok(s)) return s;
  if (planning.too_large()) return Status::kTooLarge;
  *plan = planning.plan();
  return Status::kOk;
}

Status Model::bind(const ModelSpec& spec, Arena& arena) {
  bound_ = false;
  const Status s = layout(spec, arena);
  if (!ok(s)) return s;
  if (arena.too_large()) return Status::kTooLarge;
  if (arena.misaligned()) return Status::kArenaMisaligned;
  if (!arena.ok()) return Status::kArenaTooSmall;
  bound_ = !arena.planning();
  return Status::kOk;
}

// Layout order: one contiguous parameter block (so that a model is one array on disk and in a
// checksum), then activation buffers. Elementwise activations and Flatten reuse their input
// buffer; pooling layers get their own (max pooling recomputes its argmax from its input in
// the backward pass, so it needs no index buffer).
Status Model::layout(const ModelSpec& spec, Arena& arena) {
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
    if (l.spec.kind == LayerKind::kDense) {
      l.n_weights = l.in_size * l.out_size;
      l.n_bias = l.out_size;
    } else if (layer_is_conv(l.spec.kind)) {
      l.n_bias = l.out_shape.c;
      l.n_weights = l.n_bias * l.spec.kernel_h * l.spec.kernel_w *
                    (l.spec.kind == LayerKind::kConv2D ? l.in_shape.c : 1u);
    }
    in = l.out_shape;
  }

  params_ = arena.take_array<float>(Region::kParameters, n_params_);
  float* p = params_;
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    Layer& l = layers_[i];
    if (l.n_weights == 0) continue;
    if (p != nullptr) {
      l.w = p;
      l.b = p + l.n_weights;
      p += l.n_weights + l.n_bias;
    }
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
  for (uint32_t i = 0; i < spec_.n_layers; ++i) layer_init_params(layers_[i], rng);
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

uint64_t Model::forward_macs() const {
  uint64_t macs = 0;
  for (uint32_t i = 0; i < spec_.n_layers; ++i) macs += layer_forward_macs(layers_[i]);
  return macs;
}

}  // namespace tinyprop
