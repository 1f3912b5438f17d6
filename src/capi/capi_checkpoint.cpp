// C API: checkpoints and the power-safe flash store (include/tinyprop/tinyprop_checkpoint_c.h).
#include "capi_internal.h"
#include "tinyprop/checkpoint.h"
#include "tinyprop/flash_store.h"
#include "tinyprop/tinyprop_checkpoint_c.h"

using namespace tinyprop;
using namespace tinyprop::capi;

namespace {

// The C++ store and the C device it calls back into (the trampolines' context).
struct FlashStoreC {
  FlashStore store;
  tp_flash_device device;
};
static_assert(sizeof(FlashStoreC) <= TP_FLASH_STORE_BYTES, "tp_flash_store storage too small");
static_assert(alignof(FlashStoreC) <= alignof(tp_flash_store), "tp_flash_store alignment");
static_assert(static_cast<int>(CheckpointError::kDoesNotFit) == TP_CHECKPOINT_DOES_NOT_FIT &&
                  static_cast<int>(CheckpointError::kNonFinite) == TP_CHECKPOINT_NON_FINITE,
              "tp_checkpoint_error out of date");

FlashStoreC* store_of(tp_flash_store* s) { return reinterpret_cast<FlashStoreC*>(s->storage.raw); }

void set_why(tp_checkpoint_error* why, CheckpointError e) {
  if (why != nullptr) *why = static_cast<tp_checkpoint_error>(e);
}
bool valid_mode(tp_checkpoint_mode m) {
  return m == TP_CHECKPOINT_FULL || m == TP_CHECKPOINT_WEIGHTS_ONLY;
}
CheckpointMode mode_of(tp_checkpoint_mode m) {
  return m == TP_CHECKPOINT_WEIGHTS_ONLY ? CheckpointMode::kWeightsOnly : CheckpointMode::kFull;
}

void copy_info(const CheckpointInfo& from, tp_checkpoint_info* to) {
  if (to == nullptr) return;
  to->version = from.version;
  to->full = from.full() ? 1 : 0;
  to->has_gradients = from.has_gradients() ? 1 : 0;
  to->total_bytes = from.total_bytes;
  to->spec_hash = from.spec_hash;
  to->config_hash = from.config_hash;
  to->frozen_crc = from.frozen_crc;
  to->trainable_params = from.trainable_params;
  to->optimizer_steps = from.optimizer_steps;
  to->position = from.position;
  to->beta1_pow = from.beta1_pow;
  to->beta2_pow = from.beta2_pow;
  to->learning_rate = from.learning_rate;
  to->last_loss = from.last_loss;
  to->in_batch = from.in_batch;
  to->batch_size = from.batch_size;
  to->optimizer = from.optimizer;
  to->method = from.method;
  to->trainable_layers = from.trainable_layers;
  to->state_per_param = from.state_per_param;
}

bool c_read(void* ctx, uint32_t address, uint8_t* data, uint32_t n) {
  const tp_flash_device* d = static_cast<const tp_flash_device*>(ctx);
  return d->read(d->context, address, data, n) != 0;
}
bool c_erase(void* ctx, uint32_t address) {
  const tp_flash_device* d = static_cast<const tp_flash_device*>(ctx);
  return d->erase(d->context, address) != 0;
}
bool c_program(void* ctx, uint32_t address, const uint8_t* data, uint32_t n) {
  const tp_flash_device* d = static_cast<const tp_flash_device*>(ctx);
  return d->program(d->context, address, data, n) != 0;
}

}  // namespace

extern "C" {

const char* tp_checkpoint_error_name(tp_checkpoint_error e) {
  if (e < TP_CHECKPOINT_NONE || e > TP_CHECKPOINT_NON_FINITE) return "unknown checkpoint error";
  return checkpoint_error_name(static_cast<CheckpointError>(e));
}

uint32_t tp_checkpoint_size(const tp_trainer* trainer, tp_checkpoint_mode mode) {
  if (trainer == nullptr || !valid_mode(mode)) return 0;
  return checkpoint_size(*trainer_of(trainer), mode_of(mode));
}

tp_status tp_checkpoint_save(const tp_trainer* trainer, tp_checkpoint_mode mode,
                             uint64_t position, void* buffer, size_t capacity, size_t* written,
                             tp_checkpoint_error* why) {
  if (trainer == nullptr || !valid_mode(mode)) return TP_INVALID_ARGUMENT;
  CheckpointError e = CheckpointError::kNone;
  const Status s = checkpoint_save(*trainer_of(trainer), mode_of(mode), position, buffer,
                                   capacity, written, &e);
  set_why(why, e);
  return to_c(s);
}

tp_status tp_checkpoint_restore(tp_trainer* trainer, const void* buffer, size_t size,
                                tp_checkpoint_info* info, tp_checkpoint_error* why) {
  if (trainer == nullptr) return TP_INVALID_ARGUMENT;
  CheckpointInfo i;
  CheckpointError e = CheckpointError::kNone;
  const Status s = checkpoint_restore(*trainer_of(trainer), buffer, size, &i, &e);
  set_why(why, e);
  if (ok(s)) copy_info(i, info);
  return to_c(s);
}

tp_status tp_checkpoint_inspect(const void* buffer, size_t size, tp_checkpoint_info* info,
                                tp_checkpoint_error* why) {
  CheckpointInfo i;
  CheckpointError e = CheckpointError::kNone;
  const Status s = checkpoint_inspect_buffer(buffer, size, &i, &e);
  set_why(why, e);
  if (ok(s)) copy_info(i, info);
  return to_c(s);
}

size_t tp_flash_store_storage_bytes(void) { return sizeof(FlashStoreC); }

tp_status tp_flash_store_init(tp_flash_store* store, const tp_flash_device* device,
                              uint32_t n_slots, tp_checkpoint_error* why) {
  if (store == nullptr || device == nullptr || device->read == nullptr ||
      device->erase == nullptr || device->program == nullptr) {
    set_why(why, CheckpointError::kIo);
    return TP_INVALID_ARGUMENT;
  }
  FlashStoreC* s = new (store->storage.raw, Construct{}) FlashStoreC();
  s->device = *device;
  FlashDevice d;
  d.context = &s->device;
  d.size = device->size;
  d.sector_size = device->sector_size;
  d.write_unit = device->write_unit;
  d.read = c_read;
  d.erase = c_erase;
  d.program = c_program;
  CheckpointError e = CheckpointError::kNone;
  const Status st = s->store.init(d, n_slots, &e);
  set_why(why, e);
  return to_c(st);
}

tp_status tp_flash_store_save(tp_flash_store* store, const tp_trainer* trainer,
                              uint64_t position, tp_checkpoint_mode* used,
                              tp_checkpoint_error* why) {
  if (store == nullptr || trainer == nullptr) return TP_INVALID_ARGUMENT;
  CheckpointMode m = CheckpointMode::kFull;
  CheckpointError e = CheckpointError::kNone;
  const Status s = store_of(store)->store.save(*trainer_of(trainer), position, &m, &e);
  set_why(why, e);
  if (used != nullptr) {
    *used = m == CheckpointMode::kFull ? TP_CHECKPOINT_FULL : TP_CHECKPOINT_WEIGHTS_ONLY;
  }
  return to_c(s);
}

tp_status tp_flash_store_load(tp_flash_store* store, tp_trainer* trainer,
                              tp_checkpoint_info* info, tp_checkpoint_error* why) {
  if (store == nullptr || trainer == nullptr) return TP_INVALID_ARGUMENT;
  CheckpointInfo i;
  CheckpointError e = CheckpointError::kNone;
  const Status s = store_of(store)->store.load(*trainer_of(trainer), &i, &e);
  set_why(why, e);
  if (ok(s)) copy_info(i, info);
  return to_c(s);
}

}  // extern "C"
