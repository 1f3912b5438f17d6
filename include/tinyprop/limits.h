// Compile-time capacities. Everything in the core is sized by these constants or by the
// caller's arena; nothing grows at run time.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "tinyprop/config.h"

namespace tinyprop {

// Maximum number of layers (trainable and activation layers together) in one model: the
// compile-time option TINYPROP_MAX_LAYERS (tinyprop/config.h, default 24).
inline constexpr uint32_t kMaxLayers = TINYPROP_MAX_LAYERS;

// Largest number of floats in one buffer and of all parameters of a model together: indices
// stay within int32, and 4 * kMaxElements bytes cannot wrap a 64-bit size_t (on a 32-bit target
// the arena refuses sums that wrap its size_t). ModelSpec::validate() enforces it.
inline constexpr uint64_t kMaxElements = 0x7FFFFFFFull;

// Every buffer handed out of an arena starts on this boundary (bytes). The arena itself must
// start on it too, so that the planned byte count equals the bound byte count exactly.
inline constexpr size_t kArenaAlignment = 16;

}  // namespace tinyprop
