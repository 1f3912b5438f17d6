// Layer glue of the parameter-free shape layers: MaxPool2D, AvgPool2D, GlobalAvgPool, Flatten.
// Internal header. Their backward is dense (no selection) and counts no MACs (docs/CONV.md).
#pragma once
#include <stdint.h>

#include "tinyprop/model.h"

namespace tinyprop {

#if TINYPROP_WITH_POOL
void pool_layer_forward(Layer& layer, const float* in);

// dx [in_size] from dy [out_size]; x is the layer's input from the forward pass. Returns false
// when the error needs no change (Flatten: HWC memory is already flat) and dx was not written.
bool pool_layer_backward(const Layer& layer, const float* x, const float* dy, float* dx);

#else
// Pooling compiled out (TINYPROP_WITH_POOL=0): validation refuses pooling layers, so no layer
// is one (pool_layer_backward: "not a pooling layer").
inline void pool_layer_forward(Layer&, const float*) {}
inline bool pool_layer_backward(const Layer&, const float*, const float*, float*) { return false; }
#endif  // TINYPROP_WITH_POOL

}  // namespace tinyprop
