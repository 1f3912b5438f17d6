// Elementwise activations. Backward kernels need only the activation's output y, which is why
// activations can run in place: dx = dy * f'(y).
#pragma once
#include <stdint.h>

#include "tinyprop/spec.h"

namespace tinyprop {

// y = f(x); y may equal x.
void activation_forward(LayerKind kind, float alpha, float* y, const float* x, uint32_t n);
// d = d * f'(x) expressed through y = f(x), in place on d.
void activation_backward(LayerKind kind, float alpha, float* d, const float* y, uint32_t n);

}  // namespace tinyprop
