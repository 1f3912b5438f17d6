// Dense-layer kernels: plain functions over raw buffers.
//
// Backward kernels take a row list: `rows` holds the selected output neurons (n_rows of them),
// or is null for "all rows 0..n_rows-1". Full backprop is the same code with rows = null, which
// is what makes ratio-1 sparse training bit-identical to full training.
#pragma once
#include <stdint.h>

namespace tinyprop {

// y[j] = b[j] + sum_i w[j, i] x[i]            w: [n_out, n_in], b may be null
void dense_forward(float* y, const float* x, const float* w, const float* b, uint32_t n_in,
                   uint32_t n_out);

// dx = sum_{j in rows} dy[j] * w[j, :]        (overwrites dx [n_in])
void dense_backward_input(float* dx, const float* w, const float* dy, const uint32_t* rows,
                          uint32_t n_rows, uint32_t n_in);

// dw[j, :] += dy[j] * x   for j in rows        (accumulates into dw [n_out, n_in])
void dense_accumulate_weight_grad(float* dw, const float* x, const float* dy,
                                  const uint32_t* rows, uint32_t n_rows, uint32_t n_in);

// Dot product with a fixed 4-way accumulation order (same bits on every platform).
float dot(const float* a, const float* b, uint32_t n);
// y += a * x
void axpy(float* y, float a, const float* x, uint32_t n);

}  // namespace tinyprop
