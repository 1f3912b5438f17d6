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
  // Convolutional layers (docs/CONV.md). Tensors are channels-last: an H x W x C feature map is
  // stored [H, W, C] (HWC), as in CMSIS-NN and TensorFlow Lite Micro.
  kConv2D,           // y = conv(x, W) + b, W stored [C_out, K_h, K_w, C_in] (a filter = a row)
  kDepthwiseConv2D,  // one K_h x K_w filter per channel, W stored [C, K_h, K_w], b [C]
  kMaxPool2D,        // max over each window (padding never wins)
  kAvgPool2D,        // mean over each window's real inputs (padding is not counted)
  kGlobalAvgPool,    // H x W x C -> 1 x 1 x C, the mean over H x W
  kFlatten,          // H x W x C -> 1 x 1 x (H W C); a no-op on HWC memory
};

const char* layer_kind_name(LayerKind k);
// False for the kinds this build of the library leaves out (TINYPROP_WITH_CONV,
// TINYPROP_WITH_POOL in tinyprop/config.h): ModelSpec::validate() refuses them (kKindDisabled).
constexpr bool layer_kind_enabled(LayerKind k) {
  return (TINYPROP_WITH_CONV || (k != LayerKind::kConv2D && k != LayerKind::kDepthwiseConv2D)) &&
         (TINYPROP_WITH_POOL || (k != LayerKind::kMaxPool2D && k != LayerKind::kAvgPool2D &&
                                 k != LayerKind::kGlobalAvgPool));
}
// True for layers that own weights (and so can be trainable and sparsified).
bool layer_has_params(LayerKind k);
// True for the elementwise activations (ReLU, leaky ReLU, sigmoid, tanh).
bool layer_is_activation(LayerKind k);
// True for the convolutions (Conv2D, DepthwiseConv2D).
bool layer_is_conv(LayerKind k);
// True for the layers with a sliding window (convolutions and the two window poolings).
bool layer_has_window(LayerKind k);

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

// Passed as `pad` to the window builders: TF/Keras "same" padding instead of a fixed amount.
inline constexpr uint32_t kPadSame = 0xFFFFFFFFu;

struct LayerSpec {
  LayerKind kind = LayerKind::kDense;
  uint32_t units = 0;      // dense: output neurons
  float alpha = 0.01f;     // leaky ReLU slope for x < 0
  bool trainable = true;   // frozen layers compute no weight gradient
  // Sliding-window layers (conv, depthwise, max / avg pooling).
  uint32_t filters = 0;                  // conv2d: output channels C_out
  uint16_t kernel_h = 0, kernel_w = 0;   // window size
  uint16_t stride_h = 1, stride_w = 1;   // window step
  uint16_t pad_h = 0, pad_w = 0;         // zero rows above and below, zero columns left and right
  // TF/Keras "same" instead of pad_h / pad_w: out = ceil(in / stride), total padding
  // max((out - 1) stride + kernel - in, 0), the odd one at the bottom / right.
  bool pad_same = false;
};

// Where a sliding window of `l` meets an input of `in` rows (or columns): output count and the
// zero padding before the first input. Valid only for a spec that passed validate().
struct WindowAxis {
  uint32_t out = 0;        // output rows (columns)
  uint32_t pad_before = 0; // padding rows above (columns left)
};
WindowAxis window_rows(const LayerSpec& l, uint32_t in_h);
WindowAxis window_cols(const LayerSpec& l, uint32_t in_w);

// A LayerSpec of all-zero bytes (not the defaults above): what a ModelSpec holds beyond its
// n_layers layers, and what an unbound Model's layers hold.
constexpr LayerSpec blank_layer_spec() {
  LayerSpec z;
  z.alpha = 0.0f;
  z.trainable = false;
  z.stride_h = z.stride_w = 0;
  return z;
}

// A new spec is empty and all zero bytes: no layers, input 0 x 0 x 0 (set it: validate()
// refuses an empty input), and the unused layers blank_layer_spec(), not LayerSpec's defaults.
// So a static ModelSpec is zero-initialised into .bss instead of an 884-byte image in .data
// that costs flash and RAM (tests/unit/plan_test.cpp checks the bytes, tests/mcu/run-tests.sh
// the firmware's sections). Layers are added whole (the builders, add(), or
// `layers[i] = LayerSpec{}` before setting fields), so every added layer starts from the
// LayerSpec defaults.
struct ModelSpec {
  constexpr ModelSpec() {
    for (LayerSpec& l : layers) l = blank_layer_spec();
  }

  Shape input{0, 0, 0};
  LossKind loss = LossKind::kSoftmaxCrossEntropy;
  uint32_t n_layers = 0;
  LayerSpec layers[kMaxLayers];

  // Builders. They only record; validate() (called by plan/bind) checks the whole spec.
  Status add_dense(uint32_t units, bool trainable = true);
  Status add_activation(LayerKind kind, float alpha = 0.01f);
  // Square windows; pad zero rows/columns on every side, or kPadSame. Rectangular windows:
  // fill a LayerSpec and use add().
  Status add_conv2d(uint32_t filters, uint32_t kernel, uint32_t stride = 1, uint32_t pad = 0,
                    bool trainable = true);
  Status add_depthwise_conv2d(uint32_t kernel, uint32_t stride = 1, uint32_t pad = 0,
                              bool trainable = true);
  // stride 0 means stride = size (non-overlapping windows, the usual pooling).
  Status add_max_pool2d(uint32_t size, uint32_t stride = 0, uint32_t pad = 0);
  Status add_avg_pool2d(uint32_t size, uint32_t stride = 0, uint32_t pad = 0);
  Status add_global_avg_pool();
  Status add_flatten();
  // Appends any layer as given (validate() checks it with the rest of the spec).
  Status add(const LayerSpec& layer);

  // Checks sizes chain, counts fit, and at least one layer exists. Windows: kernel and stride
  // > 0 (kInvalidArgument), padding < kernel (kInvalidArgument), window no larger than the
  // padded input (kBadShape). One layer's weights or outputs beyond 2^31 - 1: kBadShape; all
  // parameters together beyond kMaxElements: kTooLarge (every sum is taken in 64 bits, so no
  // size can wrap around).
  Status validate() const;
  // Output shape of layer i (i < n_layers); the input shape for i = -1 is `input`.
  Shape output_shape(uint32_t i) const;
  Shape output_shape() const { return output_shape(n_layers - 1); }
  // Number of float parameters (weights and biases) of the whole model; at most kMaxElements
  // for a spec that passed validate() (others saturate at 2^32 - 1 instead of wrapping).
  uint32_t param_count() const;
};

// Parameters (weights + biases) of layer l fed an input of shape `in`, in 64 bits: dense
// in.size() * units + units, conv2d filters * K_h * K_w * in.c + filters, depthwise
// in.c * K_h * K_w + in.c, 0 for layers without parameters.
uint64_t layer_params(const LayerSpec& l, Shape in);
// Weights and biases of a layer between shapes in and out of a validated spec: dense
// in x out and out; conv C_out k_h k_w C_in (depthwise C k_h k_w) and C_out; 0 otherwise.
struct LayerParamCounts {
  uint32_t weights = 0, bias = 0;
};
LayerParamCounts layer_param_counts(const LayerSpec& l, Shape in, Shape out);

// Convenience: an MLP "sizes[0]-sizes[1]-...-sizes[n-1]" with `hidden` activations between
// dense layers and softmax cross-entropy at the end.
Status make_mlp(ModelSpec* spec, const uint32_t* sizes, uint32_t n_sizes,
                LayerKind hidden = LayerKind::kReLU);

}  // namespace tinyprop
