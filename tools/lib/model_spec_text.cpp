// Text model specs: "mlp:784-128-64-10[:activation]" <-> ModelSpec.
#include <stdio.h>

#include <string>
#include <vector>

#include "error.h"
#include "model_file.h"

namespace tinyprop::host {
namespace {

// Layer widths above this are typos, not models (a 16M-wide dense layer cannot bind anyway).
constexpr uint64_t kMaxWidth = 1u << 24;
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
    if (v > kMaxWidth) throw Error(where + " '" + item + "' is too large (max " + std::to_string(kMaxWidth) + ")");
  }
  if (v == 0) throw Error(where + " is zero");
  return static_cast<uint32_t>(v);
}

std::string activation_list() {
  std::string s;
  for (const NamedActivation& a : kActivations) s += (s.empty() ? "" : "|") + std::string(a.name);
  return s;
}

bool is_flat(const Shape& s) { return s.h == 1 && s.w == 1; }

// Whether spec is exactly what parse_model_spec builds for some "mlp:..." text; sets hidden.
bool is_canonical_mlp(const ModelSpec& spec, LayerKind* hidden) {
  if (!is_flat(spec.input) || spec.loss != LossKind::kSoftmaxCrossEntropy) return false;
  if (spec.n_layers == 0 || spec.n_layers % 2 == 0) return false;  // dense (act dense)*
  *hidden = spec.n_layers > 1 ? spec.layers[1].kind : LayerKind::kReLU;
  const LayerSpec defaults{};
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    const LayerSpec& l = spec.layers[i];
    if (i % 2 == 0) {
      if (l.kind != LayerKind::kDense || !l.trainable || l.alpha != defaults.alpha) return false;
    } else {
      if (l.kind != *hidden || l.trainable || l.units != 0) return false;
      if (l.alpha != kDefaultLeakyAlpha) return false;
    }
  }
  return true;
}

}  // namespace

ModelSpec parse_model_spec(const std::string& text) {
  const size_t colon = text.find(':');
  const std::string kind = text.substr(0, colon);
  if (kind != "mlp") {
    if (colon == std::string::npos) {
      throw Error("model spec '" + text + "': expected 'mlp:<in>-<hidden>...-<out>[:activation]'");
    }
    throw Error("model spec '" + text + "': model type '" + kind +
                "' is not supported yet (only mlp, e.g. mlp:784-128-10)");
  }
  const std::vector<std::string> parts = split(text.substr(colon == std::string::npos ? text.size() : colon + 1), ':');
  if (colon == std::string::npos || parts[0].empty()) {
    throw Error("model spec '" + text + "': no layer sizes (expected e.g. mlp:784-128-10)");
  }
  if (parts.size() > 2) throw Error("model spec '" + text + "': too many ':' sections");

  LayerKind hidden = LayerKind::kReLU;
  if (parts.size() == 2) {
    bool found = false;
    for (const NamedActivation& a : kActivations) {
      if (parts[1] == a.name) {
        hidden = a.kind;
        found = true;
      }
    }
    if (!found) {
      throw Error("model spec '" + text + "': unknown activation '" + parts[1] + "' (" +
                  activation_list() + ")");
    }
  }

  const std::vector<std::string> items = split(parts[0], '-');
  if (items.size() < 2) {
    throw Error("model spec '" + text + "': needs at least an input and an output size (e.g. mlp:784-10)");
  }
  // n sizes make n-1 dense layers and n-2 activations between them.
  const size_t layers = 2 * items.size() - 3;
  if (layers > kMaxLayers) {
    throw Error("model spec '" + text + "': " + std::to_string(layers) + " layers, at most " +
                std::to_string(kMaxLayers) + " are supported");
  }
  std::vector<uint32_t> sizes;
  for (size_t i = 0; i < items.size(); ++i) sizes.push_back(parse_width(text, items[i], i));

  ModelSpec spec;
  const Status s = make_mlp(&spec, sizes.data(), static_cast<uint32_t>(sizes.size()), hidden);
  if (!ok(s)) {
    throw Error("model spec '" + text + "': invalid (" + status_name(s) +
                (sizes.back() < 2 ? ": softmax needs at least 2 outputs" : "") + ")");
  }
  return spec;
}

std::string describe_model_spec(const ModelSpec& spec) {
  LayerKind hidden = LayerKind::kReLU;
  if (is_canonical_mlp(spec, &hidden)) {
    std::string s = "mlp:" + std::to_string(spec.input.c);
    for (uint32_t i = 0; i < spec.n_layers; i += 2) s += "-" + std::to_string(spec.layers[i].units);
    if (hidden != LayerKind::kReLU) s += std::string(":") + layer_kind_name(hidden);
    return s;
  }
  // Readable list: "input 28x28x1 -> dense 128 -> leaky_relu(0.2) -> dense 10 (frozen) | loss".
  std::string s = "input " + std::to_string(spec.input.h) + "x" + std::to_string(spec.input.w) +
                  "x" + std::to_string(spec.input.c);
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    const LayerSpec& l = spec.layers[i];
    s += " -> ";
    s += layer_kind_name(l.kind);
    if (layer_has_params(l.kind)) {
      s += " " + std::to_string(l.units);
      if (!l.trainable) s += " (frozen)";
    } else if (l.kind == LayerKind::kLeakyReLU) {
      char buf[32];
      snprintf(buf, sizeof(buf), "(%g)", static_cast<double>(l.alpha));
      s += buf;
    }
  }
  s += std::string(" | loss ") + loss_kind_name(spec.loss);
  return s;
}

}  // namespace tinyprop::host
