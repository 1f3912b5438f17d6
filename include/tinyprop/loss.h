// Losses: value and the error delta = dL/d(output) for one sample.
#pragma once
#include <stdint.h>

#include "tinyprop/spec.h"

namespace tinyprop {

// out: the last layer's output [n]. target_values may be null (then label is used: one-hot).
// Writes delta [n] and returns the loss. For softmax cross-entropy, delta = softmax(out) - y.
float loss_forward_backward(LossKind kind, const float* out, uint32_t n,
                            const float* target_values, uint32_t label, float* delta);

// e[i] = exp(z[i] - max z) over n values (shifted by the largest, so that nothing overflows);
// sets *zmax and returns sum e. softmax(z)_i = e[i] / sum.
float softmax_exponentials(const float* z, uint32_t n, float* e, float* zmax);

}  // namespace tinyprop
