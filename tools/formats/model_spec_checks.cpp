// Why a model spec is invalid, in words a user can act on (spec_problem, spec_blame), and the
// parameter count of one layer; used by the model file reader and writer and the spec text parser.
#include <string>

#include "formats/model_file.h"

namespace tinyprop::host {
namespace {

// The sizes behind a size failure at layer i: its weights or outputs beyond one buffer's limit,
// or all parameters up to it beyond kMaxElements; "" when no size is to blame.
std::string size_problem(const ModelSpec& spec, uint32_t i, Status s) {
  const LayerSpec& l = spec.layers[i];
  const Shape in = i == 0 ? spec.input : spec.output_shape(i - 1);
  const std::string limit = std::to_string(kMaxElements);
  uint64_t total = 0;
  Shape at = spec.input;
  for (uint32_t j = 0; j <= i; ++j) {
    total += layer_params(spec.layers[j], at);
    at = spec.output_shape(j);
  }
  const uint64_t own = layer_params(l, in);
  if (s == Status::kTooLarge) {
    return ": " + std::to_string(own) + " parameters, " + std::to_string(total) +
           " with the layers before it (at most " + limit + " in a model)";
  }
  if (s != Status::kBadShape || !layer_has_params(l.kind)) return "";
  const uint64_t bias = l.kind == LayerKind::kDense    ? l.units
                        : l.kind == LayerKind::kConv2D ? l.filters
                                                       : in.c;
  const uint64_t weights = own - bias;
  if (weights > kMaxElements) {
    return ": " + std::to_string(weights) + " weights (at most " + limit + " in a layer)";
  }
  return "";
}

}  // namespace

std::string spec_blame(const ModelSpec& spec) {
  if (spec.n_layers == 0 || spec.n_layers > kMaxLayers) return "";
  // The first prefix that fails names the layer (MSE: the prefix's output size does not matter).
  ModelSpec prefix = spec;
  prefix.loss = LossKind::kMeanSquaredError;
  for (uint32_t n = 1; n <= spec.n_layers; ++n) {
    prefix.n_layers = n;
    const Status ps = prefix.validate();
    if (!ok(ps)) {
      return " at layer " + std::to_string(n - 1) + " (" +
             layer_kind_name(spec.layers[n - 1].kind) + ")" + size_problem(spec, n - 1, ps);
    }
  }
  return "";  // only the loss objects: softmax cross-entropy needs at least 2 outputs
}

std::string spec_problem(const ModelSpec& spec) {
  const Status s = spec.validate();
  if (ok(s)) return "";
  return std::string("invalid model spec (") + status_name(s) + ")" + spec_blame(spec);
}

LayerParamCount layer_param_count(const ModelSpec& spec, uint32_t i) {
  LayerParamCount p;
  if (i >= spec.n_layers || !layer_has_params(spec.layers[i].kind)) return p;
  // The core's own count for a one-layer spec fed with this layer's input shape; the bias is
  // one per row: a dense layer's units, a convolution's output channels.
  ModelSpec one;
  one.input = i == 0 ? spec.input : spec.output_shape(i - 1);
  one.n_layers = 1;
  one.layers[0] = spec.layers[i];
  p.bias = one.output_shape().c;
  p.weights = one.param_count() - p.bias;
  return p;
}

}  // namespace tinyprop::host
