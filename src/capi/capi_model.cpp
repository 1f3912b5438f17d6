// C API: the bound model (parameters, inference, probabilities).
#include "capi_internal.h"
#include "tinyprop/loss.h"

using namespace tinyprop;
using namespace tinyprop::capi;

extern "C" {

tp_status tp_model_init_params(tp_model* model, uint64_t seed) {
  if (model == nullptr || !model_of(model)->bound()) return TP_NOT_BOUND;
  Rng rng(seed);
  model_of(model)->init_params(rng);
  return TP_OK;
}

tp_status tp_model_load_params(tp_model* model, const float* params, uint32_t count) {
  if (model == nullptr) return TP_INVALID_ARGUMENT;
  return to_c(model_of(model)->load_params(params, count));
}

tp_status tp_model_read_params(const tp_model* model, float* out, uint32_t count) {
  if (model == nullptr || out == nullptr) return TP_INVALID_ARGUMENT;
  const Model& m = *model_of(model);
  if (!m.bound()) return TP_NOT_BOUND;
  if (count != m.param_count()) return TP_INVALID_ARGUMENT;
  float* dst = out;
  for (uint32_t i = 0; i < m.n_layers(); ++i) {
    const Layer& l = m.layer(i);
    for (uint32_t j = 0; j < l.n_weights; ++j) *dst++ = l.w[j];
    for (uint32_t j = 0; j < l.n_bias; ++j) *dst++ = l.b[j];
  }
  return TP_OK;
}

uint32_t tp_model_first_nonfinite_layer(const tp_model* model) {
  return model_of(model)->first_nonfinite_layer();
}

uint32_t tp_model_param_count(const tp_model* model) { return model_of(model)->param_count(); }
uint32_t tp_model_input_size(const tp_model* model) { return model_of(model)->input_size(); }
uint32_t tp_model_output_size(const tp_model* model) { return model_of(model)->output_size(); }

const float* tp_model_forward(tp_model* model, const float* x) {
  return model_of(model)->forward(x);
}

uint32_t tp_model_predict(tp_model* model, const float* x) { return model_of(model)->predict(x); }

tp_status tp_model_probabilities(tp_model* model, const float* x, float* out, uint32_t n) {
  if (model == nullptr || x == nullptr || out == nullptr) return TP_INVALID_ARGUMENT;
  Model& m = *model_of(model);
  if (!m.bound()) return TP_NOT_BOUND;
  if (n != m.output_size()) return TP_INVALID_ARGUMENT;
  const LossKind loss = m.spec().loss;
  if (loss == LossKind::kMeanSquaredError) return TP_UNSUPPORTED;
  const float* z = m.forward(x);
  if (loss == LossKind::kBinaryCrossEntropy) {  // the outputs are probabilities already
    for (uint32_t i = 0; i < n; ++i) out[i] = z[i];
    return TP_OK;
  }
  // softmax(z)_i = exp(z_i - max z) / sum_j exp(z_j - max z), as the loss computes it.
  float zmax = 0.0f;
  const float inv = 1.0f / softmax_exponentials(z, n, out, &zmax);
  for (uint32_t i = 0; i < n; ++i) out[i] *= inv;
  return TP_OK;
}

}  // extern "C"
