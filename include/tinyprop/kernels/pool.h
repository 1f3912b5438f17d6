// Pooling kernels (channels-last; window.h). No parameters, so their backward is dense: it
// routes the error of every output element back to its window.
#pragma once
#include <stdint.h>

#include "tinyprop/kernels/window.h"

namespace tinyprop {

// y[oy, ox, c] = max over the window's real inputs (padding never wins); out_c = in_c.
void max_pool2d_forward(float* y, const float* x, const WindowGeometry& g);
// dx[argmax(e)] += dy[e], with the argmax recomputed from x (the first maximum in window scan
// order, as the forward pass and PyTorch pick it), so no index buffer is kept. Overwrites dx.
void max_pool2d_backward_input(float* dx, const float* x, const float* dy,
                               const WindowGeometry& g);

// y[oy, ox, c] = mean over the window's real inputs (padding is not counted, as TF "same" and
// PyTorch's count_include_pad=False).
void avg_pool2d_forward(float* y, const float* x, const WindowGeometry& g);
// dx[window(e)] += dy[e] / count(e). Overwrites dx.
void avg_pool2d_backward_input(float* dx, const float* dy, const WindowGeometry& g);

// y[c] = (1 / hw) sum_p x[p, c] over the hw pixels of an [hw, c] map.
void global_avg_pool_forward(float* y, const float* x, uint32_t hw, uint32_t c);
// dx[p, c] = dy[c] / hw.
void global_avg_pool_backward_input(float* dx, const float* dy, uint32_t hw, uint32_t c);

}  // namespace tinyprop
