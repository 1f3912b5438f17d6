// Training checkpoints: everything that determines the rest of a training run, as bytes.
//
// A checkpoint of a bound Trainer holds the trainable parameters, the optimizer moments, the
// optimizer step count and Adam's running powers beta1^t and beta2^t, every layer's TinyProp
// Y_max, the current learning rate, the partially accumulated batch (gradients, touched rows,
// sample count), the last loss, and a caller-defined run position (e.g. samples consumed, from
// which a sample order or schedule is recomputed). It also records hashes of the model spec and
// of the training configuration and a CRC of the frozen weights: a checkpoint is never restored
// onto a different model or base. Restoring a full checkpoint makes the trainer continue bit for
// bit like one that never stopped. The byte layout is in docs/CHECKPOINTS.md.
//
// No heap: saving streams into a caller's buffer or a sink callback, restoring reads from a
// buffer or a source callback in two passes (validate everything, then apply), so a damaged
// checkpoint never changes the trainer.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "tinyprop/status.h"
#include "tinyprop/trainer.h"

namespace tinyprop {

inline constexpr uint16_t kCheckpointVersion = 1;
inline constexpr uint32_t kCheckpointHeaderBytes = 80;
inline constexpr uint32_t kCheckpointFlagFullState = 1u << 0;  // optimizer state is present
inline constexpr uint32_t kCheckpointFlagGradients = 1u << 1;  // pending batch is present

enum class CheckpointMode : uint8_t {
  kFull = 0,    // resumes bit for bit
  kWeightsOnly, // parameters, Y_max, learning rate; optimizer state re-initialised on restore
};

// Why a checkpoint operation failed (the Status says only that it did).
enum class CheckpointError : uint8_t {
  kNone = 0,
  kNotBound,        // the trainer is not bound
  kBufferTooSmall,  // the caller's buffer is smaller than checkpoint_size()
  kTruncated,       // fewer bytes than the header says, or than a header
  kBadMagic,        // not a checkpoint
  kBadVersion,      // a format version this library does not read
  kBadLayout,       // header fields inconsistent with each other or with this trainer
  kBadCrc,          // damaged
  kModelMismatch,   // made for another model spec
  kFrozenMismatch,  // the frozen (non-trainable) weights differ
  kConfigMismatch,  // made with another training configuration (full restore needs the same)
  kIo,              // the sink or source callback failed
  kNoCheckpoint,    // (flash store) no valid slot
  kDoesNotFit,      // (flash store) not even a weights-only checkpoint fits a slot
  kNonFinite,       // saving: the trainer diverged (health() or a parameter is not finite), so
                    // a good checkpoint is never replaced by a broken one; restoring: the
                    // checkpoint holds a NaN or infinity (damaged, or not written by a save)
};
const char* checkpoint_error_name(CheckpointError e);

// What a checkpoint's header records.
struct CheckpointInfo {
  uint16_t version = 0;
  uint32_t flags = 0;
  uint32_t total_bytes = 0;
  uint32_t spec_hash = 0, config_hash = 0, frozen_crc = 0;
  uint32_t trainable_params = 0;
  uint64_t optimizer_steps = 0;
  uint64_t position = 0;  // caller-defined run position at the save
  float beta1_pow = 1.0f, beta2_pow = 1.0f;
  float learning_rate = 0.0f;
  float last_loss = 0.0f;
  uint32_t in_batch = 0;  // samples accumulated in the pending batch
  uint32_t batch_size = 0;
  uint8_t optimizer = 0;  // OptimizerKind
  uint8_t method = 0;     // Method
  uint8_t trainable_layers = 0;
  uint8_t state_per_param = 0;  // optimizer buffers per parameter (0 SGD, 1 momentum, 2 Adam)

  bool full() const { return (flags & kCheckpointFlagFullState) != 0; }
  bool has_gradients() const { return (flags & kCheckpointFlagGradients) != 0; }
};

// Byte sink for streaming saves: returns false on failure (the save then fails with kIo).
struct CheckpointSink {
  void* context = nullptr;
  bool (*write)(void* context, const uint8_t* data, uint32_t n) = nullptr;
};
// Random-access byte source for restores: reads n bytes at offset, false on failure.
struct CheckpointSource {
  void* context = nullptr;
  bool (*read)(void* context, uint32_t offset, uint8_t* data, uint32_t n) = nullptr;
};

// Exact bytes of a checkpoint of this trainer in this mode (0 when not bound). Full mode adds
// the optimizer moments (x1 momentum, x2 Adam) and, for batch size > 1, the batch gradients.
uint32_t checkpoint_size(const Trainer& trainer, CheckpointMode mode);
// The same for a model (laid out on a planning arena is enough: nothing needs to be allocated)
// and a configuration, before any trainer exists; 0 when no layer is trainable.
uint32_t checkpoint_size(const Model& model, const TrainConfig& config, CheckpointMode mode);

// Whether the trainer's state may be saved: kNotBound, or kNonFinite (why = kNonFinite) when
// training diverged (Trainer::health()) or a parameter is NaN or infinite
// (Model::first_nonfinite_layer: a ReLU can hide a damaged row from the loss).
Status checkpoint_check_state(const Trainer& trainer, CheckpointError* why = nullptr);

// Streams the checkpoint to sink (after checkpoint_check_state). position: stored as is
// (CheckpointInfo::position).
Status checkpoint_write(const Trainer& trainer, CheckpointMode mode, uint64_t position,
                        CheckpointSink sink, CheckpointError* why = nullptr);
// Into buffer[capacity]; *written = checkpoint_size() on success (written may be null).
Status checkpoint_save(const Trainer& trainer, CheckpointMode mode, uint64_t position,
                       void* buffer, size_t capacity, size_t* written,
                       CheckpointError* why = nullptr);

// Reads the header and checks magic, version, sizes and the CRC over all `size` bytes; needs no
// trainer (for tools that describe a checkpoint). info may be null.
Status checkpoint_inspect(CheckpointSource source, uint32_t size, CheckpointInfo* info,
                          CheckpointError* why = nullptr);
Status checkpoint_inspect_buffer(const void* buffer, size_t size, CheckpointInfo* info,
                                 CheckpointError* why = nullptr);

// Validates everything (as checkpoint_inspect, plus: same model spec, same frozen weights, for a
// full checkpoint the same training configuration, and every stored float finite), then
// applies it. A full checkpoint
// restores the whole state; a weights-only one restores the parameters, and Y_max and the
// learning rate when the configuration matches, and starts the optimizer afresh (reset_run).
// On failure the trainer is unchanged. info (may be null) receives the header.
Status checkpoint_read(Trainer& trainer, CheckpointSource source, uint32_t size,
                       CheckpointInfo* info = nullptr, CheckpointError* why = nullptr);
Status checkpoint_restore(Trainer& trainer, const void* buffer, size_t size,
                          CheckpointInfo* info = nullptr, CheckpointError* why = nullptr);

// The hashes a checkpoint records: CRC-32 over a canonical little-endian encoding of every field
// of the spec (layers, shapes, loss, trainable flags), and of every field of the configuration
// except the learning rate (which is state: schedules change it).
uint32_t checkpoint_spec_hash(const ModelSpec& spec);
uint32_t checkpoint_config_hash(const TrainConfig& config);

// Loads optimizer moments kept elsewhere (the .tpm model file's optimizer section): `state` holds
// m_w, m_b[, v_w, v_b] per trainable layer in layer order (n floats), `steps` the optimizer
// steps taken; beta1^t and beta2^t are recomputed by the trainer's own repeated multiplication,
// so they are the same bits. kInvalidArgument when n does not match this trainer.
Status trainer_load_optimizer_state(Trainer& trainer, const float* state, size_t n,
                                    uint64_t steps);

}  // namespace tinyprop
