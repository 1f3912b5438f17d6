// Layer glue of the convolutions (Conv2D, DepthwiseConv2D): forward, init, the sparse backward
// with element or channel selection, and the touched-filter optimizer update. Internal header.
// The math and the cost model are in docs/CONV.md.
#pragma once
#include <stdint.h>

#include "tinyprop/kernels/window.h"
#include "tinyprop/model.h"
#include "tinyprop/optimizer.h"
#include "tinyprop/rng.h"
#include "tinyprop/sparsity.h"
#include "tinyprop/trainer.h"

namespace tinyprop {

// The window geometry of a conv or pooling layer, from its spec and bound shapes.
WindowGeometry layer_window(const Layer& layer);

// Buffers the trainer lends the conv backward (sized at bind time).
struct ConvScratch {
  uint32_t* elems = nullptr;          // [widest trainable out_size] selected output elements
  uint32_t* channel_idx = nullptr;    // [widest conv C_out] selected channels (channel mode)
  float* channel_error = nullptr;     // [widest conv C_out] L1 norm per channel (channel mode)
};

#if TINYPROP_WITH_CONV
// MACs of one output element in one backward kernel (weight gradient, or error to the layer
// below), counted nominally (taps on padding included): k_h k_w c_in, or k_h k_w (depthwise).
uint64_t conv_macs_per_output(const Layer& layer);

void conv_layer_forward(Layer& layer, const float* in);
// He uniform over the fan-in of one output: bound sqrt(6 / (k_h k_w c_in)); zero biases.
void conv_layer_init_params(Layer& layer, Rng& rng);

// Sparse backward of a trainable conv layer for one sample, before any parameter changes:
//   element mode: E = the d.k output elements with the largest |dy| (all when d.k = N)
//   channel mode: E = every element of the k_c = k_for_ratio(d.ratio, C_out) channels with the
//                 largest sum |dy| over H_out x W_out (all when k_c = C_out)
//   dx = sum_{e in E} dy[e] W[c(e)] on e's window   (only when dx is not null)
//   dW[c(e)] += dy[e] x[window(e)] for e in E;  touched[c(e)] = 1
//   db += dy over all elements (sparse_bias: over E only)
// "All" passes a null list, so full selection runs the very code of full backprop. Returns
// |E| (elements processed); adds the selection's comparisons to *comparisons and the MACs the
// weight gradient actually did (zero-skipping, conv_skips_zeros) to *wgrad_macs_done.
uint32_t conv_backward(const Layer& layer, LayerTrainState& st, const float* x, const float* dy,
                       float* dx, const RatioDecision& d, const SparsityConfig& cfg,
                       const ConvScratch& scratch, uint64_t* comparisons,
                       uint64_t* wgrad_macs_done);

// Whether the layer's forward pass and weight gradient skip window rows of exact-zero inputs:
// zero-skipping on (Model::set_zero_skipping), a Conv2D (not depthwise), and a window row of at
// most kConvZeroSkipMaxRun inputs (k_w in_c), where the zero check costs less than it saves
// (measured: docs/CONV.md, "Zero-skipping").
constexpr uint32_t kConvZeroSkipMaxRun = 4;
bool conv_skips_zeros(const Layer& layer);

// A frozen conv layer between trainable ones: the full error to the layer below.
void conv_backward_input_all(const Layer& layer, const float* dy, float* dx);

// The touched filters' update: layer_apply_accumulated (layer.h), shared with dense layers.

#else
// Convolutions compiled out (TINYPROP_WITH_CONV=0): ModelSpec::validate() refuses them
// (kKindDisabled), so these are never called; they let the layer dispatch compile unchanged.
inline uint64_t conv_macs_per_output(const Layer&) { return 0; }
inline void conv_layer_forward(Layer&, const float*) {}
inline void conv_layer_init_params(Layer&, Rng&) {}
inline uint32_t conv_backward(const Layer&, LayerTrainState&, const float*, const float*, float*,
                              const RatioDecision&, const SparsityConfig&, const ConvScratch&,
                              uint64_t*, uint64_t*) {
  return 0;
}
inline void conv_backward_input_all(const Layer&, const float*, float*) {}
#endif  // TINYPROP_WITH_CONV

}  // namespace tinyprop
