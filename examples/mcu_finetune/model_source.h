// The pretrained model built into the firmware: a header written by `tinyprop export` (or by
// the same exporter, tools/formats/export_c.cpp, called from mcu_prepare), named by the build option
// MCU_MODEL_HEADER, with the C symbol prefix MCU_MODEL_SYMBOL. Its weights are
// `static const float <symbol>_params[]` and so live in flash; the firmware copies them into the
// RAM arena. `<symbol>_build_spec()` rebuilds the architecture.
#pragma once
#include <stdint.h>

#include "tinyprop/spec.h"

#ifndef MCU_MODEL_HEADER
#error "MCU_MODEL_HEADER must name the exported model header"
#endif
#ifndef MCU_MODEL_SYMBOL
#define MCU_MODEL_SYMBOL mcu_model
#endif
#include MCU_MODEL_HEADER

#define MCU_CONCAT2(a, b) a##b
#define MCU_CONCAT(a, b) MCU_CONCAT2(a, b)

namespace mcu {

// Every member has a constant default, so a global BuiltinModel is constant-initialised: all
// zero bytes (an empty ModelSpec), in .bss (tests/mcu/run-tests.sh checks the firmware's).
struct BuiltinModel {
  tinyprop::ModelSpec spec;
  const float* params = nullptr;  // Model::params() order
  uint32_t n_params = 0;
};

inline void load_builtin_model(BuiltinModel* m) {
  MCU_CONCAT(MCU_MODEL_SYMBOL, _build_spec)(&m->spec);
  m->params = MCU_CONCAT(MCU_MODEL_SYMBOL, _params);
  m->n_params = static_cast<uint32_t>(sizeof MCU_CONCAT(MCU_MODEL_SYMBOL, _params) / sizeof(float));
}

}  // namespace mcu
