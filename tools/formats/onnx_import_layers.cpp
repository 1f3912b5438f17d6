// ONNX operators -> core layers (onnx_import_layers.h). Supported: Gemm, MatMul (+ Add as its
// bias), Conv (groups 1, or depthwise with one filter per channel), BatchNormalization (folded
// into the Conv/Gemm before it), Relu, LeakyRelu, Sigmoid, Tanh, MaxPool, AveragePool,
// GlobalAveragePool, Flatten and a flattening Reshape, a last Softmax/LogSoftmax (the loss),
// Dropout and Identity (dropped).
#include "formats/onnx_import_layers.h"

#include <math.h>

#include "formats/model_file.h"
#include "formats/onnx_layout.h"
#include "util/error.h"

namespace tinyprop::host::onnx_io {
namespace {

// A tensor's dims as int64 (TensorProto keeps them in a repeated field).
std::vector<int64_t> dims_of(const onnx::TensorProto& t) { return {t.dims().begin(), t.dims().end()}; }

std::string dims_text(const std::vector<int64_t>& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

}  // namespace

LayerBuilder::LayerBuilder(const std::string& file_name, const std::vector<int64_t>& input_dims)
    : file_(file_name) {
  if (input_dims.size() == 1) {
    spec_.input = Shape{1, 1, static_cast<uint32_t>(input_dims[0])};
    flat_ = true;
  } else {
    spec_.input = Shape{static_cast<uint32_t>(input_dims[1]), static_cast<uint32_t>(input_dims[2]),
                        static_cast<uint32_t>(input_dims[0])};
  }
}

void LayerBuilder::fail(const ChainNode& n, const std::string& reason) const {
  throw Error(file_ + ": " + n.where + ": " + reason);
}

Shape LayerBuilder::current() const {
  return spec_.n_layers == 0 ? spec_.input : spec_.output_shape(spec_.n_layers - 1);
}

void LayerBuilder::push(const ChainNode& n, const LayerSpec& l, std::vector<float> w,
                        std::vector<float> b) {
  if (spec_.n_layers >= kMaxLayers) {
    fail(n, "more than " + std::to_string(kMaxLayers) + " layers (the core's limit)");
  }
  LayerSpec stored = l;
  stored.trainable = layer_has_params(l.kind);  // the core builders' convention (apply_trainable)
  (void)spec_.add(stored);
  const std::string problem = spec_problem(spec_);
  if (!problem.empty()) fail(n, "does not fit the layers before it: " + problem);
  w_.push_back(std::move(w));
  b_.push_back(std::move(b));
  names_.push_back(n.proto->name().empty() ? n.where : printable(n.proto->name()));
  open_ = layer_has_params(l.kind) ? static_cast<int>(spec_.n_layers - 1) : -1;
  bias_free_ = false;
}

void LayerBuilder::add(const ChainNode& n, int64_t opset, bool is_last) {
  const std::string& op = n.proto->op_type();
  if (ended_) fail(n, "follows the Softmax (supported: a Softmax only at the end)");
  if (op == "Gemm") return add_gemm(n);
  if (op == "MatMul") return add_matmul(n);
  if (op == "Add") return add_bias(n);
  if (op == "Conv") return add_conv(n);
  if (op == "BatchNormalization") return fold_batch_norm(n, opset);
  if (op == "MaxPool" || op == "AveragePool") return add_pool(n, op == "MaxPool");
  if (op == "Flatten" || op == "Reshape") return add_flatten(n, op == "Reshape");
  if (op == "Relu" || op == "LeakyRelu" || op == "Sigmoid" || op == "Tanh") {
    LayerSpec l;
    l.kind = op == "Relu" ? LayerKind::kReLU
             : op == "Sigmoid" ? LayerKind::kSigmoid
             : op == "Tanh"    ? LayerKind::kTanh
                               : LayerKind::kLeakyReLU;
    if (l.kind == LayerKind::kLeakyReLU) {
      l.alpha = attr_float(n, "alpha", 0.01f);
      if (!(l.alpha > 0.0f) || !isfinite(l.alpha)) {
        fail(n, "alpha " + std::to_string(l.alpha) + " (the core's leaky ReLU needs alpha > 0)");
      }
    }
    return push(n, l, {}, {});
  }
  if (op == "GlobalAveragePool") {
    if (flat_) fail(n, "needs a feature map [N, C, H, W]");
    LayerSpec l;
    l.kind = LayerKind::kGlobalAvgPool;
    return push(n, l, {}, {});
  }
  if (op == "Dropout" || op == "Identity") {
    // Inference is the identity. A Dropout asked to train (opset 12+: input 2 true) is refused.
    if (op == "Dropout" && n.inputs.size() > 2 && n.inputs[2] != nullptr) {
      const onnx::TensorProto& t = *n.inputs[2];
      if (t.data_type() != onnx::TensorProto_DataType_BOOL ||
          (t.has_raw_data() ? t.raw_data() != std::string(1, '\0')
                            : t.int32_data_size() != 1 || t.int32_data(0) != 0)) {
        fail(n, "training_mode is not a constant false (supported: Dropout at inference)");
      }
    }
    notes_.push_back(n.where + " dropped (the identity at inference)");
    return;
  }
  if (op == "Softmax" || op == "LogSoftmax") {
    if (!is_last) fail(n, "is not the last node (the core has a softmax only in its loss)");
    if (!flat_) fail(n, "on a feature map (supported: on [N, classes])");
    const int64_t axis = attr_int(n, "axis", opset >= 13 ? -1 : 1);
    if (axis != 1 && axis != -1) fail(n, "axis " + std::to_string(axis) + " (supported: the classes, 1 or -1)");
    notes_.push_back(n.where + " is the softmax cross-entropy loss (outputs: the logits)");
    ended_ = true;
    return;
  }
  fail(n, "operator " + printable(op) + " is not supported (docs/MODEL_FORMAT.md lists the supported ones)");
}

// W rows [units, in] in ONNX column order; reordered to (h, w, c) after a Flatten of a map.
void LayerBuilder::add_dense(const ChainNode& n, std::vector<float> w, uint32_t units,
                             std::vector<float> bias) {
  if (reorder_next_) {
    const Shape m = flattened_;
    w = permute_rows(w.data(), units, m.c, m.h, m.w, true);
    reorder_next_ = false;
  }
  LayerSpec l;
  l.kind = LayerKind::kDense;
  l.units = units;
  push(n, l, std::move(w), std::move(bias));
}

void LayerBuilder::add_gemm(const ChainNode& n) {
  if (!flat_) fail(n, "needs a flat input [N, F] (a Flatten before it)");
  if (attr_int(n, "transA", 0) != 0) fail(n, "transA = 1 is not supported (the input is [N, F])");
  const bool trans_b = attr_int(n, "transB", 0) != 0;
  const float alpha = attr_float(n, "alpha", 1.0f), beta = attr_float(n, "beta", 1.0f);
  if (alpha != 1.0f || (beta != 1.0f && n.inputs.size() > 2 && n.inputs[2] != nullptr)) {
    fail(n, "alpha and beta other than 1 are not supported (they would round differently)");
  }
  if (n.inputs.size() < 2 || n.inputs[1] == nullptr) fail(n, "has no weight B");
  const std::vector<int64_t> bd = dims_of(*n.inputs[1]);
  const uint32_t in = current().size();
  if (bd.size() != 2 || bd[trans_b ? 1 : 0] != in) {
    fail(n, "weight B " + dims_text(bd) + " does not take the " + std::to_string(in) + " inputs");
  }
  const uint32_t units = static_cast<uint32_t>(bd[trans_b ? 0 : 1]);
  const std::vector<float> b = tensor_floats(*n.inputs[1], file_ + ": " + n.where + ": weight B");
  std::vector<float> w(b.size());
  for (uint32_t o = 0; o < units; ++o) {
    for (uint32_t i = 0; i < in; ++i) {
      w[static_cast<size_t>(o) * in + i] =
          trans_b ? b[static_cast<size_t>(o) * in + i] : b[static_cast<size_t>(i) * units + o];
    }
  }
  std::vector<float> bias(units, 0.0f);
  if (n.inputs.size() > 2 && n.inputs[2] != nullptr) {
    bias = tensor_floats(*n.inputs[2], file_ + ": " + n.where + ": bias C");
    if (bias.size() != units) {
      fail(n, "bias C " + dims_text(dims_of(*n.inputs[2])) + " is not one value per output (" +
                  std::to_string(units) + "; broadcasting is not supported)");
    }
  }
  add_dense(n, std::move(w), units, std::move(bias));
}

void LayerBuilder::add_matmul(const ChainNode& n) {
  if (!flat_) fail(n, "needs a flat input [N, F] (a Flatten before it)");
  if (n.inputs.size() != 2 || n.inputs[1] == nullptr) fail(n, "needs a constant weight as input 1");
  const std::vector<int64_t> bd = dims_of(*n.inputs[1]);
  const uint32_t in = current().size();
  if (bd.size() != 2 || bd[0] != in) {
    fail(n, "weight " + dims_text(bd) + " is not [" + std::to_string(in) + ", outputs]");
  }
  const uint32_t units = static_cast<uint32_t>(bd[1]);
  const std::vector<float> b = tensor_floats(*n.inputs[1], file_ + ": " + n.where + ": weight");
  std::vector<float> w(b.size());
  for (uint32_t o = 0; o < units; ++o) {
    for (uint32_t i = 0; i < in; ++i) w[static_cast<size_t>(o) * in + i] = b[static_cast<size_t>(i) * units + o];
  }
  add_dense(n, std::move(w), units, std::vector<float>(units, 0.0f));
  bias_free_ = true;
}

// Add after a MatMul: its bias (0 + c is exact, so the layer computes the same).
void LayerBuilder::add_bias(const ChainNode& n) {
  if (open_ < 0 || !bias_free_) fail(n, "is supported only as the bias of a MatMul right before it");
  if (n.inputs.size() != 2 || n.inputs[1] == nullptr) fail(n, "needs a constant as its other input");
  std::vector<float> c = tensor_floats(*n.inputs[1], file_ + ": " + n.where + ": bias");
  const size_t units = b_[static_cast<size_t>(open_)].size();
  if (c.size() != units) fail(n, "bias of " + std::to_string(c.size()) + " values for " + std::to_string(units) + " outputs");
  b_[static_cast<size_t>(open_)] = std::move(c);
  bias_free_ = false;
}

void LayerBuilder::read_window(const ChainNode& n, LayerSpec* l) const {
  std::vector<int64_t> strides = attr_ints(n, "strides");
  if (strides.empty()) strides = {1, 1};
  std::vector<int64_t> pads = attr_ints(n, "pads");
  if (pads.empty()) pads = {0, 0, 0, 0};
  for (int64_t d : attr_ints(n, "dilations")) {
    if (d != 1) fail(n, "dilation " + std::to_string(d) + " (the core's windows have dilation 1)");
  }
  if (strides.size() != 2 || pads.size() != 4) fail(n, "is not two-dimensional (strides, pads)");
  for (int64_t s : strides) {
    if (s < 1 || s > 0xFFFF) fail(n, "stride " + std::to_string(s) + " (supported: 1 to 65535)");
  }
  for (int64_t p : pads) {
    if (p < 0 || p > 0xFFFF) fail(n, "padding " + std::to_string(p) + " (supported: 0 to 65535)");
  }
  const std::string auto_pad = attr_string(n, "auto_pad", "NOTSET");
  l->stride_h = static_cast<uint16_t>(strides[0]);
  l->stride_w = static_cast<uint16_t>(strides[1]);
  if (auto_pad == "SAME_UPPER") {
    l->pad_same = true;  // the core's "same": the odd padding row/column at the bottom/right
  } else if (auto_pad == "NOTSET" || auto_pad == "VALID") {
    if (auto_pad == "NOTSET" && (pads[0] != pads[2] || pads[1] != pads[3])) {
      fail(n, "pads " + dims_text(pads) + " differ before and after (the core pads both sides alike)");
    }
    if (auto_pad == "NOTSET") {
      l->pad_h = static_cast<uint16_t>(pads[0]);
      l->pad_w = static_cast<uint16_t>(pads[1]);
    }
  } else {
    fail(n, "auto_pad " + printable(auto_pad) + " (supported: NOTSET, VALID, SAME_UPPER)");
  }
}

void LayerBuilder::add_conv(const ChainNode& n) {
  if (flat_) fail(n, "needs a feature map [N, C, H, W]");
  if (n.inputs.size() < 2 || n.inputs[1] == nullptr) fail(n, "has no constant weight W");
  const std::vector<int64_t> wd = dims_of(*n.inputs[1]);
  const Shape in = current();
  const int64_t group = attr_int(n, "group", 1);
  if (wd.size() != 4) fail(n, "weight " + dims_text(wd) + " is not 4-D (supported: 2-D convolutions)");
  const std::vector<int64_t> ks = attr_ints(n, "kernel_shape");
  if (!ks.empty() && (ks.size() != 2 || ks[0] != wd[2] || ks[1] != wd[3])) {
    fail(n, "kernel_shape " + dims_text(ks) + " does not match the weight " + dims_text(wd));
  }
  if (wd[2] < 1 || wd[3] < 1 || wd[2] > 0xFFFF || wd[3] > 0xFFFF) fail(n, "kernel " + dims_text(wd));
  LayerSpec l;
  l.kernel_h = static_cast<uint16_t>(wd[2]);
  l.kernel_w = static_cast<uint16_t>(wd[3]);
  read_window(n, &l);
  const bool depthwise = group > 1 && group == in.c;
  if (group == 1) {
    if (wd[1] != in.c) fail(n, "weight " + dims_text(wd) + " does not take the " + std::to_string(in.c) + " input channels");
    l.kind = LayerKind::kConv2D;
    l.filters = static_cast<uint32_t>(wd[0]);
  } else if (depthwise && wd[0] == in.c && wd[1] == 1) {
    l.kind = LayerKind::kDepthwiseConv2D;
  } else {
    fail(n, "group " + std::to_string(group) + " with weight " + dims_text(wd) +
                " (supported: group 1, or depthwise: group = channels, one filter per channel)");
  }
  const std::vector<float> w = tensor_floats(*n.inputs[1], file_ + ": " + n.where + ": weight W");
  const uint32_t co = static_cast<uint32_t>(wd[0]), ci = static_cast<uint32_t>(wd[1]);
  // [C_out, C_in, K_h, K_w] -> [C_out, K_h, K_w, C_in] (depthwise: C_in = 1, the same order).
  std::vector<float> r = permute_rows(w.data(), co, ci, l.kernel_h, l.kernel_w, true);
  std::vector<float> bias(co, 0.0f);
  if (n.inputs.size() > 2 && n.inputs[2] != nullptr) {
    bias = tensor_floats(*n.inputs[2], file_ + ": " + n.where + ": bias B");
    if (bias.size() != co) fail(n, "bias of " + std::to_string(bias.size()) + " values for " + std::to_string(co) + " filters");
  }
  push(n, l, std::move(r), std::move(bias));
}

void LayerBuilder::add_pool(const ChainNode& n, bool max) {
  if (flat_) fail(n, "needs a feature map [N, C, H, W]");
  const std::vector<int64_t> ks = attr_ints(n, "kernel_shape");
  if (ks.size() != 2 || ks[0] < 1 || ks[1] < 1 || ks[0] > 0xFFFF || ks[1] > 0xFFFF) {
    fail(n, "kernel_shape " + dims_text(ks) + " (supported: two sizes from 1 to 65535)");
  }
  if (attr_int(n, "ceil_mode", 0) != 0) fail(n, "ceil_mode = 1 (the core rounds the output size down)");
  if (max && attr_int(n, "storage_order", 0) != 0) fail(n, "storage_order = 1 is not supported");
  LayerSpec l;
  l.kind = max ? LayerKind::kMaxPool2D : LayerKind::kAvgPool2D;
  l.kernel_h = static_cast<uint16_t>(ks[0]);
  l.kernel_w = static_cast<uint16_t>(ks[1]);
  read_window(n, &l);
  const bool padded = l.pad_same || l.pad_h != 0 || l.pad_w != 0;
  if (!max && padded && attr_int(n, "count_include_pad", 0) != 0) {
    fail(n, "count_include_pad = 1 with padding (the core's average leaves the padding out)");
  }
  push(n, l, {}, {});
}

void LayerBuilder::add_flatten(const ChainNode& n, bool reshape) {
  const Shape in = current();
  if (reshape) {
    if (n.inputs.size() < 2 || n.inputs[1] == nullptr) fail(n, "the shape is not a constant");
    const std::vector<int64_t> to = tensor_int64s(*n.inputs[1], file_ + ": " + n.where + ": shape");
    const int64_t f = in.size();
    const bool flattens = to.size() == 2 && (to[1] == f || to[1] == -1) &&
                          (to[0] == 0 || to[0] == 1 || (to[0] == -1 && to[1] == f));
    if (!flattens) fail(n, "reshapes to " + dims_text(to) + " (supported: a flatten to [N, " + std::to_string(f) + "])");
    if (to[0] == 0 && attr_int(n, "allowzero", 0) != 0) fail(n, "allowzero = 1 makes the batch dim 0");
  } else if (attr_int(n, "axis", 1) != 1) {
    fail(n, "axis " + std::to_string(attr_int(n, "axis", 1)) + " (supported: 1, keeping the batch)");
  }
  if (flat_ || in.h * in.w == 1) {
    // A 1 x 1 x C map (after a global pooling) is read by a dense layer as it is.
    notes_.push_back(n.where + " dropped (the input is flat already)");
    flat_ = true;
    return;
  }
  reorder_next_ = true;
  flattened_ = in;
  LayerSpec l;
  l.kind = LayerKind::kFlatten;
  push(n, l, {}, {});
  flat_ = true;
}

// y = gamma (x - mean) / sqrt(var + eps) + beta after y = W x + b, per output channel:
// W' = W s, b' = (b - mean) s + beta with s = gamma / sqrt(var + eps), in double, rounded once.
void LayerBuilder::fold_batch_norm(const ChainNode& n, int64_t opset) {
  if (open_ < 0) {
    fail(n, "does not follow a Conv or Gemm directly (it is folded into one; the core has no "
            "batch normalization layer)");
  }
  if (attr_int(n, "training_mode", 0) != 0) fail(n, "training_mode = 1 (supported: inference)");
  if (opset < 9 && attr_int(n, "spatial", 1) != 1) fail(n, "spatial = 0 is not supported");
  const double eps = attr_float(n, "epsilon", 1e-5f);
  std::vector<float>& w = w_[static_cast<size_t>(open_)];
  std::vector<float>& b = b_[static_cast<size_t>(open_)];
  const size_t rows = b.size(), row = w.size() / rows;
  const char* role[] = {"", "scale", "B", "mean", "var"};
  std::vector<std::vector<float>> p(5);
  for (int k = 1; k <= 4; ++k) {
    if (n.inputs.size() <= static_cast<size_t>(k) || n.inputs[k] == nullptr) fail(n, std::string("has no constant ") + role[k]);
    p[k] = tensor_floats(*n.inputs[k], file_ + ": " + n.where + ": " + role[k]);
    if (p[k].size() != rows) fail(n, std::string(role[k]) + " has " + std::to_string(p[k].size()) + " values for " + std::to_string(rows) + " channels");
  }
  for (size_t r = 0; r < rows; ++r) {
    const double var = static_cast<double>(p[4][r]);
    if (!(var + eps > 0.0)) fail(n, "var + epsilon is not positive at channel " + std::to_string(r));
    const double s = static_cast<double>(p[1][r]) / sqrt(var + eps);
    for (size_t j = 0; j < row; ++j) w[r * row + j] = static_cast<float>(static_cast<double>(w[r * row + j]) * s);
    b[r] = static_cast<float>((static_cast<double>(b[r]) - static_cast<double>(p[3][r])) * s +
                              static_cast<double>(p[2][r]));
  }
  notes_.push_back(n.where + " folded into '" + names_[static_cast<size_t>(open_)] + "'");
  bias_free_ = false;
}

ModelSpec LayerBuilder::finish(std::vector<float>* params) {
  if (spec_.n_layers == 0) throw Error(file_ + ": the graph has no layers the core can run");
  params->clear();
  for (uint32_t i = 0; i < spec_.n_layers; ++i) {
    params->insert(params->end(), w_[i].begin(), w_[i].end());
    params->insert(params->end(), b_[i].begin(), b_[i].end());
  }
  return spec_;
}

}  // namespace tinyprop::host::onnx_io
