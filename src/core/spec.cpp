#include "tinyprop/spec.h"

namespace tinyprop {

const char* layer_kind_name(LayerKind k) {
  switch (k) {
    case LayerKind::kDense: return "dense";
    case LayerKind::kReLU: return "relu";
    case LayerKind::kLeakyReLU: return "leaky_relu";
    case LayerKind::kSigmoid: return "sigmoid";
    case LayerKind::kTanh: return "tanh";
  }
  return "unknown";
}

bool layer_has_params(LayerKind k) { return k == LayerKind::kDense; }

const char* loss_kind_name(LossKind k) {
  switch (k) {
    case LossKind::kSoftmaxCrossEntropy: return "softmax_cross_entropy";
    case LossKind::kBinaryCrossEntropy: return "binary_cross_entropy";
    case LossKind::kMeanSquaredError: return "mean_squared_error";
  }
  return "unknown";
}

Status ModelSpec::add_dense(uint32_t units, bool trainable) {
  if (n_layers >= kMaxLayers) return Status::kTooManyLayers;
  if (units == 0) return Status::kBadShape;
  LayerSpec& l = layers[n_layers++];
  l = LayerSpec{};
  l.kind = LayerKind::kDense;
  l.units = units;
  l.trainable = trainable;
  return Status::kOk;
}

Status ModelSpec::add_activation(LayerKind kind, float alpha) {
  if (n_layers >= kMaxLayers) return Status::kTooManyLayers;
  if (layer_has_params(kind)) return Status::kInvalidArgument;
  LayerSpec& l = layers[n_layers++];
  l = LayerSpec{};
  l.kind = kind;
  l.alpha = alpha;
  l.trainable = false;
  return Status::kOk;
}

Shape ModelSpec::output_shape(uint32_t i) const {
  Shape s = input;
  for (uint32_t j = 0; j <= i && j < n_layers; ++j) {
    if (layers[j].kind == LayerKind::kDense) s = Shape{1, 1, layers[j].units};
  }
  return s;
}

Status ModelSpec::validate() const {
  if (n_layers == 0) return Status::kBadShape;
  if (n_layers > kMaxLayers) return Status::kTooManyLayers;
  if (input.h == 0 || input.w == 0 || input.c == 0) return Status::kBadShape;
  // Sizes must stay addressable with 32-bit indices, weights included.
  uint64_t in = static_cast<uint64_t>(input.h) * input.w * input.c;
  if (in > 0xFFFFFFFFull) return Status::kBadShape;
  for (uint32_t i = 0; i < n_layers; ++i) {
    const LayerSpec& l = layers[i];
    switch (l.kind) {
      case LayerKind::kDense:
        if (l.units == 0) return Status::kBadShape;
        if (in * l.units > 0x7FFFFFFFull) return Status::kBadShape;
        in = l.units;
        break;
      case LayerKind::kLeakyReLU:
        if (!(l.alpha > 0.0f && l.alpha < 1.0f)) return Status::kInvalidArgument;
        break;
      case LayerKind::kReLU:
      case LayerKind::kSigmoid:
      case LayerKind::kTanh:
        break;
      default:
        return Status::kUnsupported;
    }
  }
  const uint32_t out = output_shape().size();
  if (loss == LossKind::kSoftmaxCrossEntropy && out < 2) return Status::kBadShape;
  return Status::kOk;
}

uint32_t ModelSpec::param_count() const {
  uint32_t count = 0;
  uint32_t in = input.size();
  for (uint32_t i = 0; i < n_layers; ++i) {
    if (layers[i].kind == LayerKind::kDense) {
      count += in * layers[i].units + layers[i].units;
      in = layers[i].units;
    }
  }
  return count;
}

Status make_mlp(ModelSpec* spec, const uint32_t* sizes, uint32_t n_sizes, LayerKind hidden) {
  if (spec == nullptr || sizes == nullptr || n_sizes < 2) return Status::kInvalidArgument;
  *spec = ModelSpec{};
  spec->input = Shape{1, 1, sizes[0]};
  for (uint32_t i = 1; i < n_sizes; ++i) {
    Status s = spec->add_dense(sizes[i]);
    if (!ok(s)) return s;
    if (i + 1 < n_sizes) {
      s = spec->add_activation(hidden);
      if (!ok(s)) return s;
    }
  }
  return spec->validate();
}

}  // namespace tinyprop
