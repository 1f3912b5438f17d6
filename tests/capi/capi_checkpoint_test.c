/* Checkpoints through the C API, from C (C99): size, save into a buffer, restore into a freshly
 * bound trainer that then continues with the same bits as the one that never stopped (Adam,
 * TinyProp, batch 3: moments, Y_max and a pending batch); damaged and foreign checkpoints are
 * refused; the flash store over a C flash device (a RAM array with NOR rules) saves, falls back
 * after a flipped bit, and a diverged trainer is not saved.
 * Prints one line per check; exit status 0 when all pass. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tinyprop/tinyprop_c.h"
#include "tinyprop/tinyprop_checkpoint_c.h"

#include "capi_check.h"

static uint8_t g_arena_a[64 * 1024] __attribute__((aligned(16)));
static uint8_t g_arena_b[64 * 1024] __attribute__((aligned(16)));
static tp_spec g_spec;
static tp_model g_model_a, g_model_b;
static tp_trainer g_trainer_a, g_trainer_b;
static uint8_t g_ckpt[16 * 1024], g_ckpt2[16 * 1024];
static float g_params[4096], g_params2[4096];

enum { kIn = 8, kSamples = 40 };
static float g_x[kSamples][kIn];
static uint32_t g_y[kSamples];

static void make_data(void) {
  uint32_t s = 12345u, i, j;
  for (i = 0; i < kSamples; ++i) {
    g_y[i] = i % 3u;
    for (j = 0; j < kIn; ++j) {
      s = s * 1664525u + 1013904223u;
      g_x[i][j] = (float)((s >> 8) & 0xFFFFu) / 65536.0f - 0.5f + (j == g_y[i] ? 1.0f : 0.0f);
    }
  }
}

static void train(tp_trainer* t, uint32_t from, uint32_t to) {
  uint32_t i;
  for (i = from; i < to; ++i) tp_trainer_train_label(t, g_x[i], g_y[i], NULL);
}

/* 8-6(frozen)-5-3 MLP, Adam, TinyProp, batch 3; both trainers from the same seed. */
static void bind_pair(void) {
  tp_train_config cfg;
  const uint32_t sizes[] = {kIn, 6, 5, 3};
  tp_train_config_default(&cfg);
  cfg.optimizer = TP_OPTIMIZER_ADAM;
  cfg.method = TP_METHOD_TINYPROP;
  cfg.batch_size = 3;
  CHECK(tp_spec_make_mlp(&g_spec, sizes, 4, TP_LAYER_RELU) == TP_OK);
  CHECK(tp_spec_set_trainable(&g_spec, 0, 0) == TP_OK);
  CHECK(tp_bind(&g_spec, &cfg, g_arena_a, sizeof g_arena_a, &g_model_a, &g_trainer_a, NULL) ==
        TP_OK);
  CHECK(tp_bind(&g_spec, &cfg, g_arena_b, sizeof g_arena_b, &g_model_b, &g_trainer_b, NULL) ==
        TP_OK);
  CHECK(tp_model_init_params(&g_model_a, 5) == TP_OK);
  CHECK(tp_model_init_params(&g_model_b, 5) == TP_OK);
}

static void test_resume_bit_for_bit(void) {
  size_t written = 0;
  tp_checkpoint_info info;
  tp_checkpoint_error why = TP_CHECKPOINT_NONE;
  const uint32_t n = tp_checkpoint_size(&g_trainer_a, TP_CHECKPOINT_FULL);
  const uint32_t count = tp_model_param_count(&g_model_a);
  CHECK(n > 0 && n <= sizeof g_ckpt);
  CHECK(tp_checkpoint_size(&g_trainer_a, TP_CHECKPOINT_WEIGHTS_ONLY) < n);
  train(&g_trainer_a, 0, 17); /* 5 batches of 3 and 2 pending */
  CHECK(tp_checkpoint_save(&g_trainer_a, TP_CHECKPOINT_FULL, 17, g_ckpt, 10, NULL, &why) ==
            TP_INVALID_ARGUMENT &&
        why == TP_CHECKPOINT_BUFFER_TOO_SMALL);
  CHECK(tp_checkpoint_save(&g_trainer_a, TP_CHECKPOINT_FULL, 17, g_ckpt, sizeof g_ckpt, &written,
                           &why) == TP_OK &&
        written == n && why == TP_CHECKPOINT_NONE);
  train(&g_trainer_a, 17, kSamples);

  CHECK(tp_checkpoint_restore(&g_trainer_b, g_ckpt, n, &info, &why) == TP_OK);
  CHECK(info.position == 17u && info.full == 1 && info.has_gradients == 1 && info.in_batch == 2u &&
        info.optimizer_steps == 5u && info.total_bytes == n);
  train(&g_trainer_b, (uint32_t)info.position, kSamples);
  CHECK(tp_model_read_params(&g_model_a, g_params, count) == TP_OK);
  CHECK(tp_model_read_params(&g_model_b, g_params2, count) == TP_OK);
  CHECK(memcmp(g_params, g_params2, count * sizeof(float)) == 0);
  CHECK(tp_trainer_optimizer_steps(&g_trainer_a) == tp_trainer_optimizer_steps(&g_trainer_b));
  /* The whole state, not only the weights. */
  CHECK(tp_checkpoint_save(&g_trainer_a, TP_CHECKPOINT_FULL, 0, g_ckpt, sizeof g_ckpt, NULL,
                           NULL) == TP_OK);
  CHECK(tp_checkpoint_save(&g_trainer_b, TP_CHECKPOINT_FULL, 0, g_ckpt2, sizeof g_ckpt2, NULL,
                           NULL) == TP_OK);
  CHECK(memcmp(g_ckpt, g_ckpt2, n) == 0);
}

static void test_refused(void) {
  tp_checkpoint_error why = TP_CHECKPOINT_NONE;
  tp_checkpoint_info info;
  const uint32_t n = tp_checkpoint_size(&g_trainer_a, TP_CHECKPOINT_FULL);
  CHECK(tp_checkpoint_save(&g_trainer_a, TP_CHECKPOINT_FULL, 3, g_ckpt, sizeof g_ckpt, NULL,
                           NULL) == TP_OK);
  CHECK(tp_checkpoint_inspect(g_ckpt, n, &info, &why) == TP_OK && info.position == 3u &&
        info.optimizer == TP_OPTIMIZER_ADAM && info.method == TP_METHOD_TINYPROP);
  g_ckpt[n / 2] ^= 0x04u;
  CHECK(tp_checkpoint_restore(&g_trainer_b, g_ckpt, n, NULL, &why) == TP_INVALID_ARGUMENT &&
        why == TP_CHECKPOINT_BAD_CRC);
  CHECK(strcmp(tp_checkpoint_error_name(why), "CRC mismatch (damaged)") == 0);
  g_ckpt[n / 2] ^= 0x04u;
  CHECK(tp_checkpoint_size(&g_trainer_a, (tp_checkpoint_mode)7) == 0u);
  CHECK(tp_checkpoint_save(&g_trainer_a, (tp_checkpoint_mode)7, 0, g_ckpt2, sizeof g_ckpt2, NULL,
                           NULL) == TP_INVALID_ARGUMENT);
  CHECK(strcmp(tp_checkpoint_error_name((tp_checkpoint_error)99), "unknown checkpoint error") == 0);
  CHECK(tp_checkpoint_restore(&g_trainer_b, g_ckpt, n - 1, NULL, &why) == TP_INVALID_ARGUMENT &&
        why == TP_CHECKPOINT_TRUNCATED);
  /* Another base model: the frozen layer's weights differ. */
  CHECK(tp_model_init_params(&g_model_b, 6) == TP_OK);
  CHECK(tp_checkpoint_restore(&g_trainer_b, g_ckpt, n, NULL, &why) == TP_INVALID_ARGUMENT &&
        why == TP_CHECKPOINT_FROZEN_MISMATCH);
  CHECK(tp_model_init_params(&g_model_b, 5) == TP_OK);
  CHECK(tp_checkpoint_restore(&g_trainer_b, g_ckpt, n, NULL, &why) == TP_OK);
}

/* ---- a NOR flash in RAM: 8 sectors of 1 KB, 4-byte write units ------------------------------ */
enum { kSector = 1024, kFlash = 8 * kSector };
static uint8_t g_flash[kFlash];
static int flash_read(void* ctx, uint32_t a, uint8_t* d, uint32_t n) {
  (void)ctx;
  if (a + n > kFlash) return 0;
  memcpy(d, g_flash + a, n);
  return 1;
}
static int flash_erase(void* ctx, uint32_t a) {
  (void)ctx;
  if (a % kSector != 0 || a >= kFlash) return 0;
  memset(g_flash + a, 0xFF, kSector);
  return 1;
}
static int flash_program(void* ctx, uint32_t a, const uint8_t* d, uint32_t n) {
  uint32_t i;
  (void)ctx;
  if (a % 4u != 0 || n % 4u != 0 || a + n > kFlash) return 0;
  for (i = 0; i < n; ++i) g_flash[a + i] &= d[i]; /* programming only clears bits */
  return 1;
}

static void test_flash_store(void) {
  static tp_flash_store store, store2;
  tp_flash_device dev = {NULL, kFlash, kSector, 4, flash_read, flash_erase, flash_program};
  tp_checkpoint_error why = TP_CHECKPOINT_NONE;
  tp_checkpoint_mode used = TP_CHECKPOINT_WEIGHTS_ONLY;
  tp_checkpoint_info info;
  memset(g_flash, 0xFF, sizeof g_flash);
  CHECK(tp_flash_store_storage_bytes() <= sizeof(tp_flash_store));
  CHECK(tp_flash_store_init(&store, &dev, 2, &why) == TP_OK);
  CHECK(tp_flash_store_load(&store, &g_trainer_b, NULL, &why) != TP_OK &&
        why == TP_CHECKPOINT_NO_CHECKPOINT);
  CHECK(tp_flash_store_save(&store, &g_trainer_a, 100, &used, &why) == TP_OK &&
        used == TP_CHECKPOINT_FULL);
  CHECK(tp_flash_store_save(&store, &g_trainer_a, 101, &used, &why) == TP_OK);
  /* A bit flipped in the newer slot (the second, at 4 KB): the older one is loaded. */
  g_flash[4 * 1024 + 200] ^= 0x10u;
  CHECK(tp_flash_store_init(&store2, &dev, 2, &why) == TP_OK);
  CHECK(tp_flash_store_load(&store2, &g_trainer_b, &info, &why) == TP_OK && info.position == 100u);
  g_flash[4 * 1024 + 200] ^= 0x10u;
  CHECK(tp_flash_store_init(&store2, &dev, 2, &why) == TP_OK);
  CHECK(tp_flash_store_load(&store2, &g_trainer_b, &info, &why) == TP_OK && info.position == 101u);
  CHECK(tp_flash_store_init(&store2, &dev, 1, &why) == TP_INVALID_ARGUMENT &&
        why == TP_CHECKPOINT_BAD_LAYOUT);
}

static void test_diverged_not_saved(void) {
  static tp_flash_store store;
  tp_flash_device dev = {NULL, kFlash, kSector, 4, flash_read, flash_erase, flash_program};
  tp_checkpoint_error why = TP_CHECKPOINT_NONE;
  float x[kIn];
  uint32_t j;
  for (j = 0; j < kIn; ++j) x[j] = 1e38f; /* overflows to a non-finite loss */
  tp_trainer_train_label(&g_trainer_a, x, 0, NULL);
  CHECK(tp_trainer_health(&g_trainer_a) == TP_NON_FINITE);
  CHECK(tp_checkpoint_save(&g_trainer_a, TP_CHECKPOINT_FULL, 0, g_ckpt, sizeof g_ckpt, NULL,
                           &why) == TP_NON_FINITE &&
        why == TP_CHECKPOINT_NON_FINITE);
  CHECK(tp_flash_store_init(&store, &dev, 2, &why) == TP_OK);
  CHECK(tp_flash_store_save(&store, &g_trainer_a, 102, NULL, &why) == TP_NON_FINITE);
}

int main(void) {
  make_data();
  bind_pair();
  test_resume_bit_for_bit();
  test_refused();
  test_flash_store();
  test_diverged_not_saved();
  printf("%s\n", g_failed ? "capi checkpoint test: FAILED" : "capi checkpoint test: all passed");
  return g_failed;
}
