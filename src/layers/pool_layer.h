// Layer glue of the parameter-free shape layers: MaxPool2D, AvgPool2D, GlobalAvgPool, Flatten.
// Internal header. Their backward is dense (no selection) and counts no MACs (docs/CONV.md).
#pragma once
#include <stdint.h>

#include "tinyprop/model.h"

namespace tinyprop {

void pool_layer_forward(Layer& layer, const float* in);

// dx [in_size] from dy [out_size]; x is the layer's input from the forward pass. Returns false
// when the error needs no change (Flatten: HWC memory is already flat) and dx was not written.
bool pool_layer_backward(const Layer& layer, const float* x, const float* dy, float* dx);

}  // namespace tinyprop
