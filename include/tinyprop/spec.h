// Model description: a plain, fixed-capacity list of layers. A spec holds no memory of its
// own beyond this struct; Model::bind() turns it into buffers inside an arena.
#pragma once
#include <stdint.h>

#include "tinyprop/limits.h"
#include "tinyprop/status.h"

namespace tinyprop {

enum class LayerKind : uint8_t {
  kDense = 0,   // y = W x + b, W stored [n_out, n_in] (one contiguous row per output neuron)
  kReLU,        // y = max(x, 0)
  kLeakyReLU,   // y = x > 0 ? x : alpha * x   (alpha > 0)
  kSigmoid,     // y = 1 / (1 + exp(-x))
  kTanh,        // y = tanh(x)
};

const char* layer_kind_name(LayerKind k);
// True for layers that own weights (and so can be trainable and sparsified).
bool layer_has_params(LayerKind k);

// Losses sit after the last layer. delta (the error handed to the last layer) is the gradient
// of the per-sample loss with respect to the last layer's output.
enum class LossKind : uint8_t {
  kSoftmaxCrossEntropy = 0,  // on logits: L = -log softmax(z)[label]; delta = softmax(z) - y
  kBinaryCrossEntropy,       // on probabilities p in (0,1): L = -mean(t log p + (1-t) log(1-p))
  kMeanSquaredError,         // L = mean((o - t)^2); delta = 2 (o - t) / n
};

const char* loss_kind_name(LossKind k);

// Height x width x channels. Dense layers see a flat vector (h = w = 1, c = size).
struct Shape {
  uint32_t h = 1, w = 1, c = 1;
  uint32_t size() const { return h * w * c; }
};

struct LayerSpec {
  LayerKind kind = LayerKind::kDense;
  uint32_t units = 0;      // dense: output neurons
  float alpha = 0.01f;     // leaky ReLU slope for x < 0
  bool trainable = true;   // frozen layers compute no weight gradient
};

struct ModelSpec {
  Shape input;
  LossKind loss = LossKind::kSoftmaxCrossEntropy;
  uint32_t n_layers = 0;
  LayerSpec layers[kMaxLayers];

  // Builders. They only record; validate() (called by plan/bind) checks the whole spec.
  Status add_dense(uint32_t units, bool trainable = true);
  Status add_activation(LayerKind kind, float alpha = 0.01f);

  // Checks sizes chain, counts fit, and at least one layer exists.
  Status validate() const;
  // Output shape of layer i (i < n_layers); the input shape for i = -1 is `input`.
  Shape output_shape(uint32_t i) const;
  Shape output_shape() const { return output_shape(n_layers - 1); }
  // Number of float parameters (weights and biases) of the whole model.
  uint32_t param_count() const;
};

// Convenience: an MLP "sizes[0]-sizes[1]-...-sizes[n-1]" with `hidden` activations between
// dense layers and softmax cross-entropy at the end.
Status make_mlp(ModelSpec* spec, const uint32_t* sizes, uint32_t n_sizes,
                LayerKind hidden = LayerKind::kReLU);

}  // namespace tinyprop
