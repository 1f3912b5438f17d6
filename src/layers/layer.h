// Layer glue: forward dispatch and the dense layer's parameter updates (convolutions and pooling
// in conv_layer.h, pool_layer.h). Internal header.
#pragma once
#include <stdint.h>

#include "tinyprop/model.h"
#include "tinyprop/optimizer.h"
#include "tinyprop/rng.h"
#include "tinyprop/trainer.h"

namespace tinyprop {

// out = layer(in). keep (a dense layer's training state, or null): its input_blocks list
// receives the input's nonzero-block list for the weight update (input_blocks_kept).
void layer_forward(Layer& layer, const float* in, LayerTrainState* keep = nullptr);
// Forward MACs of one sample through this layer.
uint64_t layer_forward_macs(const Layer& layer);
// MACs of one output element in one backward kernel (the weight gradient, or the error to the
// layer below): dense in_size, conv2d k_h k_w c_in, depthwise k_h k_w; 0 without parameters.
uint64_t layer_backward_macs_per_output(const Layer& layer);
// Initial parameter values.
void layer_init_params(Layer& layer, Rng& rng);

// Batch size 1: the weight gradient row dy[j] * x is applied straight to row j of W by the
// optimizer, so no gradient buffer exists. Bias gets delta (all rows, or the selected ones with
// sparse_bias). Returns the number of parameters updated.
uint64_t dense_update_fused(const Layer& layer, LayerTrainState& st, const float* x,
                            const float* dy, const uint32_t* rows, uint32_t k,
                            const OptimizerConfig& cfg, const OptimizerStep& step,
                            bool sparse_bias, uint64_t* macs_done);

// Batch size > 1: accumulates dW rows and db, marking the rows touched.
// Both add the weight-gradient MACs actually done (zero-skipping) to *macs_done.
void dense_accumulate(const Layer& layer, LayerTrainState& st, const float* x, const float* dy,
                      const uint32_t* rows, uint32_t k, bool sparse_bias, uint64_t* macs_done);

// Row j (length len) of a row-major parameter or state buffer; null stays null (absent state).
inline float* param_row(float* base, uint32_t j, uint32_t len) {
  return base == nullptr ? nullptr : base + static_cast<uint64_t>(j) * len;
}

// Applies scale * dW (scale = 1 / samples: the mean gradient) to the touched rows and their
// biases (all biases unless sparse_bias), then clears what it applied. A row is what one bias
// belongs to: a dense neuron (in_size weights) or a conv filter (k_h k_w c_in, or k_h k_w for
// depthwise), so rows = n_bias of length n_weights / n_bias for every parameter layer.
// Untouched rows and their optimizer state stay as they are (lazy semantics,
// docs/ALGORITHM.md). Returns the number of parameters updated.
uint64_t layer_apply_accumulated(const Layer& layer, LayerTrainState& st,
                                 const OptimizerConfig& cfg, const OptimizerStep& step,
                                 float scale, bool sparse_bias);

}  // namespace tinyprop
