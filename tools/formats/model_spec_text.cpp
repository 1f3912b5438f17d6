// Text model specs <-> ModelSpec:
//   "mlp:784-128-64-10[:activation]"
//   "cnn:28x28x1-c8k3-p2-c16k3-p2-d10[:activation]"
// Grammar and examples in docs/MODEL_FORMAT.md, "Model specs as text".
#include <stdio.h>
#include <string.h>

#include <string>
#include <vector>

#include "util/error.h"
#include "formats/model_file.h"
#include "formats/model_spec_text_parts.h"

namespace tinyprop::host {
namespace {

// Layer widths above this are typos, not models (a 16M-wide dense layer cannot bind anyway).
constexpr uint64_t kMaxWidth = 1u << 24;
// Window sizes, strides and padding are uint16_t in LayerSpec.
constexpr uint64_t kMaxWindow = 0xFFFFu;
constexpr float kDefaultLeakyAlpha = 0.01f;

struct NamedActivation {
  const char* name;
  LayerKind kind;
};
constexpr NamedActivation kActivations[] = {
    {"relu", LayerKind::kReLU},
    {"leaky_relu", LayerKind::kLeakyReLU},
    {"sigmoid", LayerKind::kSigmoid},
    {"tanh", LayerKind::kTanh},
};

constexpr const char* kCnnItems = "c<F>k<K>, dw<K>, m<K>, a<K>, p<K>, gap, flat or d<N>";

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t at = s.find(sep, start);
    parts.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

uint32_t parse_width(const std::string& text, const std::string& item, size_t position) {
  const std::string where = "model spec '" + text + "': layer size " + std::to_string(position + 1);
  if (item.empty()) throw Error(where + " is empty");
  uint64_t v = 0;
  for (char ch : item) {
    if (ch < '0' || ch > '9') throw Error(where + " '" + item + "' is not a positive integer");
    v = v * 10 + static_cast<uint64_t>(ch - '0');
    if (v > kMaxWidth)
      throw Error(where + " '" + item + "' is too large (max " + std::to_string(kMaxWidth) + ")");
  }
  if (v == 0) throw Error(where + " is zero");
  return static_cast<uint32_t>(v);
}

std::string activation_list() {
  std::string s;
  for (const NamedActivation& a : kActivations) s += (s.empty() ? "" : "|") + std::string(a.name);
  return s;
}

LayerKind parse_activation(const std::string& text, const std::string& name) {
  for (const NamedActivation& a : kActivations) {
    if (name == a.name) return a.kind;
  }
  throw Error("model spec '" + text + "': unknown activation '" + name + "' (" + activation_list() +
              ")");
}

// ---- mlp --------------------------------------------------------------------------------

ModelSpec parse_mlp(const std::string& text, const std::string& layers, LayerKind hidden) {
  const std::vector<std::string> items = split(layers, '-');
  if (items.size() < 2) {
    throw Error("model spec '" + text +
                "': needs at least an input and an output size (e.g. mlp:784-10)");
  }
  // n sizes make n-1 dense layers and n-2 activations between them.
  const size_t n_layers = 2 * items.size() - 3;
  if (n_layers > kMaxLayers) {
    throw Error("model spec '" + text + "': " + std::to_string(n_layers) + " layers, at most " +
                std::to_string(kMaxLayers) + " are supported");
  }
  std::vector<uint32_t> sizes;
  for (size_t i = 0; i < items.size(); ++i) sizes.push_back(parse_width(text, items[i], i));

  ModelSpec spec;
  const Status s = make_mlp(&spec, sizes.data(), static_cast<uint32_t>(sizes.size()), hidden);
  if (!ok(s)) {
    throw Error("model spec '" + text + "': invalid (" + status_name(s) +
                (sizes.back() < 2 ? ": softmax needs at least 2 outputs" : "") + ")" +
                spec_blame(spec));
  }
  return spec;
}

// ---- cnn --------------------------------------------------------------------------------

// Reads one '-'-separated item of a cnn spec left to right; every failure names the item.
class ItemReader {
 public:
  ItemReader(const std::string& text, const std::string& item, size_t number)
      : item_(item),
        where_("model spec '" + text + "': '" + item + "' (item " + std::to_string(number) + ")") {}

  [[noreturn]] void fail(const std::string& why) const { throw Error(where_ + ": " + why); }

  // Consumes `word` if the rest starts with it.
  bool take(const char* word) {
    const size_t n = strlen(word);
    if (item_.compare(pos_, n, word) != 0) return false;
    pos_ += n;
    return true;
  }
  bool at_digit() const { return pos_ < item_.size() && item_[pos_] >= '0' && item_[pos_] <= '9'; }
  bool done() const { return pos_ == item_.size(); }
  void expect_end() const {
    if (!done()) fail("unexpected '" + item_.substr(pos_) + "'");
  }

  // A decimal number in [min_value, max_value]; `what` names it in messages.
  uint32_t number(const char* what, uint64_t min_value, uint64_t max_value) {
    if (!at_digit()) fail(std::string("expected a number for the ") + what);
    uint64_t v = 0;
    while (at_digit()) {
      v = v * 10 + static_cast<uint64_t>(item_[pos_++] - '0');
      if (v > max_value)
        fail(std::string(what) + " is too large (max " + std::to_string(max_value) + ")");
    }
    if (v < min_value) fail(std::string(what) + " is zero");
    return static_cast<uint32_t>(v);
  }
  // "<n>" or "<h>x<w>".
  void pair(const char* what, uint64_t min_value, uint16_t* h, uint16_t* w) {
    *h = *w = static_cast<uint16_t>(number(what, min_value, kMaxWindow));
    if (take("x")) *w = static_cast<uint16_t>(number(what, min_value, kMaxWindow));
  }

 private:
  std::string item_;
  std::string where_;
  size_t pos_ = 0;
};

// After the kernel: [s<S>[x<S>]] [pad<P>[x<P>] | +same]. default_stride_is_kernel for pooling.
void read_window_options(ItemReader& r, bool default_stride_is_kernel, LayerSpec* l) {
  if (default_stride_is_kernel) {
    l->stride_h = l->kernel_h;
    l->stride_w = l->kernel_w;
  }
  if (r.take("s")) {
    if (!r.at_digit()) r.fail("expected a number for the stride (s<S>; 'same' padding is '+same')");
    r.pair("stride", 1, &l->stride_h, &l->stride_w);
  }
  if (r.take("pad")) {
    r.pair("padding", 0, &l->pad_h, &l->pad_w);
  } else if (r.take("+same")) {
    l->pad_same = true;
  }
  r.expect_end();
}

// Window checks with the item's own words (ModelSpec::validate would only say "bad shape").
void check_window(const ItemReader& r, const LayerSpec& l, const Shape& in) {
  if (!l.pad_same && (l.pad_h >= l.kernel_h || l.pad_w >= l.kernel_w)) {
    r.fail("padding " + pair_text(l.pad_h, l.pad_w) + " must be smaller than the kernel " +
           pair_text(l.kernel_h, l.kernel_w));
  }
  if (window_rows(l, in.h).out == 0 || window_cols(l, in.w).out == 0) {
    const bool padded = !l.pad_same && (l.pad_h != 0 || l.pad_w != 0);
    r.fail("kernel " + pair_text(l.kernel_h, l.kernel_w) + " larger than the " +
           std::to_string(in.h) + "x" + std::to_string(in.w) + " input" +
           (padded ? " padded by " + pair_text(l.pad_h, l.pad_w) : ""));
  }
}

// One item -> one layer (no activations yet). `in` is the item's input shape.
LayerSpec parse_cnn_item(ItemReader& r, const Shape& in) {
  LayerSpec l;
  if (r.take("gap")) {
    r.expect_end();
    l.kind = LayerKind::kGlobalAvgPool;
    l.trainable = false;
    return l;
  }
  if (r.take("flat")) {
    r.expect_end();
    l.kind = LayerKind::kFlatten;
    l.trainable = false;
    return l;
  }
  if (r.take("dw")) {
    l.kind = LayerKind::kDepthwiseConv2D;
    r.pair("kernel", 1, &l.kernel_h, &l.kernel_w);
    read_window_options(r, false, &l);
  } else if (r.take("d")) {
    l.kind = LayerKind::kDense;
    l.units = r.number("units", 1, kMaxWidth);
    r.expect_end();
    return l;
  } else if (r.take("c")) {
    l.kind = LayerKind::kConv2D;
    l.filters = r.number("filters", 1, kMaxWidth);
    if (!r.take("k")) r.fail("expected k<K> (kernel size) after the filter count");
    r.pair("kernel", 1, &l.kernel_h, &l.kernel_w);
    read_window_options(r, false, &l);
  } else if (r.take("m") || r.take("p")) {
    l.kind = LayerKind::kMaxPool2D;
  } else if (r.take("a")) {
    l.kind = LayerKind::kAvgPool2D;
  } else {
    r.fail(std::string("unknown layer (expected ") + kCnnItems + ")");
  }
  if (l.kind == LayerKind::kMaxPool2D || l.kind == LayerKind::kAvgPool2D) {
    l.trainable = false;
    r.pair("pool size", 1, &l.kernel_h, &l.kernel_w);
    read_window_options(r, true, &l);
  }
  check_window(r, l, in);
  return l;
}

ModelSpec parse_cnn(const std::string& text, const std::string& layers, LayerKind hidden) {
  const std::string head = "model spec '" + text + "': ";
  const std::vector<std::string> items = split(layers, '-');
  // Input HxWxC.
  Shape input;
  {
    ItemReader r(text, items[0], 1);
    if (split(items[0], 'x').size() != 3) r.fail("the input must be HxWxC (e.g. 28x28x1)");
    input.h = r.number("input height", 1, kMaxWidth);
    r.take("x");
    input.w = r.number("input width", 1, kMaxWidth);
    r.take("x");
    input.c = r.number("input channels", 1, kMaxWidth);
    r.expect_end();
  }
  if (items.size() < 2) {
    throw Error(head + "needs at least one layer after the input (e.g. cnn:28x28x1-c8k3-m2-d10)");
  }

  // The layers the items name, with a flatten before a dense layer that follows a feature map.
  std::vector<LayerSpec> named;
  Shape shape = input;
  for (size_t i = 1; i < items.size(); ++i) {
    if (items[i].empty()) throw Error(head + "item " + std::to_string(i + 1) + " is empty");
    ItemReader r(text, items[i], i + 1);
    const LayerSpec l = parse_cnn_item(r, shape);
    if (l.kind == LayerKind::kDense && (shape.h != 1 || shape.w != 1)) {
      LayerSpec flatten;
      flatten.kind = LayerKind::kFlatten;
      flatten.trainable = false;
      named.push_back(flatten);
    }
    named.push_back(l);
    ModelSpec one;  // the shape after l, by the core's rules
    one.input = shape;
    one.n_layers = 1;
    one.layers[0] = named.back();
    shape = one.output_shape();
  }

  // The activation follows every layer with parameters except the last one.
  size_t last_with_params = named.size();
  for (size_t i = 0; i < named.size(); ++i) {
    if (layer_has_params(named[i].kind)) last_with_params = i;
  }
  size_t n_layers = named.size();
  for (size_t i = 0; i < named.size(); ++i) {
    if (layer_has_params(named[i].kind) && i != last_with_params) ++n_layers;
  }
  if (n_layers > kMaxLayers) {
    throw Error(head + std::to_string(n_layers) +
                " layers (activations and flatten included), at most " +
                std::to_string(kMaxLayers) + " are supported");
  }
  ModelSpec spec;
  spec.input = input;
  for (size_t i = 0; i < named.size(); ++i) {
    Status s = spec.add(named[i]);
    if (ok(s) && layer_has_params(named[i].kind) && i != last_with_params)
      s = spec.add_activation(hidden);
    if (!ok(s)) throw Error(head + "invalid (" + status_name(s) + ")");
  }
  const Status s = spec.validate();
  if (!ok(s)) {
    const uint32_t out = shape.size();
    throw Error(
        head + "invalid (" + status_name(s) +
        (out < 2 ? ": softmax needs at least 2 outputs, the model ends with " + std::to_string(out)
                 : "") +
        ")" + spec_blame(spec));
  }
  return spec;
}

}  // namespace

std::string shape_text(const Shape& s) {
  return std::to_string(s.h) + "x" + std::to_string(s.w) + "x" + std::to_string(s.c);
}

// "3" for a square pair, "3x5" for height 3, width 5.
std::string pair_text(uint32_t h, uint32_t w) {
  return h == w ? std::to_string(h) : std::to_string(h) + "x" + std::to_string(w);
}

ModelSpec parse_model_spec(const std::string& text) {
  const size_t colon = text.find(':');
  const std::string kind = text.substr(0, colon);
  if (kind != "mlp" && kind != "cnn") {
    if (colon == std::string::npos) {
      throw Error(
          "model spec '" + text +
          "': expected 'mlp:<in>-<hidden>...-<out>[:activation]' or 'cnn:<H>x<W>x<C>-<layer>...'");
    }
    throw Error("model spec '" + text + "': model type '" + kind +
                "' is not supported (mlp or cnn, e.g. " +
                "mlp:784-128-10 or cnn:28x28x1-c8k3-m2-d10)");
  }
  const std::vector<std::string> parts =
      split(text.substr(colon == std::string::npos ? text.size() : colon + 1), ':');
  if (colon == std::string::npos || parts[0].empty()) {
    throw Error("model spec '" + text + "': " +
                (kind == "mlp" ? "no layer sizes (expected e.g. mlp:784-128-10)"
                               : "no layers (expected e.g. cnn:28x28x1-c8k3-m2-d10)"));
  }
  if (parts.size() > 2) throw Error("model spec '" + text + "': too many ':' sections");
  const LayerKind hidden = parts.size() == 2 ? parse_activation(text, parts[1]) : LayerKind::kReLU;
  return kind == "mlp" ? parse_mlp(text, parts[0], hidden) : parse_cnn(text, parts[0], hidden);
}

}  // namespace tinyprop::host
