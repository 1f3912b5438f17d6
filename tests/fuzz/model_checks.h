// Properties every valid model spec must have, shared by the "tpm" and "spec_text" targets.
#pragma once
#include <stdlib.h>

#include <memory>

#include "fuzz_common.h"
#include "formats/model_file.h"
#include "tinyprop/tinyprop.h"

namespace tinyprop::fuzz {

// Parameters of layer i computed here in 64 bits from the layer's input shape, independently of
// the core's counts: dense units * (in + 1); conv2d filters * (K_h K_w C_in + 1); depthwise
// C * (K_h K_w + 1) (one bias per output row).
inline uint64_t expected_layer_params(const ModelSpec& spec, uint32_t i) {
  const LayerSpec& l = spec.layers[i];
  const Shape in = i == 0 ? spec.input : spec.output_shape(i - 1);
  const uint64_t in_size = static_cast<uint64_t>(in.h) * in.w * in.c;
  const uint64_t window = static_cast<uint64_t>(l.kernel_h) * l.kernel_w;
  switch (l.kind) {
    case LayerKind::kDense: return static_cast<uint64_t>(l.units) * (in_size + 1);
    case LayerKind::kConv2D: return static_cast<uint64_t>(l.filters) * (window * in.c + 1);
    case LayerKind::kDepthwiseConv2D: return static_cast<uint64_t>(in.c) * (window + 1);
    default: return 0;
  }
}

// Models small enough to bind and run here: these limits keep an execution fast (and its memory
// small); a few-KB input can still describe a model whose input alone is gigabytes (a large
// input shape shrunk by a strided window), which is skipped, not allocated.
inline constexpr size_t kMaxBindBytes = 1u << 20;
inline constexpr uint64_t kMaxForwardWork = 1u << 18;

// The work of one forward pass, in 64 bits: per layer its output size times what each output
// reads (dense: the input size; conv2d: K_h K_w C_in; depthwise and pooling: K_h K_w; the other
// layers: 1). Model::forward_macs() counts only multiply-adds, so a 66x66 average pooling over a
// 67x71x26 map (0.5 G reads, 14 s in the fuzzing build) passed a limit on it.
inline uint64_t forward_work(const ModelSpec& spec) {
  uint64_t work = 0;
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    const LayerSpec& l = spec.layers[i];
    const Shape in = i == 0 ? spec.input : spec.output_shape(i - 1);
    const Shape out = spec.output_shape(i);
    const uint64_t out_size = static_cast<uint64_t>(out.h) * out.w * out.c;
    const uint64_t window = static_cast<uint64_t>(l.kernel_h) * l.kernel_w;
    uint64_t per_output = 1;
    if (l.kind == LayerKind::kDense) per_output = static_cast<uint64_t>(in.h) * in.w * in.c;
    if (l.kind == LayerKind::kConv2D) per_output = window * in.c;
    if (l.kind == LayerKind::kDepthwiseConv2D || l.kind == LayerKind::kMaxPool2D ||
        l.kind == LayerKind::kAvgPool2D) {
      per_output = window;
    }
    if (l.kind == LayerKind::kGlobalAvgPool) per_output = static_cast<uint64_t>(in.h) * in.w;
    work += out_size * per_output;
  }
  return work;
}

// A spec that validated: its parameter count is the sum of the layers' (no 32-bit wrap), the
// per-layer counts of layer_param_count agree, the model plans, and when small it binds into an
// arena of exactly the planned size with those counts and runs a forward pass on zeros.
inline void check_valid_spec(const ModelSpec& spec, const std::vector<float>* params) {
  FUZZ_REQUIRE(ok(spec.validate()));
  uint64_t total = 0;
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    const uint64_t n = expected_layer_params(spec, i);
    const host::LayerParamCount p = host::layer_param_count(spec, i);
    FUZZ_REQUIRE_MSG(static_cast<uint64_t>(p.weights) + p.bias == n,
                     "layer " + std::to_string(i) + ": " + std::to_string(n) + " parameters");
    total += n;
  }
  FUZZ_REQUIRE_MSG(spec.param_count() == total, "param_count() " +
                   std::to_string(spec.param_count()) + ", the layers hold " + std::to_string(total));
  if (params != nullptr) FUZZ_REQUIRE(params->size() == total);

  MemoryPlan plan;
  FUZZ_REQUIRE(ok(Model::plan(spec, &plan)));
  FUZZ_REQUIRE(plan.of(Region::kParameters) >= total * sizeof(float));
  const uint64_t input_bytes = static_cast<uint64_t>(spec.input.h) * spec.input.w * spec.input.c * sizeof(float);
  if (plan.total() > kMaxBindBytes || input_bytes > kMaxBindBytes) return;
  struct Free {
    void operator()(void* p) const { free(p); }
  };
  const size_t capacity = plan.total() == 0 ? kArenaAlignment : plan.total();
  std::unique_ptr<void, Free> memory(aligned_alloc(kArenaAlignment, (capacity + kArenaAlignment - 1) /
                                                                        kArenaAlignment * kArenaAlignment));
  Arena arena(memory.get(), plan.total());
  Model model;
  FUZZ_REQUIRE(ok(model.bind(spec, arena)) && arena.ok());
  FUZZ_REQUIRE(model.param_count() == total);
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    FUZZ_REQUIRE(static_cast<uint64_t>(model.layer(i).n_weights) + model.layer(i).n_bias ==
                 expected_layer_params(spec, i));
  }
  if (params != nullptr && !params->empty()) {
    std::copy(params->begin(), params->end(), model.params());
  }
  if (forward_work(spec) > kMaxForwardWork) return;
  const std::vector<float> zeros(model.input_size(), 0.0f);
  FUZZ_REQUIRE(model.forward(zeros.data()) != nullptr);
}

}  // namespace tinyprop::fuzz
