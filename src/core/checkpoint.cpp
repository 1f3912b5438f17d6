#include "tinyprop/checkpoint.h"

#include "checkpoint_io.h"
#include "tinyprop/optimizer.h"

namespace tinyprop {

// The one place that reads and writes the Trainer's private run state (a friend of Trainer).
struct CheckpointAccess {
  static const Model& model(const Trainer& t) { return *t.model_; }
  static Model& model(Trainer& t) { return *t.model_; }
  static LayerTrainState& state(Trainer& t, uint32_t i) { return t.state_[i]; }
  static uint32_t& in_batch(Trainer& t) { return t.in_batch_; }
  static uint64_t& opt_step(Trainer& t) { return t.opt_step_; }
  static float& beta1_pow(Trainer& t) { return t.beta1_pow_; }
  static float& beta2_pow(Trainer& t) { return t.beta2_pow_; }
  static float& last_loss(Trainer& t) { return t.last_loss_; }
  static uint32_t in_batch(const Trainer& t) { return t.in_batch_; }
  static float beta1_pow(const Trainer& t) { return t.beta1_pow_; }
  static float beta2_pow(const Trainer& t) { return t.beta2_pow_; }
};

namespace {

constexpr uint8_t kMagic[4] = {'T', 'P', 'C', 'K'};
constexpr uint32_t kCrcBytes = 4;

// Sizes of the sections of a checkpoint of one trainer (docs/CHECKPOINTS.md).
struct Layout {
  uint32_t layers = 0;           // trainable layers
  uint32_t params = 0;           // their weights and biases (floats)
  uint32_t per_param = 0;        // optimizer buffers per parameter
  uint32_t touched = 0;          // touched-row flags (bytes) of the pending batch
  bool gradients = false;        // batch size > 1: the pending batch is stored
  uint32_t flags(CheckpointMode mode) const {
    if (mode == CheckpointMode::kWeightsOnly) return 0;
    return kCheckpointFlagFullState | (gradients ? kCheckpointFlagGradients : 0u);
  }
  uint32_t bytes(uint32_t flags) const {
    uint32_t n = kCheckpointHeaderBytes + 4 * layers + 4 * params;
    if ((flags & kCheckpointFlagFullState) != 0) n += 4 * per_param * params;
    if ((flags & kCheckpointFlagGradients) != 0) n += 4 * params + ((touched + 3u) & ~3u);
    return n + kCrcBytes;
  }
};

// A layer is trainable as Trainer::layout() decides: it has parameters and is not frozen.
Layout layout_of(const Model& m, const TrainConfig& config) {
  Layout lo;
  lo.per_param = optimizer_state_per_param(config.optimizer);
  lo.gradients = config.batch_size > 1;
  for (uint32_t i = 0; i < m.n_layers(); ++i) {
    if (!layer_has_params(m.layer(i).spec.kind) || !m.layer(i).spec.trainable) continue;
    ++lo.layers;
    lo.params += m.layer(i).n_weights + m.layer(i).n_bias;
    lo.touched += m.layer(i).n_bias;
  }
  return lo;
}
Layout layout_of(const Trainer& t) { return layout_of(CheckpointAccess::model(t), t.config()); }

// CRC-32 of the frozen layers' weights and biases (little-endian float bits, layer order).
uint32_t frozen_crc(const Trainer& t) {
  const Model& m = CheckpointAccess::model(t);
  Hasher h;
  for (uint32_t i = 0; i < m.n_layers(); ++i) {
    const Layer& l = m.layer(i);
    if (!layer_has_params(l.spec.kind) || t.state(i).trainable) continue;
    for (uint32_t j = 0; j < l.n_weights; ++j) h.f32(l.w[j]);
    for (uint32_t j = 0; j < l.n_bias; ++j) h.f32(l.b[j]);
  }
  return h.crc;
}

bool fail(CheckpointError e, CheckpointError* why) {
  if (why != nullptr) *why = e;
  return false;
}
Status failed(CheckpointError e, CheckpointError* why, Status s) {
  fail(e, why);
  return s;
}

void write_header(const Trainer& t, const Layout& lo, uint32_t flags, uint64_t position,
                  CheckpointWriter& w) {
  const TrainConfig& c = t.config();
  for (uint8_t b : kMagic) w.u8(b);
  w.u16(kCheckpointVersion);
  w.u16(static_cast<uint16_t>(kCheckpointHeaderBytes));
  w.u32(flags);
  w.u32(lo.bytes(flags));
  w.u32(checkpoint_spec_hash(CheckpointAccess::model(t).spec()));
  w.u32(checkpoint_config_hash(c));
  w.u32(frozen_crc(t));
  w.u32(lo.params);
  w.u64(t.optimizer_steps());
  w.u64(position);
  w.f32(CheckpointAccess::beta1_pow(t));
  w.f32(CheckpointAccess::beta2_pow(t));
  w.f32(c.optimizer.learning_rate);
  w.f32(t.last_loss());
  w.u32(CheckpointAccess::in_batch(t));
  w.u32(c.batch_size);
  w.u8(static_cast<uint8_t>(c.optimizer.kind));
  w.u8(static_cast<uint8_t>(c.sparsity.method));
  w.u8(static_cast<uint8_t>(lo.layers));
  w.u8(static_cast<uint8_t>(lo.per_param));
  w.u32(0);  // reserved
}

CheckpointInfo read_header(CheckpointReader& r, uint32_t& header_bytes, uint32_t& reserved) {
  CheckpointInfo h;
  h.version = r.u16();
  header_bytes = r.u16();
  h.flags = r.u32();
  h.total_bytes = r.u32();
  h.spec_hash = r.u32();
  h.config_hash = r.u32();
  h.frozen_crc = r.u32();
  h.trainable_params = r.u32();
  h.optimizer_steps = r.u64();
  h.position = r.u64();
  h.beta1_pow = r.f32();
  h.beta2_pow = r.f32();
  h.learning_rate = r.f32();
  h.last_loss = r.f32();
  h.in_batch = r.u32();
  h.batch_size = r.u32();
  h.optimizer = r.u8();
  h.method = r.u8();
  h.trainable_layers = r.u8();
  h.state_per_param = r.u8();
  reserved = r.u32();
  return h;
}

// Header and CRC checks that need no trainer.
bool inspect(CheckpointSource src, uint32_t size, CheckpointInfo* out, CheckpointError* why) {
  if (src.read == nullptr) return fail(CheckpointError::kIo, why);
  if (size < kCheckpointHeaderBytes + kCrcBytes) return fail(CheckpointError::kTruncated, why);
  CheckpointReader r(src, 0, size);
  uint8_t magic[4];
  for (uint8_t& b : magic) b = r.u8();
  for (uint32_t i = 0; i < 4; ++i) {
    if (magic[i] != kMagic[i]) return fail(r.ok() ? CheckpointError::kBadMagic : CheckpointError::kIo, why);
  }
  uint32_t header_bytes = 0, reserved = 0;
  const CheckpointInfo h = read_header(r, header_bytes, reserved);
  if (!r.ok()) return fail(CheckpointError::kIo, why);
  if (h.version != kCheckpointVersion) return fail(CheckpointError::kBadVersion, why);
  // Version 1 has exactly one header layout: any other value is damage, not an extension.
  if (header_bytes != kCheckpointHeaderBytes || reserved != 0) {
    return fail(CheckpointError::kBadLayout, why);
  }
  if (h.total_bytes > size) return fail(CheckpointError::kTruncated, why);
  if (h.total_bytes < kCheckpointHeaderBytes + kCrcBytes ||
      (h.flags & ~(kCheckpointFlagFullState | kCheckpointFlagGradients)) != 0) {
    return fail(CheckpointError::kBadLayout, why);
  }
  // CRC over everything before the stored CRC, in chunks.
  uint32_t crc = 0;
  uint8_t chunk[64];
  const uint32_t body = h.total_bytes - kCrcBytes;
  for (uint32_t at = 0; at < body;) {
    const uint32_t n = body - at < sizeof chunk ? body - at : static_cast<uint32_t>(sizeof chunk);
    if (!src.read(src.context, at, chunk, n)) return fail(CheckpointError::kIo, why);
    crc = crc32_update(crc, chunk, n);
    at += n;
  }
  CheckpointReader tail(src, body, h.total_bytes);
  const uint32_t stored = tail.u32();
  if (!tail.ok()) return fail(CheckpointError::kIo, why);
  if (stored != crc) return fail(CheckpointError::kBadCrc, why);
  if (out != nullptr) *out = h;
  return true;
}

// IEEE-754 binary32: not finite when every exponent bit is set (infinity or NaN).
bool finite_bits(uint32_t u) { return (u & 0x7F800000u) != 0x7F800000u; }

// Values a save can write: every float of the header and of the float sections finite (saves
// refuse anything else, checkpoint_check_state), so a NaN means a damaged or forged checkpoint
// whose CRC happens to hold, and restoring it would leave a trainer that cannot be saved
// (kNonFinite); touched-row flags 0 or 1 and their padding 0 (kBadLayout).
bool values_valid(CheckpointSource src, const CheckpointInfo& h, const Layout& lo,
                  CheckpointError* why) {
  if (!finite_bits(float_bits(h.beta1_pow)) || !finite_bits(float_bits(h.beta2_pow)) ||
      !finite_bits(float_bits(h.learning_rate)) || !finite_bits(float_bits(h.last_loss))) {
    return fail(CheckpointError::kNonFinite, why);
  }
  uint32_t floats = lo.layers + lo.params;
  if (h.full()) floats += lo.per_param * lo.params;
  if (h.has_gradients()) floats += lo.params;
  CheckpointReader r(src, kCheckpointHeaderBytes, h.total_bytes);
  for (uint32_t i = 0; i < floats; ++i) {
    if (!finite_bits(r.u32())) return fail(r.ok() ? CheckpointError::kNonFinite : CheckpointError::kIo, why);
  }
  if (h.has_gradients()) {  // touched flags are 0 or 1, their padding is 0
    const uint32_t padded = (lo.touched + 3u) & ~3u;
    for (uint32_t i = 0; i < padded; ++i) {
      const uint8_t b = r.u8();
      if (b > (i < lo.touched ? 1u : 0u)) return fail(r.ok() ? CheckpointError::kBadLayout : CheckpointError::kIo, why);
    }
  }
  return r.ok() || fail(CheckpointError::kIo, why);
}

// Checks that a valid checkpoint belongs to this trainer.
bool matches(const Trainer& t, const CheckpointInfo& h, CheckpointError* why) {
  const Layout lo = layout_of(t);
  if (h.spec_hash != checkpoint_spec_hash(CheckpointAccess::model(t).spec())) {
    return fail(CheckpointError::kModelMismatch, why);
  }
  if (h.trainable_layers != lo.layers || h.trainable_params != lo.params) {
    return fail(CheckpointError::kBadLayout, why);
  }
  if (h.frozen_crc != frozen_crc(t)) return fail(CheckpointError::kFrozenMismatch, why);
  const CheckpointMode mode = h.full() ? CheckpointMode::kFull : CheckpointMode::kWeightsOnly;
  if (h.full() && h.config_hash != checkpoint_config_hash(t.config())) {
    return fail(CheckpointError::kConfigMismatch, why);
  }
  if (h.flags != lo.flags(mode) || h.total_bytes != lo.bytes(h.flags)) {
    return fail(CheckpointError::kBadLayout, why);
  }
  const TrainConfig& c = t.config();
  if (h.full() && (h.state_per_param != lo.per_param || h.in_batch >= c.batch_size ||
                   h.batch_size != c.batch_size ||
                   h.optimizer != static_cast<uint8_t>(c.optimizer.kind) ||
                   h.method != static_cast<uint8_t>(c.sparsity.method))) {
    return fail(CheckpointError::kBadLayout, why);
  }
  return true;
}

struct BufferSink {
  uint8_t* at;
};
bool buffer_write(void* ctx, const uint8_t* data, uint32_t n) {
  BufferSink* s = static_cast<BufferSink*>(ctx);
  for (uint32_t i = 0; i < n; ++i) s->at[i] = data[i];
  s->at += n;
  return true;
}
bool buffer_read(void* ctx, uint32_t offset, uint8_t* data, uint32_t n) {
  const uint8_t* base = static_cast<const uint8_t*>(ctx);
  for (uint32_t i = 0; i < n; ++i) data[i] = base[offset + i];
  return true;
}
CheckpointSource buffer_source(const void* buffer) {
  CheckpointSource s;
  s.context = const_cast<void*>(buffer);
  s.read = buffer_read;
  return s;
}

// The sections after the header, in their order in the file (docs/CHECKPOINTS.md), handed to
// io.floats(float*, n) and io.bytes(uint8_t*, n): a writer reads the buffers, a reader fills
// them. One walk for both directions, so that saving and restoring cannot disagree on the order.
template <typename Io>
void visit_moments(Model& m, Trainer& t, uint32_t per_param, Io& io) {
  for (uint32_t i = 0; i < m.n_layers() && per_param > 0; ++i) {
    LayerTrainState& st = CheckpointAccess::state(t, i);
    if (!st.trainable) continue;
    io.floats(st.m_w, m.layer(i).n_weights);
    io.floats(st.m_b, m.layer(i).n_bias);
    if (per_param < 2) continue;
    io.floats(st.v_w, m.layer(i).n_weights);
    io.floats(st.v_b, m.layer(i).n_bias);
  }
}

template <typename Io>
void visit_sections(Trainer& t, const Layout& lo, uint32_t flags, Io& io) {
  Model& m = CheckpointAccess::model(t);
  for (uint32_t i = 0; i < m.n_layers(); ++i) {
    if (t.state(i).trainable) io.floats(&CheckpointAccess::state(t, i).y_max, 1);
  }
  for (uint32_t i = 0; i < m.n_layers(); ++i) {
    if (!t.state(i).trainable) continue;
    io.floats(m.layer(i).w, m.layer(i).n_weights);
    io.floats(m.layer(i).b, m.layer(i).n_bias);
  }
  if ((flags & kCheckpointFlagFullState) != 0) visit_moments(m, t, lo.per_param, io);
  if ((flags & kCheckpointFlagGradients) == 0) return;
  for (uint32_t i = 0; i < m.n_layers(); ++i) {
    LayerTrainState& st = CheckpointAccess::state(t, i);
    if (!st.trainable) continue;
    io.floats(st.dw, m.layer(i).n_weights);
    io.floats(st.db, m.layer(i).n_bias);
  }
  for (uint32_t i = 0; i < m.n_layers(); ++i) {
    LayerTrainState& st = CheckpointAccess::state(t, i);
    if (st.trainable) io.bytes(st.touched, m.layer(i).n_bias);
  }
}

// Copies from a flat float array (the .tpm optimizer section) into the buffers visited.
struct ArrayIo {
  const float* p;
  void floats(float* dst, uint32_t n) {
    for (uint32_t j = 0; j < n; ++j) dst[j] = *p++;
  }
};

}  // namespace

uint32_t checkpoint_size(const Trainer& trainer, CheckpointMode mode) {
  if (!trainer.bound()) return 0;
  const Layout lo = layout_of(trainer);
  return lo.bytes(lo.flags(mode));
}

uint32_t checkpoint_size(const Model& model, const TrainConfig& config, CheckpointMode mode) {
  const Layout lo = layout_of(model, config);
  return lo.layers == 0 ? 0 : lo.bytes(lo.flags(mode));
}

Status checkpoint_check_state(const Trainer& trainer, CheckpointError* why) {
  if (why != nullptr) *why = CheckpointError::kNone;
  if (!trainer.bound()) return failed(CheckpointError::kNotBound, why, Status::kNotBound);
  const Model& m = CheckpointAccess::model(trainer);
  if (!ok(trainer.health()) || m.first_nonfinite_layer() < m.n_layers()) {
    return failed(CheckpointError::kNonFinite, why, Status::kNonFinite);
  }
  return Status::kOk;
}

Status checkpoint_write(const Trainer& trainer, CheckpointMode mode, uint64_t position,
                        CheckpointSink sink, CheckpointError* why) {
  const Status state = checkpoint_check_state(trainer, why);
  if (!ok(state)) return state;
  if (sink.write == nullptr) return failed(CheckpointError::kIo, why, Status::kInvalidArgument);
  const Layout lo = layout_of(trainer);
  const uint32_t flags = lo.flags(mode);
  CheckpointWriter w(sink);
  write_header(trainer, lo, flags, position, w);
  // The visit only reads the trainer's buffers when writing.
  visit_sections(const_cast<Trainer&>(trainer), lo, flags, w);
  while ((w.written() & 3u) != 0) w.u8(0);  // touched flags: pad to a multiple of 4
  if (!w.finish()) return failed(CheckpointError::kIo, why, Status::kInvalidArgument);
  return Status::kOk;
}

Status checkpoint_save(const Trainer& trainer, CheckpointMode mode, uint64_t position,
                       void* buffer, size_t capacity, size_t* written, CheckpointError* why) {
  if (!trainer.bound()) return failed(CheckpointError::kNotBound, why, Status::kNotBound);
  const uint32_t size = checkpoint_size(trainer, mode);
  if (buffer == nullptr || capacity < size) {
    return failed(CheckpointError::kBufferTooSmall, why, Status::kInvalidArgument);
  }
  BufferSink bs{static_cast<uint8_t*>(buffer)};
  CheckpointSink sink;
  sink.context = &bs;
  sink.write = buffer_write;
  const Status s = checkpoint_write(trainer, mode, position, sink, why);
  if (ok(s) && written != nullptr) *written = size;
  return s;
}

Status checkpoint_inspect(CheckpointSource source, uint32_t size, CheckpointInfo* info,
                          CheckpointError* why) {
  if (why != nullptr) *why = CheckpointError::kNone;
  return inspect(source, size, info, why) ? Status::kOk : Status::kInvalidArgument;
}

Status checkpoint_inspect_buffer(const void* buffer, size_t size, CheckpointInfo* info,
                                 CheckpointError* why) {
  if (buffer == nullptr) return failed(CheckpointError::kTruncated, why, Status::kInvalidArgument);
  const uint32_t n = size > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<uint32_t>(size);
  return checkpoint_inspect(buffer_source(buffer), n, info, why);
}

Status checkpoint_read(Trainer& trainer, CheckpointSource source, uint32_t size,
                       CheckpointInfo* info, CheckpointError* why) {
  if (why != nullptr) *why = CheckpointError::kNone;
  if (!trainer.bound()) return failed(CheckpointError::kNotBound, why, Status::kNotBound);
  CheckpointInfo h;
  if (!inspect(source, size, &h, why) || !matches(trainer, h, why)) {
    return Status::kInvalidArgument;
  }
  if (!values_valid(source, h, layout_of(trainer), why)) return Status::kInvalidArgument;
  // Pass 2: everything checked, apply. A source that fails now (it did not in pass 1) leaves a
  // partial state; reported as kIo.
  const Layout lo = layout_of(trainer);
  Model& m = CheckpointAccess::model(trainer);
  const bool same_config = h.config_hash == checkpoint_config_hash(trainer.config());
  trainer.reset_run();
  CheckpointReader r(source, kCheckpointHeaderBytes, h.total_bytes);
  visit_sections(trainer, lo, h.flags, r);
  if (same_config) {
    trainer.set_learning_rate(h.learning_rate);
  } else {  // weights-only under another configuration: its Y_max belongs to another policy
    for (uint32_t i = 0; i < m.n_layers(); ++i) CheckpointAccess::state(trainer, i).y_max = 0.0f;
  }
  if (h.full()) {
    CheckpointAccess::opt_step(trainer) = h.optimizer_steps;
    CheckpointAccess::beta1_pow(trainer) = h.beta1_pow;
    CheckpointAccess::beta2_pow(trainer) = h.beta2_pow;
    CheckpointAccess::in_batch(trainer) = h.in_batch;
    CheckpointAccess::last_loss(trainer) = h.last_loss;
  }
  if (!r.ok()) return failed(CheckpointError::kIo, why, Status::kInvalidArgument);
  if (info != nullptr) *info = h;
  return Status::kOk;
}

Status checkpoint_restore(Trainer& trainer, const void* buffer, size_t size,
                          CheckpointInfo* info, CheckpointError* why) {
  if (buffer == nullptr) return failed(CheckpointError::kTruncated, why, Status::kInvalidArgument);
  const uint32_t n = size > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<uint32_t>(size);
  return checkpoint_read(trainer, buffer_source(buffer), n, info, why);
}

Status trainer_load_optimizer_state(Trainer& trainer, const float* state, size_t n,
                                    uint64_t steps) {
  if (!trainer.bound()) return Status::kNotBound;
  const Layout lo = layout_of(trainer);
  if (n != static_cast<size_t>(lo.per_param) * lo.params || (n > 0 && state == nullptr)) {
    return Status::kInvalidArgument;
  }
  ArrayIo io{state};
  visit_moments(CheckpointAccess::model(trainer), trainer, lo.per_param, io);
  // The same products the trainer forms step by step, so the powers are the same bits.
  float b1 = 1.0f, b2 = 1.0f;
  for (uint64_t t = 0; t < steps; ++t) {
    b1 *= trainer.config().optimizer.beta1;
    b2 *= trainer.config().optimizer.beta2;
  }
  CheckpointAccess::opt_step(trainer) = steps;
  CheckpointAccess::beta1_pow(trainer) = b1;
  CheckpointAccess::beta2_pow(trainer) = b2;
  return Status::kOk;
}

}  // namespace tinyprop
