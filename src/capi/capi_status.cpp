// C API: statuses, names, storage sizes, training configurations.
#include "capi_internal.h"

using namespace tinyprop;
using namespace tinyprop::capi;

namespace tinyprop::capi {

TrainConfig to_cpp(const tp_train_config& c) {
  TrainConfig t;
  t.optimizer.kind = static_cast<OptimizerKind>(c.optimizer);
  t.optimizer.learning_rate = c.learning_rate;
  t.optimizer.momentum = c.momentum;
  t.optimizer.beta1 = c.beta1;
  t.optimizer.beta2 = c.beta2;
  t.optimizer.epsilon = c.epsilon;
  t.sparsity.method = static_cast<Method>(c.method);
  t.sparsity.ratio = c.ratio;
  t.sparsity.s_min = c.s_min;
  t.sparsity.s_max = c.s_max;
  t.sparsity.zeta = c.zeta;
  t.sparsity.skip_threshold = c.skip_threshold;
  t.sparsity.y_max_decay = c.y_max_decay;
  t.sparsity.sparse_bias = c.sparse_bias != 0;
  t.sparsity.conv_selection = static_cast<ConvSelection>(c.conv_selection);
  t.sparsity.budget = c.budget;
  t.sparsity.max_backward_macs = c.max_backward_macs;
  t.batch_size = c.batch_size;
  return t;
}

}  // namespace tinyprop::capi

extern "C" {

size_t tp_spec_storage_bytes(void) { return sizeof(ModelSpec); }
size_t tp_model_storage_bytes(void) { return sizeof(Model); }
size_t tp_trainer_storage_bytes(void) { return sizeof(Trainer); }

const char* tp_status_name(tp_status s) {
  if (s == TP_MODEL_MISMATCH) return "exported model does not match its parameters";
  return status_name(static_cast<Status>(s));
}

const char* tp_region_name(tp_region region) { return region_name(static_cast<Region>(region)); }

void tp_train_config_default(tp_train_config* config) {
  if (config == nullptr) return;
  const TrainConfig t;
  config->optimizer = static_cast<tp_optimizer>(t.optimizer.kind);
  config->learning_rate = t.optimizer.learning_rate;
  config->momentum = t.optimizer.momentum;
  config->beta1 = t.optimizer.beta1;
  config->beta2 = t.optimizer.beta2;
  config->epsilon = t.optimizer.epsilon;
  config->method = static_cast<tp_method>(t.sparsity.method);
  config->ratio = t.sparsity.ratio;
  config->s_min = t.sparsity.s_min;
  config->s_max = t.sparsity.s_max;
  config->zeta = t.sparsity.zeta;
  config->skip_threshold = t.sparsity.skip_threshold;
  config->y_max_decay = t.sparsity.y_max_decay;
  config->sparse_bias = t.sparsity.sparse_bias ? 1 : 0;
  config->conv_selection = static_cast<tp_conv_selection>(t.sparsity.conv_selection);
  config->budget = t.sparsity.budget;
  config->max_backward_macs = t.sparsity.max_backward_macs;
  config->batch_size = t.batch_size;
}

tp_status tp_train_config_validate(const tp_train_config* config) {
  if (config == nullptr) return TP_INVALID_ARGUMENT;
  return to_c(to_cpp(*config).validate());
}

tp_status tp_method_parse(const char* text, tp_method* method) {
  Method m = Method::kFull;
  if (text == nullptr || method == nullptr || !parse_method(text, &m)) return TP_INVALID_ARGUMENT;
  *method = static_cast<tp_method>(m);
  return TP_OK;
}

const char* tp_method_name(tp_method method) { return method_name(static_cast<Method>(method)); }

}  // extern "C"
