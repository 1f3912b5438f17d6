// The C API's glue (include/tinyprop/tinyprop_c.h): the opaque storage structs hold the C++
// objects, statuses and enumerations convert by value. Internal header.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "tinyprop/tinyprop.h"
#include "tinyprop/tinyprop_c.h"

namespace tinyprop::capi {

// Placement construction without <new> (bare-metal toolchains may ship no C++ library headers):
// an allocation function of our own signature, found through the tag argument.
struct Construct {};

}  // namespace tinyprop::capi

inline void* operator new(size_t, void* where, tinyprop::capi::Construct) noexcept { return where; }

namespace tinyprop::capi {

static_assert(sizeof(ModelSpec) <= TP_SPEC_BYTES, "tp_spec storage too small");
static_assert(sizeof(Model) <= TP_MODEL_BYTES, "tp_model storage too small");
static_assert(sizeof(Trainer) <= TP_TRAINER_BYTES, "tp_trainer storage too small");
static_assert(alignof(ModelSpec) <= alignof(tp_spec), "tp_spec alignment");
static_assert(alignof(Model) <= alignof(tp_model), "tp_model alignment");
static_assert(alignof(Trainer) <= alignof(tp_trainer), "tp_trainer alignment");
static_assert(kMaxLayers == TP_MAX_LAYERS && kArenaAlignment == TP_ARENA_ALIGNMENT &&
                  static_cast<uint32_t>(Region::kCount) == TP_REGION_COUNT,
              "C API capacities out of date");
static_assert(static_cast<int>(Status::kKindDisabled) == TP_KIND_DISABLED,
              "C API statuses out of date");

inline ModelSpec* spec_of(tp_spec* s) { return reinterpret_cast<ModelSpec*>(s->storage.raw); }
inline const ModelSpec* spec_of(const tp_spec* s) {
  return reinterpret_cast<const ModelSpec*>(s->storage.raw);
}
inline Model* model_of(tp_model* m) { return reinterpret_cast<Model*>(m->storage.raw); }
inline const Model* model_of(const tp_model* m) {
  return reinterpret_cast<const Model*>(m->storage.raw);
}
inline Trainer* trainer_of(tp_trainer* t) { return reinterpret_cast<Trainer*>(t->storage.raw); }
inline const Trainer* trainer_of(const tp_trainer* t) {
  return reinterpret_cast<const Trainer*>(t->storage.raw);
}

// C++ statuses keep their values in tp_status.
inline tp_status to_c(Status s) { return static_cast<tp_status>(s); }

TrainConfig to_cpp(const tp_train_config& c);
void copy_counters(const StepCounters& from, tp_step_counters* to);

}  // namespace tinyprop::capi
