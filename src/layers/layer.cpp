#include "layers/layer.h"

#include <math.h>

#include "layers/conv_layer.h"
#include "layers/pool_layer.h"
#include "tinyprop/kernels/activation.h"
#include "tinyprop/kernels/dense.h"

namespace tinyprop {

void layer_forward(Layer& layer, const float* in, LayerTrainState* keep) {
  layer.forward_macs_done = layer_forward_macs(layer);
  switch (layer.spec.kind) {
    case LayerKind::kDense: {
      NonzeroBlocks stack_list;
      BlockList nz;
      if (layer.zero_skip && keep != nullptr && keep->input_blocks != nullptr) {
        nz = find_nonzero_blocks_into(in, layer.in_size, keep->input_blocks);
      } else if (layer.zero_skip) {
        find_nonzero_blocks(in, layer.in_size, &stack_list);
        nz = stack_list;
      }
      if (keep != nullptr) {
        keep->input_block_count = nz.count;
        keep->input_blocks_skip = nz.skip;
        keep->input_blocks_kept = keep->input_blocks != nullptr;
      }
      layer.input_zero_blocks = nz.skip;
      layer.forward_macs_done =
          dense_forward_nz(layer.out, in, layer.w, layer.b, layer.in_size, layer.out_size, nz);
      break;
    }
    case LayerKind::kConv2D:
    case LayerKind::kDepthwiseConv2D:
      conv_layer_forward(layer, in);
      break;
    case LayerKind::kMaxPool2D:
    case LayerKind::kAvgPool2D:
    case LayerKind::kGlobalAvgPool:
    case LayerKind::kFlatten:
      pool_layer_forward(layer, in);
      break;
    default:
      activation_forward(layer.spec.kind, layer.spec.alpha, layer.out, in, layer.out_size);
      break;
  }
}

uint64_t layer_forward_macs(const Layer& layer) {
  if (layer.spec.kind == LayerKind::kDense) {
    return static_cast<uint64_t>(layer.in_size) * layer.out_size;
  }
  // Convolutions: nominal k_h k_w c_in (depthwise k_h k_w) per output element. Pooling does
  // comparisons or additions, not MACs, and counts 0 (docs/CONV.md).
  if (layer_is_conv(layer.spec.kind)) return conv_macs_per_output(layer) * layer.out_size;
  return 0;
}

uint64_t layer_backward_macs_per_output(const Layer& layer) {
  if (layer.spec.kind == LayerKind::kDense) return layer.in_size;
  if (layer_is_conv(layer.spec.kind)) return conv_macs_per_output(layer);
  return 0;
}

void layer_init_params(Layer& layer, Rng& rng) {
  if (layer_is_conv(layer.spec.kind)) {
    conv_layer_init_params(layer, rng);
    return;
  }
  if (layer.spec.kind != LayerKind::kDense) return;
  // He uniform: Var(w) = 2 / fan_in keeps ReLU activations at a stable scale.
  const float bound = sqrtf(6.0f / static_cast<float>(layer.in_size));
  for (uint32_t i = 0; i < layer.n_weights; ++i) layer.w[i] = rng.uniform(-bound, bound);
  for (uint32_t i = 0; i < layer.n_bias; ++i) layer.b[i] = 0.0f;
}

namespace {

// The zero-skip decision for the weight update on the layer input x: the list the forward pass
// kept for x when there is one (then spent: the next sample's forward pass makes a new one),
// else a scan of x into `scratch`.
BlockList update_blocks(const Layer& layer, LayerTrainState& st, const float* x,
                        NonzeroBlocks* scratch) {
  if (st.input_blocks_kept) {
    st.input_blocks_kept = false;
    return BlockList{st.input_blocks_skip, st.input_block_count, st.input_blocks};
  }
  find_nonzero_blocks(x, layer.in_size, scratch);
  return *scratch;
}

}  // namespace

uint64_t dense_update_fused(const Layer& layer, LayerTrainState& st, const float* x,
                            const float* dy, const uint32_t* rows, uint32_t k,
                            const OptimizerConfig& cfg, const OptimizerStep& step,
                            bool sparse_bias, uint64_t* macs_done) {
  const uint32_t n_in = layer.in_size;
  NonzeroBlocks scratch;
  BlockList nz;
  if (layer.zero_skip && layer.input_zero_blocks && optimizer_skips_zero_grads(cfg, st.m_w)) {
    nz = update_blocks(layer, st, x, &scratch);
  }
  st.input_blocks_kept = false;
  // dW[j, :] = dy[j] * x, consumed directly: W[j, :] -= step(dy[j] * x). Plain SGD:
  // w += (-lr dy[j]) x (over x's nonzero blocks when skipping), optimizer_update's own axpy and
  // factor, four rows per pass: the same bits (dense_sgd_update_rows).
  if (optimizer_skips_zero_grads(cfg, st.m_w)) {
    dense_sgd_update_rows(layer.w, x, dy, step.lr, rows, k, n_in, nz);
  } else {
    for (uint32_t t = 0; t < k; ++t) {
      const uint32_t j = rows != nullptr ? rows[t] : t;
      optimizer_update(cfg, step, param_row(layer.w, j, n_in), param_row(st.m_w, j, n_in),
                       param_row(st.v_w, j, n_in), x, dy[j], n_in);
    }
  }
  *macs_done += static_cast<uint64_t>(k) * row_macs_done(nz, n_in);
  uint64_t updated = static_cast<uint64_t>(k) * n_in;
  if (sparse_bias && rows != nullptr) {
    for (uint32_t t = 0; t < k; ++t) {
      const uint32_t j = rows[t];
      optimizer_update(cfg, step, layer.b + j, param_row(st.m_b, j, 1), param_row(st.v_b, j, 1), dy + j,
                       1.0f, 1);
    }
    updated += k;
  } else {
    optimizer_update(cfg, step, layer.b, st.m_b, st.v_b, dy, 1.0f, layer.out_size);
    updated += layer.out_size;
  }
  return updated;
}

void dense_accumulate(const Layer& layer, LayerTrainState& st, const float* x, const float* dy,
                      const uint32_t* rows, uint32_t k, bool sparse_bias, uint64_t* macs_done) {
  NonzeroBlocks scratch;
  BlockList nz;
  if (layer.zero_skip && layer.input_zero_blocks) nz = update_blocks(layer, st, x, &scratch);
  st.input_blocks_kept = false;
  dense_accumulate_weight_grad_nz(st.dw, x, dy, rows, k, layer.in_size, nz);
  *macs_done += static_cast<uint64_t>(k) * row_macs_done(nz, layer.in_size);
  for (uint32_t t = 0; t < k; ++t) st.touched[rows != nullptr ? rows[t] : t] = 1;
  if (sparse_bias && rows != nullptr) {
    for (uint32_t t = 0; t < k; ++t) st.db[rows[t]] += dy[rows[t]];
  } else {
    for (uint32_t j = 0; j < layer.out_size; ++j) st.db[j] += dy[j];
  }
}

uint64_t layer_apply_accumulated(const Layer& layer, LayerTrainState& st,
                                 const OptimizerConfig& cfg, const OptimizerStep& step,
                                 float scale, bool sparse_bias) {
  const uint32_t rows = layer.n_bias;
  const uint32_t len = layer.n_weights / rows;
  uint64_t updated = 0;
  for (uint32_t j = 0; j < rows; ++j) {
    const bool touched = st.touched[j] != 0;
    if (touched) {
      float* g = param_row(st.dw, j, len);
      optimizer_update(cfg, step, param_row(layer.w, j, len), param_row(st.m_w, j, len),
                       param_row(st.v_w, j, len), g, scale, len);
      for (uint32_t i = 0; i < len; ++i) g[i] = 0.0f;
      updated += len;
    }
    if (touched || !sparse_bias) {
      optimizer_update(cfg, step, layer.b + j, param_row(st.m_b, j, 1), param_row(st.v_b, j, 1),
                       st.db + j, scale, 1);
      st.db[j] = 0.0f;
      ++updated;
    }
    st.touched[j] = 0;
  }
  return updated;
}

}  // namespace tinyprop
