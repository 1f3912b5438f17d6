// The dense backward pass as Trainer::backward runs it for one trainable layer that sends its
// error further down, on fixed buffers, so that the benchmark (dense_backward_bench.cpp) and the
// instruction-count driver (dense_backward_icount.cpp) time exactly the same code.
//
// One backward call, for a layer y = W x + b with W [n_out, n_in] and k of n_out rows kept:
//   I  = select_top_k(|dy|, k)                 skipped when k == n_out (rows = null: dense path)
//   dx = sum_{j in I} dy[j] W[j, :]            dense_backward_input
//   then the weight gradient, one of two ways (Variant):
//   kKernels:  dW[j, :] += dy[j] x  for j in I (dense_accumulate_weight_grad; batch > 1 path)
//   kFusedSgd: W[j, :]  -= lr dy[j] x for j in I, b -= lr dy (dense_update_fused, plain SGD;
//              the batch-size-1 path, which never stores a gradient row)
#pragma once
#include <stdint.h>

#include <vector>

#include "tinyprop/model.h"
#include "tinyprop/optimizer.h"
#include "tinyprop/trainer.h"

namespace tinyprop::bench {

struct LayerShape {
  uint32_t n_in;
  uint32_t n_out;
  const char* name;  // "784x128" = n_in x n_out
};

// The two layers of the 784-128-64-10 MLP that propagate error (the 64x10 output layer is not
// benchmarked: at N = 10 every ratio below 0.1 is k = 1).
inline constexpr LayerShape kShapes[] = {{784, 128, "784x128"}, {128, 64, "128x64"}};
// Backpropagation ratios r; k = clamp(floor(r N), 1, N) exactly as the static policy computes it.
inline constexpr float kRatios[] = {1.0f, 0.5f, 0.2f, 0.1f, 0.05f};

enum class Variant { kKernels, kFusedSgd };
const char* variant_name(Variant v);

class DenseBackwardCase {
 public:
  // Fills W (He uniform), x (uniform [0, 1), like pixels or ReLU outputs) and a stream of
  // errors ~ N(0, 0.1^2), all from the given seed.
  DenseBackwardCase(LayerShape shape, uint64_t seed);

  // One backward call with the next error vector dy. k == n_out runs the dense path with
  // rows = null.
  void backward(Variant v, uint32_t k);
  // Top-k selection alone on the next dy; returns its comparison count.
  uint64_t select(uint32_t k);

  uint32_t n_in() const { return shape_.n_in; }
  uint32_t n_out() const { return shape_.n_out; }
  // A value that depends on every output buffer, so the optimizer cannot drop the work.
  float checksum() const;

  // Error vectors are windows of n_out values into one random stream of kStreamLength values,
  // starting kStride apart (mod kStreamLength; 4099 is prime, so all kStreamLength windows occur
  // before one repeats, and consecutive windows do not overlap). Training never shows the
  // selection the same dy twice, and neither may a benchmark: with a pool of a few hundred
  // vectors this machine's branch predictor learns the selection's branches and the selection
  // looks 4x faster than on fresh data (measured: 64 vectors 98 ns, >= 2048 vectors 445 ns for
  // n = 64, k = 6). The stream itself is 64 KiB, small next to W.
  static constexpr uint32_t kStreamLength = 16384;
  static constexpr uint32_t kStride = 4099;

 private:
  const float* next_dy();

  LayerShape shape_;
  std::vector<float> w_;        // [n_out, n_in]
  std::vector<float> b_;        // [n_out]
  std::vector<float> x_;        // [n_in] the layer's input
  std::vector<float> dx_;       // [n_in] error sent to the layer below
  std::vector<float> dw_;       // [n_out, n_in] gradient accumulator (kKernels)
  std::vector<float> dy_stream_;  // [kStreamLength + n_out] (the first n_out repeated at the end)
  std::vector<uint32_t> idx_;     // [n_out] selected rows
  uint32_t offset_ = 0;           // start of the next dy in dy_stream_
  Layer layer_;
  LayerTrainState state_;
  OptimizerConfig sgd_;
  OptimizerStep step_;
};

}  // namespace tinyprop::bench
