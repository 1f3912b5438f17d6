/* The C API of tinyprop's checkpoints and power-safe flash store (C99, and C++ through
 * extern "C"), over include/tinyprop/checkpoint.h and flash_store.h; docs/CHECKPOINTS.md has
 * the format and the guarantees. No heap: the caller provides every buffer and object.
 *
 *   uint32_t n = tp_checkpoint_size(&trainer, TP_CHECKPOINT_FULL);
 *   tp_checkpoint_save(&trainer, TP_CHECKPOINT_FULL, samples_done, buf, sizeof buf, NULL, NULL);
 *   ... reset ...
 *   tp_checkpoint_info info;
 *   if (tp_checkpoint_restore(&trainer, buf, n, &info, NULL) == TP_OK) samples_done = info.position;
 *
 *   static tp_flash_store store;   tp_flash_device dev = {ctx, size, 4096, 8, rd, er, pr};
 *   tp_flash_store_init(&store, &dev, 2, NULL);
 *   tp_flash_store_load(&store, &trainer, &info, NULL);      at boot
 *   tp_flash_store_save(&store, &trainer, samples_done, NULL, NULL);   every N samples
 */
#ifndef TINYPROP_TINYPROP_CHECKPOINT_C_H
#define TINYPROP_TINYPROP_CHECKPOINT_C_H

#include <stddef.h>
#include <stdint.h>

#include "tinyprop/tinyprop_c.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tp_checkpoint_mode {
  TP_CHECKPOINT_FULL = 0,        /* resumes bit for bit */
  TP_CHECKPOINT_WEIGHTS_ONLY = 1, /* parameters, Y_max, learning rate; fresh optimizer */
  TP_CHECKPOINT_MODE_ENUM_MAX_ = TP_ENUM_MAX_ /* other values are refused */
} tp_checkpoint_mode;

/* Why a checkpoint operation failed (the values of the C++ CheckpointError). */
typedef enum tp_checkpoint_error {
  TP_CHECKPOINT_NONE = 0,
  TP_CHECKPOINT_NOT_BOUND,
  TP_CHECKPOINT_BUFFER_TOO_SMALL,
  TP_CHECKPOINT_TRUNCATED,
  TP_CHECKPOINT_BAD_MAGIC,
  TP_CHECKPOINT_BAD_VERSION,
  TP_CHECKPOINT_BAD_LAYOUT,
  TP_CHECKPOINT_BAD_CRC,
  TP_CHECKPOINT_MODEL_MISMATCH,
  TP_CHECKPOINT_FROZEN_MISMATCH,
  TP_CHECKPOINT_CONFIG_MISMATCH,
  TP_CHECKPOINT_IO,
  TP_CHECKPOINT_NO_CHECKPOINT,
  TP_CHECKPOINT_DOES_NOT_FIT,
  TP_CHECKPOINT_NON_FINITE, /* saving: the trainer diverged (status TP_NON_FINITE); restoring: a
                               NaN or infinity in the checkpoint */
  TP_CHECKPOINT_ERROR_ENUM_MAX_ = TP_ENUM_MAX_
} tp_checkpoint_error;

const char* tp_checkpoint_error_name(tp_checkpoint_error e); /* never NULL */

/* What a checkpoint's header records. */
typedef struct tp_checkpoint_info {
  uint32_t version;
  int full;          /* 1: full state, 0: weights only */
  int has_gradients; /* a pending batch is stored */
  uint32_t total_bytes;
  uint32_t spec_hash, config_hash, frozen_crc;
  uint32_t trainable_params;
  uint64_t optimizer_steps;
  uint64_t position; /* the caller's run position at the save */
  float beta1_pow, beta2_pow, learning_rate, last_loss;
  uint32_t in_batch, batch_size;
  uint32_t optimizer, method, trainable_layers, state_per_param;
} tp_checkpoint_info;

/* Exact bytes of a checkpoint of this bound trainer (0 when not bound or for an unknown mode). */
uint32_t tp_checkpoint_size(const tp_trainer* trainer, tp_checkpoint_mode mode);
/* Into buffer[capacity]; *written (may be NULL) = tp_checkpoint_size. why may be NULL. */
tp_status tp_checkpoint_save(const tp_trainer* trainer, tp_checkpoint_mode mode,
                             uint64_t position, void* buffer, size_t capacity, size_t* written,
                             tp_checkpoint_error* why);
/* Checks everything (CRC, model, frozen weights, configuration), then restores; on failure the
 * trainer is unchanged. info and why may be NULL. */
tp_status tp_checkpoint_restore(tp_trainer* trainer, const void* buffer, size_t size,
                                tp_checkpoint_info* info, tp_checkpoint_error* why);
/* The header and CRC alone (no trainer). */
tp_status tp_checkpoint_inspect(const void* buffer, size_t size, tp_checkpoint_info* info,
                                tp_checkpoint_error* why);

/* ---- power-safe storage on NOR flash ----------------------------------------------------- */
/* The caller's flash: erased = 0xFF, programming only clears bits, programs start on and cover
 * whole write units (1, 2, 4, 8, 16 or 32 bytes). Each callback returns nonzero on success. */
typedef struct tp_flash_device {
  void* context;
  uint32_t size;        /* bytes of the region, from address 0 */
  uint32_t sector_size; /* erase unit */
  uint32_t write_unit;
  int (*read)(void* context, uint32_t address, uint8_t* data, uint32_t n);
  int (*erase)(void* context, uint32_t sector_address);
  int (*program)(void* context, uint32_t address, const uint8_t* data, uint32_t n);
} tp_flash_device;

#define TP_FLASH_STORE_BYTES (96u + 12u * (unsigned)sizeof(void*))
typedef struct tp_flash_store {
  TP_STORAGE_(TP_FLASH_STORE_BYTES);
} tp_flash_store;
size_t tp_flash_store_storage_bytes(void);

/* 2..4 slots of equal whole sectors; scans them. The device description is copied. */
tp_status tp_flash_store_init(tp_flash_store* store, const tp_flash_device* device,
                              uint32_t n_slots, tp_checkpoint_error* why);
/* Full state if it fits a slot, else weights only (*used, may be NULL, says which). */
tp_status tp_flash_store_save(tp_flash_store* store, const tp_trainer* trainer,
                              uint64_t position, tp_checkpoint_mode* used,
                              tp_checkpoint_error* why);
/* The newest valid slot (older ones as fallback); TP_CHECKPOINT_NO_CHECKPOINT when none. */
tp_status tp_flash_store_load(tp_flash_store* store, tp_trainer* trainer,
                              tp_checkpoint_info* info, tp_checkpoint_error* why);

#ifdef __cplusplus
}
#endif
#endif /* TINYPROP_TINYPROP_CHECKPOINT_C_H */
