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
  // w and b point into the caller's pretrained array (FrozenParams::kInPlace, a frozen layer):
  // they are read, never written (possibly const memory such as flash).
  bool params_in_place = false;
  // Dense layers skip all-zero blocks of their input (forward and plain-SGD / accumulated
  // weight gradients) where that pays, Conv2D layers with short window rows all-zero window
  // rows (kernels/conv.h); same bits. Off: the dense loops.
  bool zero_skip = true;
  // The last forward pass found its input worth skipping (find_nonzero_blocks): the weight
  // update of the same input then reuses the list the trainer's forward pass kept
  // (LayerTrainState::input_blocks) or looks again, else it goes dense at once.
  bool input_zero_blocks = true;
  // MACs the last forward pass actually did.
  uint64_t forward_macs_done = 0;
};

// Where binding puts the parameters of frozen layers.
enum class FrozenParams : uint8_t {
  kInArena = 0,  // copied into the arena like every other parameter: params() is one block
  kInPlace,      // read straight from the caller's pretrained array (e.g. `const` in flash);
                 // the arena's parameter region holds only the trainable layers' parameters
};

class Model {
 public:
  // An unbound model is all zero bytes (not the non-zero defaults of Layer, which binding sets
  // anyway; the spec is an empty ModelSpec): a static Model is then zero-initialised into
  // .bss, instead of a 3.4 KB image in .data that costs flash and RAM
  // (tests/unit/plan_test.cpp checks the bytes, tests/mcu/run-tests.sh the firmware's sections).
  constexpr Model() {
    for (Layer& l : layers_) {
      l.spec = blank_layer_spec();
      l.in_shape = l.out_shape = Shape{0, 0, 0};
      l.zero_skip = l.input_zero_blocks = false;
    }
  }
  // Bytes the model alone (parameters + activations) needs, per region. With kInPlace the
  // parameter region counts only the trainable layers (what training writes).
  static Status plan(const ModelSpec& spec, MemoryPlan* plan,
                     FrozenParams frozen = FrozenParams::kInArena);
  // The same, laid out in `scratch` (left unbound) instead of a Model on the stack (about 3 KB
  // on a Cortex-M).
  static Status plan(const ModelSpec& spec, MemoryPlan* plan, FrozenParams frozen,
                     Model* scratch);
  // Takes the model's memory from the arena. The arena may be shared with a Trainer.
  Status bind(const ModelSpec& spec, Arena& arena);
  // Binds and takes the pretrained parameters `params` (spec.param_count() floats, params()
  // order) as they are: trainable layers get arena copies; frozen layers get copies too
  // (kInArena) or read `params` directly (kInPlace), which must then stay valid and unchanged
  // while the model is used. The values, and so every result, are the same either way.
  // On a planning arena nothing is bound or copied, and params may be null.
  Status bind_pretrained(const ModelSpec& spec, Arena& arena, const float* params,
                         FrozenParams frozen);
  bool bound() const { return bound_; }

  // Copies `count` (= param_count()) floats in params() order into the layers. Layers whose
  // parameters stay in place are skipped: they already read their own pretrained values.
  Status load_params(const float* params, uint32_t count);

  // He-uniform weights (bound sqrt(6 / fan_in)), zero biases. Layers whose parameters stay in
  // place keep them (and draw nothing from rng).
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
  // Null when frozen layers' parameters stay in place (then they are not one block: use
  // layer(i).w / .b, or the caller's pretrained array).
  float* params() { return params_; }
  const float* params() const { return params_; }
  uint32_t param_count() const { return n_params_; }

  // Forward MACs of one sample (every input counted; zero-skipping does not change it). Fixed
  // by the layer shapes, so summed once when binding (or planning) lays the layers out, not at
  // every step; 0 for an unbound model.
  uint64_t forward_macs() const { return forward_macs_; }
  // MACs the last forward() actually did (<= forward_macs(): zero-skipping).
  uint64_t forward_macs_done() const;
  // Zero-skipping in every dense layer, on by default (off: the dense loops, for comparison).
  void set_zero_skipping(bool on);

  // Index of the first layer whose weights or biases hold a NaN or an infinity; n_layers()
  // when every parameter is finite. Reads every parameter once: for checkpoints (before a
  // snapshot or a save), not for every step (Trainer::health() is the per-step guard).
  uint32_t first_nonfinite_layer() const;

 private:
  // source: the pretrained array frozen layers point into with kInPlace (null when planning).
  Status layout(const ModelSpec& spec, Arena& arena, const float* source, FrozenParams frozen);
  Status finish_bind(const Arena& arena, Status laid_out);

  ModelSpec spec_;
  Layer layers_[kMaxLayers];
  float* params_ = nullptr;
  uint32_t n_params_ = 0;
  bool bound_ = false;
  uint64_t forward_macs_ = 0;  // forward_macs(): set by layout() with the layers' shapes
};

}  // namespace tinyprop
