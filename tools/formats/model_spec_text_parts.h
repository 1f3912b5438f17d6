// Pieces of the text model spec grammar shared by its parser (model_spec_text.cpp) and its writer
// (model_spec_describe.cpp).
#pragma once

#include <stdint.h>

#include <string>

#include "tinyprop/spec.h"

namespace tinyprop::host {

// "28x28x1": height x width x channels.
std::string shape_text(const Shape& s);
// "3" for a square pair, "3x5" for height 3, width 5.
std::string pair_text(uint32_t h, uint32_t w);

}  // namespace tinyprop::host
