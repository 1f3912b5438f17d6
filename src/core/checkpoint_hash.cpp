// The hashes a checkpoint records, and the names of its errors.
#include "checkpoint_io.h"
#include "tinyprop/checkpoint.h"

namespace tinyprop {

uint32_t checkpoint_spec_hash(const ModelSpec& spec) {
  Hasher h;
  h.u32(spec.input.h);
  h.u32(spec.input.w);
  h.u32(spec.input.c);
  h.u32(static_cast<uint32_t>(spec.loss));
  h.u32(spec.n_layers);
  for (uint32_t i = 0; i < spec.n_layers && i < kMaxLayers; ++i) {
    const LayerSpec& l = spec.layers[i];
    h.u32(static_cast<uint32_t>(l.kind));
    h.u32(l.units);
    h.f32(l.alpha);
    h.u32(l.trainable ? 1u : 0u);
    h.u32(l.filters);
    h.u32(l.kernel_h | (static_cast<uint32_t>(l.kernel_w) << 16));
    h.u32(l.stride_h | (static_cast<uint32_t>(l.stride_w) << 16));
    h.u32(l.pad_h | (static_cast<uint32_t>(l.pad_w) << 16));
    h.u32(l.pad_same ? 1u : 0u);
  }
  return h.crc;
}

uint32_t checkpoint_config_hash(const TrainConfig& c) {
  Hasher h;
  h.u32(static_cast<uint32_t>(c.optimizer.kind));
  h.f32(c.optimizer.momentum);
  h.f32(c.optimizer.beta1);
  h.f32(c.optimizer.beta2);
  h.f32(c.optimizer.epsilon);
  const SparsityConfig& s = c.sparsity;
  h.u32(static_cast<uint32_t>(s.method));
  h.f32(s.ratio);
  h.f32(s.s_min);
  h.f32(s.s_max);
  h.f32(s.zeta);
  h.f32(s.skip_threshold);
  h.f32(s.y_max_decay);
  h.u32(s.sparse_bias ? 1u : 0u);
  h.u32(static_cast<uint32_t>(s.conv_selection));
  h.u32(c.batch_size);
  // Newer settings enter the hash only when they are in use, so that the hashes of
  // configurations without them (and the checkpoints that carry those) stay as they were.
  if (s.method == Method::kBudget) {
    h.f32(s.budget);
    h.u32(static_cast<uint32_t>(s.budget_split));
    h.u32(s.budget_adaptive ? 1u : 0u);
  }
  if (s.max_backward_macs > 0) {
    h.u32(static_cast<uint32_t>(s.max_backward_macs));
    h.u32(static_cast<uint32_t>(s.max_backward_macs >> 32));
  }
  return h.crc;
}

const char* checkpoint_error_name(CheckpointError e) {
  switch (e) {
    case CheckpointError::kNone: return "ok";
    case CheckpointError::kNotBound: return "trainer not bound";
    case CheckpointError::kBufferTooSmall: return "buffer too small";
    case CheckpointError::kTruncated: return "truncated";
    case CheckpointError::kBadMagic: return "not a checkpoint";
    case CheckpointError::kBadVersion: return "unsupported checkpoint version";
    case CheckpointError::kBadLayout: return "inconsistent checkpoint layout";
    case CheckpointError::kBadCrc: return "CRC mismatch (damaged)";
    case CheckpointError::kModelMismatch: return "made for another model";
    case CheckpointError::kFrozenMismatch: return "frozen weights differ";
    case CheckpointError::kConfigMismatch: return "made with another training configuration";
    case CheckpointError::kIo: return "read or write failed";
    case CheckpointError::kNoCheckpoint: return "no valid checkpoint";
    case CheckpointError::kDoesNotFit: return "checkpoint does not fit";
    case CheckpointError::kNonFinite: return "non-finite values (a diverged or damaged state)";
  }
  return "unknown checkpoint error";
}

}  // namespace tinyprop
