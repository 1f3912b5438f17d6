#include "dense_backward_case.h"

#include <math.h>

#include "layers/layer.h"
#include "tinyprop/kernels/dense.h"
#include "tinyprop/rng.h"
#include "tinyprop/select.h"

namespace tinyprop::bench {

const char* variant_name(Variant v) {
  return v == Variant::kKernels ? "kernels" : "fused_sgd";
}

DenseBackwardCase::DenseBackwardCase(LayerShape shape, uint64_t seed)
    : shape_(shape),
      w_(static_cast<size_t>(shape.n_out) * shape.n_in),
      b_(shape.n_out, 0.0f),
      x_(shape.n_in),
      dx_(shape.n_in, 0.0f),
      dw_(static_cast<size_t>(shape.n_out) * shape.n_in, 0.0f),
      dy_stream_(static_cast<size_t>(kStreamLength) + shape.n_out),
      idx_(shape.n_out, 0) {
  Rng rng(seed);
  const float bound = sqrtf(6.0f / static_cast<float>(shape.n_in));
  for (float& v : w_) v = rng.uniform(-bound, bound);
  for (float& v : x_) v = rng.uniform01();
  for (uint32_t i = 0; i < kStreamLength; ++i) dy_stream_[i] = 0.1f * rng.normal();
  for (uint32_t i = 0; i < shape.n_out; ++i) dy_stream_[kStreamLength + i] = dy_stream_[i];

  layer_.spec.kind = LayerKind::kDense;
  layer_.in_size = shape.n_in;
  layer_.out_size = shape.n_out;
  layer_.w = w_.data();
  layer_.b = b_.data();
  layer_.n_weights = static_cast<uint32_t>(w_.size());
  layer_.n_bias = shape.n_out;
  state_.trainable = true;
  // As after the trainer's forward pass over x: the update looks for zero blocks only if the
  // forward found some (none in this dense x).
  NonzeroBlocks nz;
  find_nonzero_blocks(x_.data(), shape.n_in, &nz);
  layer_.input_zero_blocks = nz.skip;
  sgd_.kind = OptimizerKind::kSgd;
  sgd_.learning_rate = 1e-3f;
  sgd_.momentum = 0.0f;  // plain SGD: no velocity buffer, as planned by the trainer
  step_.lr = sgd_.learning_rate;
}

const float* DenseBackwardCase::next_dy() {
  const float* dy = dy_stream_.data() + offset_;
  offset_ = (offset_ + kStride) % kStreamLength;
  return dy;
}

void DenseBackwardCase::backward(Variant v, uint32_t k) {
  const float* dy = next_dy();
  const uint32_t n_out = shape_.n_out, n_in = shape_.n_in;
  const uint32_t* rows = nullptr;  // null: all rows, the dense path
  if (k < n_out) {
    select_top_k(dy, n_out, k, idx_.data());
    rows = idx_.data();
  }
  dense_backward_input(dx_.data(), w_.data(), dy, rows, k, n_in);
  if (v == Variant::kKernels) {
    dense_accumulate_weight_grad(dw_.data(), x_.data(), dy, rows, k, n_in);
  } else {
    uint64_t macs_done = 0;
    dense_update_fused(layer_, state_, x_.data(), dy, rows, k, sgd_, step_,
                       /*sparse_bias=*/false, &macs_done);
  }
}

uint64_t DenseBackwardCase::select(uint32_t k) {
  return select_top_k(next_dy(), shape_.n_out, k, idx_.data());
}

float DenseBackwardCase::checksum() const {
  float s = 0.0f;
  for (float v : dx_) s += v;
  for (size_t i = 0; i < dw_.size(); i += 97) s += dw_[i] + w_[i];
  for (uint32_t i : idx_) s += static_cast<float>(i);
  return s;
}

}  // namespace tinyprop::bench
