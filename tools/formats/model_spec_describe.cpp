// ModelSpec -> text: the shortest "mlp:..." or "cnn:..." text that parses back to the same spec,
// else a readable list of the layers (describe_model_spec), and the spec comparison it relies on.
// The parser is in model_spec_text.cpp; grammar in docs/MODEL_FORMAT.md, "Model specs as text".
#include <stdio.h>
#include <string.h>

#include <string>

#include "util/error.h"
#include "formats/model_file.h"
#include "formats/model_spec_text_parts.h"

namespace tinyprop::host {
namespace {

// ---- describe ---------------------------------------------------------------------------

bool is_flat(const Shape& s) { return s.h == 1 && s.w == 1; }

// A window layer in the cnn grammar: c8k3, dw3s2+same, m2, a3s2pad1, c4k3x5s1x2.
std::string window_token(const LayerSpec& l) {
  std::string s;
  bool pool = false;
  switch (l.kind) {
    case LayerKind::kConv2D:
      s = "c" + std::to_string(l.filters) + "k";
      break;
    case LayerKind::kDepthwiseConv2D:
      s = "dw";
      break;
    case LayerKind::kMaxPool2D:
      s = "m";
      pool = true;
      break;
    case LayerKind::kAvgPool2D:
      s = "a";
      pool = true;
      break;
    default:
      return "";
  }
  s += pair_text(l.kernel_h, l.kernel_w);
  const bool default_stride = pool ? l.stride_h == l.kernel_h && l.stride_w == l.kernel_w
                                   : l.stride_h == 1 && l.stride_w == 1;
  if (!default_stride) s += "s" + pair_text(l.stride_h, l.stride_w);
  if (l.pad_same) {
    s += "+same";
  } else if (l.pad_h != 0 || l.pad_w != 0) {
    s += "pad" + pair_text(l.pad_h, l.pad_w);
  }
  return s;
}

// The hidden activation a text would name: the first activation after a layer with parameters.
LayerKind hidden_activation(const ModelSpec& spec) {
  for (uint32_t i = 0; i + 1 < spec.n_layers; ++i) {
    if (layer_has_params(spec.layers[i].kind) && layer_is_activation(spec.layers[i + 1].kind)) {
      return spec.layers[i + 1].kind;
    }
  }
  return LayerKind::kReLU;
}

std::string activation_suffix(LayerKind hidden) {
  return hidden == LayerKind::kReLU ? "" : std::string(":") + layer_kind_name(hidden);
}

// Candidate texts; describe_model_spec keeps one only if it parses back to the same spec.
std::string mlp_text(const ModelSpec& spec) {
  if (!is_flat(spec.input)) return "";
  std::string s = "mlp:" + std::to_string(spec.input.c);
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    const LayerSpec& l = spec.layers[i];
    if (l.kind == LayerKind::kDense) {
      s += "-" + std::to_string(l.units);
    } else if (!layer_is_activation(l.kind)) {
      return "";
    }
  }
  return s + activation_suffix(hidden_activation(spec));
}

std::string cnn_text(const ModelSpec& spec) {
  std::string s = "cnn:" + shape_text(spec.input);
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    const LayerSpec& l = spec.layers[i];
    switch (l.kind) {
      case LayerKind::kDense:
        s += "-d" + std::to_string(l.units);
        break;
      case LayerKind::kGlobalAvgPool:
        s += "-gap";
        break;
      case LayerKind::kFlatten: {
        // Implicit before a dense layer that follows a feature map.
        const Shape in = i == 0 ? spec.input : spec.output_shape(i - 1);
        const bool implicit =
            i + 1 < spec.n_layers && spec.layers[i + 1].kind == LayerKind::kDense && !is_flat(in);
        if (!implicit) s += "-flat";
        break;
      }
      default:
        if (layer_has_window(l.kind)) s += "-" + window_token(l);
        break;  // activations follow from the rule; the check in describe_model_spec verifies
    }
  }
  return s + activation_suffix(hidden_activation(spec));
}

bool parses_back(const std::string& text, const ModelSpec& spec) {
  if (text.empty()) return false;
  try {
    return same_model_spec(parse_model_spec(text), spec);
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

bool same_model_spec(const ModelSpec& a, const ModelSpec& b) {
  if (a.input.h != b.input.h || a.input.w != b.input.w || a.input.c != b.input.c) return false;
  if (a.loss != b.loss || a.n_layers != b.n_layers) return false;
  for (uint32_t i = 0; i < a.n_layers && i < kMaxLayers; ++i) {
    const LayerSpec& x = a.layers[i];
    const LayerSpec& y = b.layers[i];
    if (x.kind != y.kind || x.units != y.units || memcmp(&x.alpha, &y.alpha, sizeof(float)) != 0 ||
        x.trainable != y.trainable || x.filters != y.filters || x.kernel_h != y.kernel_h ||
        x.kernel_w != y.kernel_w || x.stride_h != y.stride_h || x.stride_w != y.stride_w ||
        x.pad_h != y.pad_h || x.pad_w != y.pad_w || x.pad_same != y.pad_same) {
      return false;
    }
  }
  return true;
}

std::string describe_model_spec(const ModelSpec& spec) {
  for (const std::string& text : {mlp_text(spec), cnn_text(spec)}) {
    if (parses_back(text, spec)) return text;
  }
  // Readable list: "input 28x28x1 -> conv2d c8k3 (frozen) -> leaky_relu(0.2) -> dense 10 | loss".
  std::string s = "input " + shape_text(spec.input);
  for (uint32_t i = 0; i < spec.n_layers && i < kMaxLayers; ++i) {
    const LayerSpec& l = spec.layers[i];
    s += " -> ";
    s += layer_kind_name(l.kind);
    if (l.kind == LayerKind::kDense) {
      s += " " + std::to_string(l.units);
    } else if (layer_has_window(l.kind)) {
      s += " " + window_token(l);
    } else if (l.kind == LayerKind::kLeakyReLU) {
      char buf[32];
      snprintf(buf, sizeof(buf), "(%g)", static_cast<double>(l.alpha));
      s += buf;
    }
    if (layer_has_params(l.kind) && !l.trainable) s += " (frozen)";
  }
  s += std::string(" | loss ") + loss_kind_name(spec.loss);
  return s;
}

}  // namespace tinyprop::host
