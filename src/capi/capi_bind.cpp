// C API: planning and binding into the caller's arena (reporting the bytes needed), with
// pretrained parameters, and in one call from an exported model.
#include "capi_internal.h"

using namespace tinyprop;
using namespace tinyprop::capi;

namespace {

bool config_in_range(const tp_train_config& c) {
  return static_cast<uint32_t>(c.optimizer) <= static_cast<uint32_t>(OptimizerKind::kAdam) &&
         static_cast<uint32_t>(c.method) <= static_cast<uint32_t>(Method::kBudget) &&
         static_cast<uint32_t>(c.conv_selection) <= static_cast<uint32_t>(ConvSelection::kChannel);
}

bool frozen_in_range(tp_frozen f) {
  return static_cast<uint32_t>(f) <= static_cast<uint32_t>(FrozenParams::kInPlace);
}

bool args_ok(const tp_spec* spec, const tp_train_config* config, tp_frozen frozen,
             const tp_model* model, const tp_trainer* trainer) {
  return spec != nullptr && model != nullptr && frozen_in_range(frozen) &&
         (config == nullptr) == (trainer == nullptr) &&
         (config == nullptr || config_in_range(*config));
}

// Plans model alone (trainer null) or model + trainer, laid out in the caller's objects (which
// are left unbound), so that no Model or Trainer sits on the stack.
Status plan_in(const ModelSpec& spec, const tp_train_config* config, FrozenParams frozen,
               tp_model* model, tp_trainer* trainer, MemoryPlan* plan) {
  Model* m = new (model->storage.raw, Construct{}) Model();
  if (trainer == nullptr) return Model::plan(spec, plan, frozen, m);
  Trainer* t = new (trainer->storage.raw, Construct{}) Trainer();
  return Trainer::plan(spec, to_cpp(*config), plan, frozen, m, t);
}

// The shared binding path: params null binds without parameters (tp_bind).
tp_status bind(const tp_spec* spec, const tp_train_config* config, const float* params,
               tp_frozen frozen, void* arena, size_t arena_bytes, tp_model* model,
               tp_trainer* trainer, size_t* needed) {
  if (needed != nullptr) *needed = 0;
  if (!args_ok(spec, config, frozen, model, trainer) || arena == nullptr) {
    return TP_INVALID_ARGUMENT;
  }
  const ModelSpec& s = *spec_of(spec);
  const FrozenParams where = static_cast<FrozenParams>(frozen);
  // Plan first, so that `needed` is known even when the arena is too small.
  MemoryPlan plan;
  Status st = plan_in(s, config, where, model, trainer, &plan);
  if (!ok(st)) return to_c(st);
  if (needed != nullptr) *needed = plan.total();

  Model* m = model_of(model);
  Arena a(arena, arena_bytes);
  st = params == nullptr ? m->bind(s, a) : m->bind_pretrained(s, a, params, where);
  if (ok(st) && trainer != nullptr) st = trainer_of(trainer)->bind(*m, to_cpp(*config), a);
  return to_c(st);
}

}  // namespace

extern "C" {

tp_status tp_plan(const tp_spec* spec, const tp_train_config* config, tp_frozen frozen,
                  tp_model* model, tp_trainer* trainer, tp_memory_plan* plan) {
  if (!args_ok(spec, config, frozen, model, trainer) || plan == nullptr) {
    return TP_INVALID_ARGUMENT;
  }
  MemoryPlan p;
  const Status s =
      plan_in(*spec_of(spec), config, static_cast<FrozenParams>(frozen), model, trainer, &p);
  if (!ok(s)) return to_c(s);
  for (uint32_t r = 0; r < TP_REGION_COUNT; ++r) plan->bytes[r] = p.bytes[r];
  plan->total = p.total();
  return TP_OK;
}

tp_status tp_bind(const tp_spec* spec, const tp_train_config* config, void* arena,
                  size_t arena_bytes, tp_model* model, tp_trainer* trainer, size_t* needed) {
  return bind(spec, config, nullptr, TP_FROZEN_IN_ARENA, arena, arena_bytes, model, trainer,
              needed);
}

tp_status tp_bind_pretrained(const tp_spec* spec, const tp_train_config* config,
                             const float* params, tp_frozen frozen, void* arena, size_t arena_bytes,
                             tp_model* model, tp_trainer* trainer, size_t* needed) {
  if (params == nullptr) {
    if (needed != nullptr) *needed = 0;
    return TP_INVALID_ARGUMENT;
  }
  return bind(spec, config, params, frozen, arena, arena_bytes, model, trainer, needed);
}

tp_status tp_bind_exported(const tp_exported_model* exported, const tp_train_config* config,
                           tp_frozen frozen, void* arena, size_t arena_bytes, tp_model* model,
                           tp_trainer* trainer, size_t* needed) {
  if (needed != nullptr) *needed = 0;
  // The spec lives inside the model's storage only while binding would overwrite it, so it
  // gets storage of its own here; 1 KB of stack at most (TP_SPEC_BYTES).
  tp_spec spec;
  const tp_status s = tp_spec_from_export(&spec, exported);
  if (s != TP_OK) return s;
  return tp_bind_pretrained(&spec, config, exported->params, frozen, arena, arena_bytes, model,
                            trainer, needed);
}

}  // extern "C"
