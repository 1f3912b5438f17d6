// A model bound to arena memory: parameters and forward activations. Inference needs only this;
// training adds a Trainer on top.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "tinyprop/arena.h"
#include "tinyprop/rng.h"
#include "tinyprop/spec.h"
#include "tinyprop/status.h"

namespace tinyprop {

// One layer, bound. Pointers point into the arena.
struct Layer {
  LayerSpec spec;
  Shape in_shape, out_shape;
  uint32_t in_size = 0, out_size = 0;
  // Parameters. Null without params. One contiguous row of w per bias (n_bias rows):
  //   dense             w [out_size, in_size], b [out_size]
  //   conv2d            w [C_out, K_h, K_w, C_in], b [C_out]   (feature maps are HWC)
  //   depthwise conv2d  w [C, K_h, K_w], b [C]
  float* w = nullptr;
  float* b = nullptr;
  uint32_t n_weights = 0, n_bias = 0;
  // Output activations [out_size]. Elementwise activations run in place on the previous
  // layer's output (their derivative needs only their own output), so out may alias it;
  // so does Flatten (HWC memory is already flat), except as the first layer.
  float* out = nullptr;
  bool in_place = false;
};

class Model {
 public:
  // Bytes the model alone (parameters + activations) needs, per region.
  static Status plan(const ModelSpec& spec, MemoryPlan* plan);
  // Takes the model's memory from the arena. The arena may be shared with a Trainer.
  Status bind(const ModelSpec& spec, Arena& arena);
  bool bound() const { return bound_; }

  // He-uniform weights (bound sqrt(6 / fan_in)), zero biases.
  void init_params(Rng& rng);

  // Runs the network on x [input size]; returns the last layer's output (logits for softmax
  // cross-entropy). The returned buffer is owned by the model and valid until the next call.
  const float* forward(const float* x);
  // Index of the largest output of forward(x).
  uint32_t predict(const float* x);

  const ModelSpec& spec() const { return spec_; }
  uint32_t n_layers() const { return spec_.n_layers; }
  Layer& layer(uint32_t i) { return layers_[i]; }
  const Layer& layer(uint32_t i) const { return layers_[i]; }
  uint32_t input_size() const { return spec_.input.size(); }
  uint32_t output_size() const { return layers_[spec_.n_layers - 1].out_size; }

  // All parameters, contiguous: layer 0's w, b, then layer 1's, ... (for files and checksums).
  float* params() { return params_; }
  const float* params() const { return params_; }
  uint32_t param_count() const { return n_params_; }

  // Forward MACs of one sample.
  uint64_t forward_macs() const;

  // Index of the first layer whose weights or biases hold a NaN or an infinity; n_layers()
  // when every parameter is finite. Reads every parameter once: for checkpoints (before a
  // snapshot or a save), not for every step (Trainer::health() is the per-step guard).
  uint32_t first_nonfinite_layer() const;

 private:
  Status layout(const ModelSpec& spec, Arena& arena);

  ModelSpec spec_;
  Layer layers_[kMaxLayers];
  float* params_ = nullptr;
  uint32_t n_params_ = 0;
  bool bound_ = false;
};

}  // namespace tinyprop
