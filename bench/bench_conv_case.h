// The conv backward pass as Trainer::backward runs it for one trainable conv layer, on fixed
// buffers, so that the timing benchmark (bench_conv.cpp) and the instruction-count driver
// (bench_conv_icount.cpp) measure exactly the same code.
//
// One backward call = conv_backward() of src/layers/conv_layer.cpp with a given selection:
//   element mode: E = top-k |dy| over the N = C_out H_out W_out outputs (skipped when k = N)
//   channel mode: E = all outputs of the top k_c channels by L1 error (skipped when k_c = C_out)
//   dx = sum_{e in E} dy[e] W[c(e)] on e's window     (only for a layer that sends error down)
//   dW[c(e)] += dy[e] x[window(e)];  touched[c(e)] = 1;  db += dy (dense bias)
// and, with `update`, then layer_apply_accumulated() with plain SGD (the batch-size-1 step:
// touched filters only, gradients cleared), i.e. the whole per-sample cost of the layer.
#pragma once
#include <stdint.h>

#include <vector>

#include "layers/conv_layer.h"
#include "layers/layer.h"  // layer_apply_accumulated
#include "tinyprop/model.h"
#include "tinyprop/trainer.h"

namespace tinyprop::bench {

struct ConvShape {
  uint32_t in_h, in_w, in_c, filters, kernel;
  bool sends_error;   // false for the network's first (lowest trainable) layer: no dx
  const char* name;   // "28x28x1-c8k3"
};

// The two conv layers of cnn:28x28x1-c8k3-p2-c16k3-p2-d10 (valid padding): the first sees the
// image and sends no error below; the second sees the pooled 13 x 13 x 8 map.
inline constexpr ConvShape kConvShapes[] = {{28, 28, 1, 8, 3, false, "28x28x1-c8k3"},
                                            {13, 13, 8, 16, 3, true, "13x13x8-c16k3"}};
inline constexpr float kConvRatios[] = {1.0f, 0.5f, 0.2f, 0.1f};

class ConvBackwardCase {
 public:
  // He-uniform W, x uniform [0, 1) (pixels / ReLU outputs), errors ~ N(0, 0.1^2).
  ConvBackwardCase(ConvShape shape, uint64_t seed);

  // One backward call with the next error map. ratio 1 (or method full) runs the "all" path.
  // Returns the number of output elements processed.
  uint32_t backward(ConvSelection mode, float ratio, bool update);

  uint32_t n() const { return layer_.out_size; }
  uint32_t channels() const { return layer_.out_shape.c; }
  uint64_t macs_per_output() const { return conv_macs_per_output(layer_); }
  // A value that depends on every output buffer, so the optimizer cannot drop the work.
  float checksum() const;

  // Error maps are windows of N values into one random stream, kStride apart (odd, so every
  // offset occurs before one repeats): the selection never sees the same dy twice in a row, as
  // in training (see bench/dense_backward_case.h on branch-predictor effects).
  static constexpr uint32_t kStreamLength = 1u << 16;
  static constexpr uint32_t kStride = 5413;

 private:
  const float* next_dy();

  ModelSpec spec_;
  std::vector<float> params_;      // w [C_out, K, K, C_in] then b [C_out]
  std::vector<float> x_;           // [in_h, in_w, in_c]
  std::vector<float> dx_;          // [in_h, in_w, in_c]
  std::vector<float> dw_, db_;     // gradient accumulators
  std::vector<uint8_t> touched_;   // [C_out]
  std::vector<uint32_t> elems_;    // [N]
  std::vector<uint32_t> channel_idx_;
  std::vector<float> channel_error_;
  std::vector<float> dy_stream_;   // [kStreamLength + N]
  uint32_t offset_ = 0;
  Layer layer_;
  LayerTrainState state_;
  ConvScratch scratch_;
  OptimizerConfig sgd_;
  OptimizerStep step_;
};

}  // namespace tinyprop::bench
