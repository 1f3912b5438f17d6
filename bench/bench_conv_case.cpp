#include "bench_conv_case.h"

#include <math.h>

#include "tinyprop/rng.h"
#include "tinyprop/select.h"

namespace tinyprop::bench {

ConvBackwardCase::ConvBackwardCase(ConvShape shape, uint64_t seed) {
  spec_.input = Shape{shape.in_h, shape.in_w, shape.in_c};
  (void)spec_.add_conv2d(shape.filters, shape.kernel);
  (void)spec_.add_flatten();
  (void)spec_.add_dense(2);
  layer_.spec = spec_.layers[0];
  layer_.in_shape = spec_.input;
  layer_.out_shape = spec_.output_shape(0);
  layer_.in_size = layer_.in_shape.size();
  layer_.out_size = layer_.out_shape.size();
  layer_.n_bias = shape.filters;
  layer_.n_weights = shape.filters * shape.kernel * shape.kernel * shape.in_c;
  params_.resize(layer_.n_weights + layer_.n_bias);
  layer_.w = params_.data();
  layer_.b = params_.data() + layer_.n_weights;

  Rng rng(seed);
  conv_layer_init_params(layer_, rng);
  x_.resize(layer_.in_size);
  for (float& v : x_) v = rng.uniform01();
  // As after the trainer's forward pass over x: zero-skipping then knows x has no zero rows.
  std::vector<float> y(layer_.out_size);
  layer_.out = y.data();
  conv_layer_forward(layer_, x_.data());
  layer_.out = nullptr;
  if (shape.sends_error) dx_.resize(layer_.in_size);
  dw_.assign(layer_.n_weights, 0.0f);
  db_.assign(layer_.n_bias, 0.0f);
  touched_.assign(layer_.n_bias, 0);
  elems_.resize(layer_.out_size);
  channel_idx_.resize(layer_.n_bias);
  channel_error_.resize(layer_.n_bias);
  dy_stream_.resize(kStreamLength + layer_.out_size);
  for (uint32_t i = 0; i < kStreamLength; ++i) dy_stream_[i] = 0.1f * rng.normal();
  for (uint32_t i = 0; i < layer_.out_size; ++i) dy_stream_[kStreamLength + i] = dy_stream_[i];

  state_.dw = dw_.data();
  state_.db = db_.data();
  state_.touched = touched_.data();
  state_.trainable = true;
  scratch_.elems = elems_.data();
  scratch_.channel_idx = channel_idx_.data();
  scratch_.channel_error = channel_error_.data();
  sgd_.kind = OptimizerKind::kSgd;
  sgd_.learning_rate = 1e-3f;
  step_.lr = sgd_.learning_rate;
}

const float* ConvBackwardCase::next_dy() {
  const float* dy = dy_stream_.data() + offset_;
  offset_ = (offset_ + kStride) % kStreamLength;
  return dy;
}

uint32_t ConvBackwardCase::backward(ConvSelection mode, float ratio, bool update) {
  SparsityConfig cfg;
  cfg.method = Method::kStatic;
  cfg.ratio = ratio;
  cfg.conv_selection = mode;
  RatioDecision d;
  d.ratio = ratio;
  d.k = k_for_ratio(ratio, layer_.out_size);
  uint64_t comparisons = 0, wgrad_done = 0;
  const uint32_t done = conv_backward(layer_, state_, x_.data(), next_dy(),
                                      dx_.empty() ? nullptr : dx_.data(), d, cfg, scratch_,
                                      &comparisons, &wgrad_done);
  if (update) (void)layer_apply_accumulated(layer_, state_, sgd_, step_, 1.0f, false);
  return done;
}

float ConvBackwardCase::checksum() const {
  float s = 0.0f;
  for (float v : dx_) s += v;
  for (float v : dw_) s += v;
  for (float v : db_) s += v;
  for (float v : params_) s += v;
  return s;
}

}  // namespace tinyprop::bench
