// Convolution kernels (channels-last), plain functions over raw buffers. See window.h for the
// layout and docs/CONV.md for the math.
//
// As for dense layers, backward kernels take an element list: `elems` holds selected output
// elements e = (oy * out_w + ox) * out_c + c (n_elems of them), or is null for "all elements
// 0..n_elems-1" (then n_elems = out_h * out_w * out_c). Full backprop is the same code with
// elems = null, which is what makes ratio-1 sparse training bit-identical to full training.
// Each listed element costs k_h * k_w * in_c MACs (conv2d) or k_h * k_w (depthwise) per kernel,
// fewer at the borders where taps fall on padding.
#pragma once
#include <stdint.h>

#include "tinyprop/kernels/window.h"

namespace tinyprop {

// ---- Conv2D: w [out_c, k_h, k_w, in_c] (one contiguous filter per output channel), b [out_c]

// y[oy, ox, c] = b[c] + sum_{ky, kx, ci} w[c, ky, kx, ci] x[oy s - p + ky, ox s - p + kx, ci]
// (b may be null)
void conv2d_forward(float* y, const float* x, const float* w, const float* b,
                    const WindowGeometry& g);

// Zero-skipping: the same y, bit for bit (a zero result is +0 on both), with the window rows
// whose inputs are all +0 or -0 left out. Returns the MACs done. A non-finite weight against a
// skipped zero gives NaN in conv2d_forward and not here.
uint64_t conv2d_forward_skip_zeros(float* y, const float* x, const float* w, const float* b,
                                   const WindowGeometry& g);

// dx = sum_{e in elems} dy[e] * w[c(e)] placed on e's window   (overwrites dx [in_h, in_w, in_c])
void conv2d_backward_input(float* dx, const float* w, const float* dy, const uint32_t* elems,
                           uint32_t n_elems, const WindowGeometry& g);

// dw[c(e)] += dy[e] * x[e's window]   for e in elems   (accumulates into dw [out_c, k_h, k_w, in_c])
void conv2d_accumulate_weight_grad(float* dw, const float* x, const float* dy,
                                   const uint32_t* elems, uint32_t n_elems,
                                   const WindowGeometry& g);

// Both of the above in one walk over the elements (each window resolved once for dx and dW):
// dx and dw get exactly the operations, in the same order, of conv2d_backward_input followed
// by conv2d_accumulate_weight_grad, so the same bits.
void conv2d_backward_input_and_weight_grad(float* dx, float* dw, const float* w,
                                           const float* x, const float* dy,
                                           const uint32_t* elems, uint32_t n_elems,
                                           const WindowGeometry& g);

// The same, skipping window rows whose inputs are all exact zeros (their products add +-0 to a
// dw entry, which dw, a sum from +0, never changes by; a non-finite dy[e] is the exception).
// Same bits as conv2d_accumulate_weight_grad when dw holds no -0. Returns the MACs done.
uint64_t conv2d_accumulate_weight_grad_skip_zeros(float* dw, const float* x, const float* dy,
                                                  const uint32_t* elems, uint32_t n_elems,
                                                  const WindowGeometry& g);

// ---- DepthwiseConv2D (depth multiplier 1): w [c, k_h, k_w] (one contiguous filter per
// channel), b [c]; out_c = in_c.

// y[oy, ox, c] = b[c] + sum_{ky, kx} w[c, ky, kx] x[oy s - p + ky, ox s - p + kx, c]
void depthwise_conv2d_forward(float* y, const float* x, const float* w, const float* b,
                              const WindowGeometry& g);

// dx[window(e), c(e)] += dy[e] * w[c(e), :, :] for e in elems   (overwrites dx)
void depthwise_conv2d_backward_input(float* dx, const float* w, const float* dy,
                                     const uint32_t* elems, uint32_t n_elems,
                                     const WindowGeometry& g);

// dw[c(e), :, :] += dy[e] * x[window(e), c(e)]   (accumulates into dw [c, k_h, k_w])
void depthwise_conv2d_accumulate_weight_grad(float* dw, const float* x, const float* dy,
                                             const uint32_t* elems, uint32_t n_elems,
                                             const WindowGeometry& g);

// ---- Both: db[c(e)] += dy[e] for e in elems (null: all elements, per channel in position order)
void conv_accumulate_bias_grad(float* db, const float* dy, const uint32_t* elems,
                               uint32_t n_elems, uint32_t out_c);

}  // namespace tinyprop
