#include "tinyprop/spec.h"

namespace tinyprop {

const char* layer_kind_name(LayerKind k) {
  switch (k) {
    case LayerKind::kDense: return "dense";
    case LayerKind::kReLU: return "relu";
    case LayerKind::kLeakyReLU: return "leaky_relu";
    case LayerKind::kSigmoid: return "sigmoid";
    case LayerKind::kTanh: return "tanh";
    case LayerKind::kConv2D: return "conv2d";
    case LayerKind::kDepthwiseConv2D: return "depthwise_conv2d";
    case LayerKind::kMaxPool2D: return "max_pool2d";
    case LayerKind::kAvgPool2D: return "avg_pool2d";
    case LayerKind::kGlobalAvgPool: return "global_avg_pool";
    case LayerKind::kFlatten: return "flatten";
  }
  return "unknown";
}

bool layer_has_params(LayerKind k) { return k == LayerKind::kDense || layer_is_conv(k); }

bool layer_is_activation(LayerKind k) {
  return k == LayerKind::kReLU || k == LayerKind::kLeakyReLU || k == LayerKind::kSigmoid ||
         k == LayerKind::kTanh;
}

bool layer_is_conv(LayerKind k) {
  return k == LayerKind::kConv2D || k == LayerKind::kDepthwiseConv2D;
}

bool layer_has_window(LayerKind k) {
  return layer_is_conv(k) || k == LayerKind::kMaxPool2D || k == LayerKind::kAvgPool2D;
}

namespace {

// out = floor((in + 2 pad - kernel) / stride) + 1 with explicit padding (0 when the window does
// not fit); with "same": out = ceil(in / stride), padding split with the odd one after.
WindowAxis window_axis(uint32_t in, uint32_t kernel, uint32_t stride, uint32_t pad, bool same) {
  WindowAxis a;
  if (in == 0 || kernel == 0 || stride == 0) return a;
  if (same) {
    a.out = (in + stride - 1) / stride;
    const uint64_t span = static_cast<uint64_t>(a.out - 1) * stride + kernel;
    const uint64_t total = span > in ? span - in : 0;
    a.pad_before = static_cast<uint32_t>(total / 2);
    return a;
  }
  const uint64_t padded = static_cast<uint64_t>(in) + 2u * static_cast<uint64_t>(pad);
  if (padded < kernel) return a;
  a.out = static_cast<uint32_t>((padded - kernel) / stride + 1);
  a.pad_before = pad;
  return a;
}

bool fits_u16(uint32_t v) { return v <= 0xFFFFu; }

// Shape after layer l given its input shape (h or w = 0 if a window does not fit).
Shape layer_output_shape(const LayerSpec& l, Shape in) {
  switch (l.kind) {
    case LayerKind::kDense: return Shape{1, 1, l.units};
    case LayerKind::kConv2D:
    case LayerKind::kDepthwiseConv2D:
    case LayerKind::kMaxPool2D:
    case LayerKind::kAvgPool2D: {
      const uint32_t c = l.kind == LayerKind::kConv2D ? l.filters : in.c;
      return Shape{window_rows(l, in.h).out, window_cols(l, in.w).out, c};
    }
    case LayerKind::kGlobalAvgPool: return Shape{1, 1, in.c};
    case LayerKind::kFlatten: return Shape{1, 1, in.size()};
    default: return in;  // activations keep the shape
  }
}

// Checks a window layer against its input shape.
Status validate_window(const LayerSpec& l, Shape in) {
  if (l.kernel_h == 0 || l.kernel_w == 0) return Status::kInvalidArgument;
  if (l.stride_h == 0 || l.stride_w == 0) return Status::kInvalidArgument;
  // Every window must hold at least one real input (an average over padding alone is 0 / 0).
  if (!l.pad_same && (l.pad_h >= l.kernel_h || l.pad_w >= l.kernel_w)) {
    return Status::kInvalidArgument;
  }
  const Shape out = layer_output_shape(l, in);
  if (out.h == 0 || out.w == 0) return Status::kBadShape;  // window larger than padded input
  return Status::kOk;
}

}  // namespace

WindowAxis window_rows(const LayerSpec& l, uint32_t in_h) {
  return window_axis(in_h, l.kernel_h, l.stride_h, l.pad_h, l.pad_same);
}

WindowAxis window_cols(const LayerSpec& l, uint32_t in_w) {
  return window_axis(in_w, l.kernel_w, l.stride_w, l.pad_w, l.pad_same);
}

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

namespace {

// Appends a square window layer (pad may be kPadSame; filters only for conv2d). The layer
// count is checked first, so a full spec reports kTooManyLayers whatever the arguments.
Status add_window_layer(ModelSpec* spec, LayerKind kind, uint32_t kernel, uint32_t stride,
                        uint32_t pad, bool trainable, uint32_t filters = 0) {
  if (spec->n_layers >= kMaxLayers) return Status::kTooManyLayers;
  if (kernel == 0 || stride == 0 || !fits_u16(kernel) || !fits_u16(stride)) {
    return Status::kInvalidArgument;
  }
  const bool same = pad == kPadSame;
  if (!same && !fits_u16(pad)) return Status::kInvalidArgument;
  LayerSpec l;
  l.kind = kind;
  l.kernel_h = l.kernel_w = static_cast<uint16_t>(kernel);
  l.stride_h = l.stride_w = static_cast<uint16_t>(stride);
  l.pad_same = same;
  l.pad_h = l.pad_w = same ? 0 : static_cast<uint16_t>(pad);
  l.trainable = trainable;
  l.filters = filters;
  return spec->add(l);
}

}  // namespace

Status ModelSpec::add(const LayerSpec& layer) {
  if (n_layers >= kMaxLayers) return Status::kTooManyLayers;
  layers[n_layers++] = layer;
  return Status::kOk;
}

Status ModelSpec::add_conv2d(uint32_t filters, uint32_t kernel, uint32_t stride, uint32_t pad,
                             bool trainable) {
  if (n_layers < kMaxLayers && filters == 0) return Status::kBadShape;
  return add_window_layer(this, LayerKind::kConv2D, kernel, stride, pad, trainable, filters);
}

Status ModelSpec::add_depthwise_conv2d(uint32_t kernel, uint32_t stride, uint32_t pad,
                                       bool trainable) {
  return add_window_layer(this, LayerKind::kDepthwiseConv2D, kernel, stride, pad, trainable);
}

// Pooling: stride 0 means stride = size (non-overlapping windows); never trainable.
Status ModelSpec::add_max_pool2d(uint32_t size, uint32_t stride, uint32_t pad) {
  return add_window_layer(this, LayerKind::kMaxPool2D, size, stride == 0 ? size : stride, pad,
                          false);
}

Status ModelSpec::add_avg_pool2d(uint32_t size, uint32_t stride, uint32_t pad) {
  return add_window_layer(this, LayerKind::kAvgPool2D, size, stride == 0 ? size : stride, pad,
                          false);
}

Status ModelSpec::add_global_avg_pool() {
  LayerSpec l;
  l.kind = LayerKind::kGlobalAvgPool;
  l.trainable = false;
  return add(l);
}

Status ModelSpec::add_flatten() {
  LayerSpec l;
  l.kind = LayerKind::kFlatten;
  l.trainable = false;
  return add(l);
}

Shape ModelSpec::output_shape(uint32_t i) const {
  Shape s = input;
  for (uint32_t j = 0; j <= i && j < n_layers; ++j) s = layer_output_shape(layers[j], s);
  return s;
}

Status ModelSpec::validate() const {
  if (n_layers == 0) return Status::kBadShape;
  if (n_layers > kMaxLayers) return Status::kTooManyLayers;
  if (input.h == 0 || input.w == 0 || input.c == 0) return Status::kBadShape;
  // Sizes must stay addressable with 32-bit indices, weights included.
  uint64_t in = static_cast<uint64_t>(input.h) * input.w * input.c;
  if (in > 0xFFFFFFFFull) return Status::kBadShape;
  Shape shape = input;  // input shape of layer i
  uint64_t params = 0;  // all layers' parameters so far (each term < 2^32, 24 terms: no wrap)
  for (uint32_t i = 0; i < n_layers; ++i) {
    const LayerSpec& l = layers[i];
    if (!layer_kind_enabled(l.kind)) return Status::kKindDisabled;
    switch (l.kind) {
      case LayerKind::kDense:
        if (l.units == 0) return Status::kBadShape;
        if (in * l.units > 0x7FFFFFFFull) return Status::kBadShape;
        in = l.units;
        break;
      case LayerKind::kConv2D:
      case LayerKind::kDepthwiseConv2D:
      case LayerKind::kMaxPool2D:
      case LayerKind::kAvgPool2D: {
        if (l.kind == LayerKind::kConv2D && l.filters == 0) return Status::kBadShape;
        const Status s = validate_window(l, shape);
        if (!ok(s)) return s;
        const Shape out = layer_output_shape(l, shape);
        const uint64_t taps = static_cast<uint64_t>(l.kernel_h) * l.kernel_w;
        const uint64_t weights = l.kind == LayerKind::kConv2D ? taps * shape.c * l.filters
                                                              : taps * shape.c;
        if (weights > 0x7FFFFFFFull) return Status::kBadShape;
        const uint64_t out_size = static_cast<uint64_t>(out.h) * out.w * out.c;
        if (out_size > 0x7FFFFFFFull) return Status::kBadShape;
        in = out_size;
        break;
      }
      case LayerKind::kGlobalAvgPool:
        in = shape.c;
        break;
      case LayerKind::kFlatten:
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
    params += layer_params(l, shape);
    if (params > kMaxElements) return Status::kTooLarge;
    shape = layer_output_shape(l, shape);
  }
  const uint32_t out = output_shape().size();
  if (loss == LossKind::kSoftmaxCrossEntropy && out < 2) return Status::kBadShape;
  return Status::kOk;
}

LayerParamCounts layer_param_counts(const LayerSpec& l, Shape in, Shape out) {
  LayerParamCounts c;
  if (l.kind == LayerKind::kDense) {
    c.weights = in.size() * out.size();
    c.bias = out.size();
  } else if (layer_is_conv(l.kind)) {
    c.bias = out.c;
    c.weights = c.bias * l.kernel_h * l.kernel_w * (l.kind == LayerKind::kConv2D ? in.c : 1u);
  }
  return c;
}

uint64_t layer_params(const LayerSpec& l, Shape in) {
  const uint64_t taps = static_cast<uint64_t>(l.kernel_h) * l.kernel_w;
  switch (l.kind) {
    case LayerKind::kDense: return (static_cast<uint64_t>(in.size()) + 1u) * l.units;
    case LayerKind::kConv2D: return (taps * in.c + 1u) * l.filters;
    case LayerKind::kDepthwiseConv2D: return (taps + 1u) * in.c;
    default: return 0;
  }
}

uint32_t ModelSpec::param_count() const {
  uint64_t count = 0;
  Shape in = input;
  for (uint32_t i = 0; i < n_layers && i < kMaxLayers; ++i) {
    count += layer_params(layers[i], in);
    if (count > 0xFFFFFFFFull) return 0xFFFFFFFFu;
    in = layer_output_shape(layers[i], in);
  }
  return static_cast<uint32_t>(count);
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
