// C API: building a model spec layer by layer, or from an exported model (checked against its
// parameter count and checksum).
#include "capi_internal.h"

using namespace tinyprop;
using namespace tinyprop::capi;

namespace {

bool kind_in_range(uint32_t kind) { return kind <= static_cast<uint32_t>(LayerKind::kFlatten); }
bool loss_in_range(uint32_t loss) {
  return loss <= static_cast<uint32_t>(LossKind::kMeanSquaredError);
}

LayerSpec to_cpp(const tp_layer& l) {
  LayerSpec s;
  s.kind = static_cast<LayerKind>(l.kind);
  s.units = l.units;
  s.alpha = l.alpha;
  s.trainable = l.trainable != 0;
  s.filters = l.filters;
  s.kernel_h = l.kernel_h;
  s.kernel_w = l.kernel_w;
  s.stride_h = l.stride_h;
  s.stride_w = l.stride_w;
  s.pad_h = l.pad_h;
  s.pad_w = l.pad_w;
  s.pad_same = l.pad_same != 0;
  return s;
}

}  // namespace

extern "C" {

void tp_layer_default(tp_layer* layer, tp_layer_kind kind) {
  if (layer == nullptr) return;
  const LayerSpec d;
  layer->kind = kind;
  layer->units = d.units;
  layer->alpha = d.alpha;
  layer->trainable = d.trainable ? 1 : 0;
  layer->filters = d.filters;
  layer->kernel_h = d.kernel_h;
  layer->kernel_w = d.kernel_w;
  layer->stride_h = d.stride_h;
  layer->stride_w = d.stride_w;
  layer->pad_h = d.pad_h;
  layer->pad_w = d.pad_w;
  layer->pad_same = d.pad_same ? 1 : 0;
}

tp_status tp_spec_init(tp_spec* spec, uint32_t h, uint32_t w, uint32_t c, tp_loss loss) {
  if (spec == nullptr || !loss_in_range(static_cast<uint32_t>(loss))) return TP_INVALID_ARGUMENT;
  ModelSpec* s = new (spec->storage.raw, Construct{}) ModelSpec();
  s->input.h = h;
  s->input.w = w;
  s->input.c = c;
  s->loss = static_cast<LossKind>(loss);
  return TP_OK;
}

tp_status tp_spec_add_dense(tp_spec* spec, uint32_t units, int trainable) {
  if (spec == nullptr) return TP_INVALID_ARGUMENT;
  return to_c(spec_of(spec)->add_dense(units, trainable != 0));
}

tp_status tp_spec_add_activation(tp_spec* spec, tp_layer_kind kind, float alpha) {
  if (spec == nullptr || !kind_in_range(static_cast<uint32_t>(kind))) return TP_INVALID_ARGUMENT;
  return to_c(spec_of(spec)->add_activation(static_cast<LayerKind>(kind), alpha));
}

tp_status tp_spec_add_conv2d(tp_spec* spec, uint32_t filters, uint32_t kernel, uint32_t stride,
                             uint32_t pad, int trainable) {
  if (spec == nullptr) return TP_INVALID_ARGUMENT;
  return to_c(spec_of(spec)->add_conv2d(filters, kernel, stride, pad, trainable != 0));
}

tp_status tp_spec_add_depthwise_conv2d(tp_spec* spec, uint32_t kernel, uint32_t stride,
                                       uint32_t pad, int trainable) {
  if (spec == nullptr) return TP_INVALID_ARGUMENT;
  return to_c(spec_of(spec)->add_depthwise_conv2d(kernel, stride, pad, trainable != 0));
}

tp_status tp_spec_add_max_pool2d(tp_spec* spec, uint32_t size, uint32_t stride, uint32_t pad) {
  if (spec == nullptr) return TP_INVALID_ARGUMENT;
  return to_c(spec_of(spec)->add_max_pool2d(size, stride, pad));
}

tp_status tp_spec_add_avg_pool2d(tp_spec* spec, uint32_t size, uint32_t stride, uint32_t pad) {
  if (spec == nullptr) return TP_INVALID_ARGUMENT;
  return to_c(spec_of(spec)->add_avg_pool2d(size, stride, pad));
}

tp_status tp_spec_add_global_avg_pool(tp_spec* spec) {
  if (spec == nullptr) return TP_INVALID_ARGUMENT;
  return to_c(spec_of(spec)->add_global_avg_pool());
}

tp_status tp_spec_add_flatten(tp_spec* spec) {
  if (spec == nullptr) return TP_INVALID_ARGUMENT;
  return to_c(spec_of(spec)->add_flatten());
}

tp_status tp_spec_add_layer(tp_spec* spec, const tp_layer* layer) {
  if (spec == nullptr || layer == nullptr || !kind_in_range(static_cast<uint32_t>(layer->kind))) {
    return TP_INVALID_ARGUMENT;
  }
  return to_c(spec_of(spec)->add(to_cpp(*layer)));
}

tp_status tp_spec_make_mlp(tp_spec* spec, const uint32_t* sizes, uint32_t n_sizes,
                           tp_layer_kind hidden) {
  if (spec == nullptr || !kind_in_range(static_cast<uint32_t>(hidden))) return TP_INVALID_ARGUMENT;
  ModelSpec* s = new (spec->storage.raw, Construct{}) ModelSpec();
  return to_c(make_mlp(s, sizes, n_sizes, static_cast<LayerKind>(hidden)));
}

tp_status tp_spec_set_trainable(tp_spec* spec, uint32_t layer, int trainable) {
  if (spec == nullptr || layer >= spec_of(spec)->n_layers) return TP_INVALID_ARGUMENT;
  LayerSpec& l = spec_of(spec)->layers[layer];
  if (!layer_has_params(l.kind)) return TP_INVALID_ARGUMENT;
  l.trainable = trainable != 0;
  return TP_OK;
}

tp_status tp_spec_validate(const tp_spec* spec) {
  if (spec == nullptr) return TP_INVALID_ARGUMENT;
  return to_c(spec_of(spec)->validate());
}

uint32_t tp_spec_layer_count(const tp_spec* spec) { return spec_of(spec)->n_layers; }
uint32_t tp_spec_param_count(const tp_spec* spec) { return spec_of(spec)->param_count(); }
uint32_t tp_spec_input_size(const tp_spec* spec) { return spec_of(spec)->input.size(); }
uint32_t tp_spec_output_size(const tp_spec* spec) { return spec_of(spec)->output_shape().size(); }

uint32_t tp_params_checksum(const float* params, uint32_t count) {
  uint32_t h = 2166136261u;  // FNV-1a offset basis
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t bits = 0;
    __builtin_memcpy(&bits, &params[i], sizeof bits);
    for (uint32_t byte = 0; byte < 4; ++byte) {
      h ^= (bits >> (8 * byte)) & 0xFFu;
      h *= 16777619u;  // FNV prime
    }
  }
  return h;
}

tp_status tp_spec_from_export(tp_spec* spec, const tp_exported_model* e) {
  if (spec == nullptr || e == nullptr || e->params == nullptr) return TP_INVALID_ARGUMENT;
  if (e->api_version != TINYPROP_C_API_VERSION) return TP_UNSUPPORTED;
  if (e->n_layers > TP_MAX_LAYERS) return TP_TOO_MANY_LAYERS;
  const tp_status s =
      tp_spec_init(spec, e->input_h, e->input_w, e->input_c, static_cast<tp_loss>(e->loss));
  if (s != TP_OK) return s;
  ModelSpec* m = spec_of(spec);
  for (uint32_t i = 0; i < e->n_layers; ++i) {
    if (!kind_in_range(e->kinds[i])) return TP_MODEL_MISMATCH;
    LayerSpec l;
    l.kind = static_cast<LayerKind>(e->kinds[i]);
    l.units = static_cast<uint32_t>(e->units[i]);
    l.alpha = e->alpha[i];
    l.trainable = e->trainable[i] != 0;
    l.filters = static_cast<uint32_t>(e->filters[i]);
    l.kernel_h = e->kernel_h[i];
    l.kernel_w = e->kernel_w[i];
    l.stride_h = e->stride_h[i];
    l.stride_w = e->stride_w[i];
    l.pad_h = e->pad_h[i];
    l.pad_w = e->pad_w[i];
    l.pad_same = e->pad_same[i] != 0;
    const Status added = m->add(l);
    if (!ok(added)) return to_c(added);
  }
  const Status valid = m->validate();
  if (!ok(valid)) return to_c(valid);
  // The tables and the weights must belong together: same count, and the weights as exported.
  if (m->param_count() != e->param_count ||
      tp_params_checksum(e->params, e->param_count) != e->params_checksum) {
    return TP_MODEL_MISMATCH;
  }
  return TP_OK;
}

}  // extern "C"
