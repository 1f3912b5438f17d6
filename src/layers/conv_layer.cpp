#include "layers/conv_layer.h"
#include "tinyprop/config.h"

#include <math.h>

#include "layers/conv_select.h"
#include "sparsity/select_paths.h"
#include "tinyprop/kernels/conv.h"
#include "tinyprop/select.h"

namespace tinyprop {
#if TINYPROP_WITH_CONV
namespace {

bool depthwise(const Layer& layer) { return layer.spec.kind == LayerKind::kDepthwiseConv2D; }

void backward_input(const Layer& layer, const WindowGeometry& g, const float* dy, float* dx,
                    const uint32_t* elems, uint32_t k) {
  if (depthwise(layer)) {
    depthwise_conv2d_backward_input(dx, layer.w, dy, elems, k, g);
  } else {
    conv2d_backward_input(dx, layer.w, dy, elems, k, g);
  }
}

// Element mode: the k output elements with the largest |dy|. The radix select makes a few
// cheap O(N) passes; the heap's O(N log k) is cheaper only when k is tiny (measured, docs/CONV.md).
uint64_t select_elements(const float* dy, uint32_t n, uint32_t k, uint32_t* idx) {
  if (static_cast<uint64_t>(k) * 64 >= n) return select_top_k_radix(dy, n, k, idx);
  return select_top_k(dy, n, k, idx);
}

// Channel mode: the k_c channels with the largest L1 error over H_out x W_out, expanded to
// their output elements in scratch.elems. Returns the
// element count, or 0 when every channel is chosen (the caller then passes "all").
uint32_t select_channels(const float* dy, const WindowGeometry& g, float ratio,
                         const ConvScratch& scratch, uint32_t* n_channels,
                         uint64_t* comparisons) {
  const uint32_t channels = g.out_c;
  const uint32_t pixels = g.out_h * g.out_w;
  const uint32_t kc = k_for_ratio(ratio, channels);
  *n_channels = kc;
  if (kc >= channels) return 0;
  float* l1 = scratch.channel_error;  // [C_out]
  for (uint32_t c = 0; c < channels; ++c) l1[c] = 0.0f;
  for (uint32_t p = 0; p < pixels; ++p) {
    const float* dyp = dy + static_cast<uint64_t>(p) * channels;
    for (uint32_t c = 0; c < channels; ++c) l1[c] += fabsf(dyp[c]);
  }
  *comparisons += select_top_k(l1, channels, kc, scratch.channel_idx);
  // Pixel-major, channels in ascending order within a pixel: the kernels then resolve each
  // window once per pixel and walk dy, x and dx in memory order.
  insertion_sort_indices(scratch.channel_idx, kc);  // k_c <= C_out (tens): insertion is enough
  uint32_t* out = scratch.elems;
  for (uint32_t p = 0; p < pixels; ++p) {
    for (uint32_t t = 0; t < kc; ++t) *out++ = p * channels + scratch.channel_idx[t];
  }
  return kc * pixels;
}

// The touched flags of the filters with a selected element, and the bias gradient (every
// element's error, or with sparse_bias the selected ones').
void mark_touched_and_bias(LayerTrainState& st, const float* dy, const uint32_t* elems,
                           uint32_t k, uint32_t n, uint32_t channels, bool by_channel,
                           uint32_t n_channels, const ConvScratch& scratch,
                           const SparsityConfig& cfg) {
  if (elems == nullptr) {
    for (uint32_t c = 0; c < channels; ++c) st.touched[c] = 1;
  } else if (by_channel) {
    for (uint32_t t = 0; t < n_channels; ++t) st.touched[scratch.channel_idx[t]] = 1;
  } else {
    for (uint32_t t = 0; t < k; ++t) st.touched[elems[t] % channels] = 1;
  }
  if (cfg.sparse_bias && elems != nullptr) {
    conv_accumulate_bias_grad(st.db, dy, elems, k, channels);
  } else {
    conv_accumulate_bias_grad(st.db, dy, nullptr, n, channels);
  }
}

}  // namespace
#endif  // TINYPROP_WITH_CONV

// Shared with pooling (kept when only pooling is compiled in).
WindowGeometry layer_window(const Layer& layer) {
  const LayerSpec& s = layer.spec;
  WindowGeometry g;
  g.in_h = layer.in_shape.h;
  g.in_w = layer.in_shape.w;
  g.in_c = layer.in_shape.c;
  g.out_h = layer.out_shape.h;
  g.out_w = layer.out_shape.w;
  g.out_c = layer.out_shape.c;
  g.k_h = s.kernel_h;
  g.k_w = s.kernel_w;
  g.stride_h = s.stride_h;
  g.stride_w = s.stride_w;
  g.pad_top = window_rows(s, g.in_h).pad_before;
  g.pad_left = window_cols(s, g.in_w).pad_before;
  return g;
}

#if TINYPROP_WITH_CONV
uint64_t conv_macs_per_output(const Layer& layer) {
  const uint64_t taps = static_cast<uint64_t>(layer.spec.kernel_h) * layer.spec.kernel_w;
  return depthwise(layer) ? taps : taps * layer.in_shape.c;
}

bool conv_skips_zeros(const Layer& layer) {
  return layer.zero_skip && !depthwise(layer) &&
         static_cast<uint64_t>(layer.spec.kernel_w) * layer.in_shape.c <= kConvZeroSkipMaxRun;
}

void conv_layer_forward(Layer& layer, const float* in) {
  const WindowGeometry g = layer_window(layer);
  if (depthwise(layer)) {
    depthwise_conv2d_forward(layer.out, in, layer.w, layer.b, g);
  } else if (conv_skips_zeros(layer)) {
    layer.forward_macs_done = conv2d_forward_skip_zeros(layer.out, in, layer.w, layer.b, g);
    // The weight gradient over the same input looks for zero rows only if the forward found
    // some (as for dense layers): on a dense input it runs the dense kernel at once.
    layer.input_zero_blocks =
        layer.forward_macs_done < conv_macs_per_output(layer) * layer.out_size;
  } else {
    conv2d_forward(layer.out, in, layer.w, layer.b, g);
  }
}

void conv_layer_init_params(Layer& layer, Rng& rng) {
  // He uniform, as for dense layers, with the fan-in of one output element.
  // Converted from 32 bits (validation keeps it below 2^31): the same value as from 64 bits, but
  // ARMv6-M's libgcc converts a 64-bit integer to float through double-precision helpers.
  const float fan_in = static_cast<float>(static_cast<uint32_t>(conv_macs_per_output(layer)));
  const float bound = sqrtf(6.0f / fan_in);
  for (uint32_t i = 0; i < layer.n_weights; ++i) layer.w[i] = rng.uniform(-bound, bound);
  for (uint32_t i = 0; i < layer.n_bias; ++i) layer.b[i] = 0.0f;
}

uint32_t conv_backward(const Layer& layer, LayerTrainState& st, const float* x, const float* dy,
                       float* dx, const RatioDecision& d, const SparsityConfig& cfg,
                       const ConvScratch& scratch, uint64_t* comparisons,
                       uint64_t* wgrad_macs_done) {
  const WindowGeometry g = layer_window(layer);
  const uint32_t n = layer.out_size;
  const uint32_t channels = g.out_c;
  const uint32_t* elems = nullptr;  // null: all n elements
  uint32_t k = n;
  bool by_channel = false;
  uint32_t n_channels = channels;
  if (cfg.conv_selection == ConvSelection::kChannel) {
    const uint32_t listed = select_channels(dy, g, d.ratio, scratch, &n_channels, comparisons);
    if (listed > 0) {
      elems = scratch.elems;
      k = listed;
      by_channel = true;
    }
  } else if (d.k < n) {
    *comparisons += select_elements(dy, n, d.k, scratch.elems);
    elems = scratch.elems;
    k = d.k;
  }

  // The error below uses W before this step changes it (dW goes to st.dw, not W).
  const bool skip_zeros = conv_skips_zeros(layer) && layer.input_zero_blocks;
  if (dx != nullptr && !depthwise(layer) && !skip_zeros) {
    // dx and dW in one walk: each selected element's window resolved once (same bits).
    conv2d_backward_input_and_weight_grad(dx, st.dw, layer.w, x, dy, elems, k, g);
    *wgrad_macs_done += conv_macs_per_output(layer) * k;
  } else {
    if (dx != nullptr) backward_input(layer, g, dy, dx, elems, k);
    if (depthwise(layer)) {
      depthwise_conv2d_accumulate_weight_grad(st.dw, x, dy, elems, k, g);
      *wgrad_macs_done += conv_macs_per_output(layer) * k;
    } else if (skip_zeros) {
      *wgrad_macs_done += conv2d_accumulate_weight_grad_skip_zeros(st.dw, x, dy, elems, k, g);
    } else {
      conv2d_accumulate_weight_grad(st.dw, x, dy, elems, k, g);
      *wgrad_macs_done += conv_macs_per_output(layer) * k;
    }
  }
  mark_touched_and_bias(st, dy, elems, k, n, channels, by_channel, n_channels, scratch, cfg);
  return k;
}

void conv_backward_input_all(const Layer& layer, const float* dy, float* dx) {
  backward_input(layer, layer_window(layer), dy, dx, nullptr, layer.out_size);
}

#endif  // TINYPROP_WITH_CONV

}  // namespace tinyprop
