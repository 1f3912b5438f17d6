/* Driver for bench/m4_step.py: the dense autoencoder of the audio scenario
 * (640-128-128-128-8-128-128-128-640, ReLU after every hidden layer, linear output, mean
 * squared error against the input), bound through the C API in a caller-given arena, and one
 * training step (SGD, batch 1) on a caller-given input. Built for a Cortex-M4F with the whole
 * core and run in the unicorn emulator, which counts the instructions of drv_step. */
#include <stddef.h>
#include <stdint.h>

#include "tinyprop/tinyprop_c.h"

static tp_spec g_spec;
static tp_model g_model;
static tp_trainer g_trainer;

/* method: a tp_method; returns 0 on success, else the failing tp_status. */
int drv_setup(int method, void* arena, uint32_t arena_bytes) {
  static const uint32_t hidden[] = {128, 128, 128, 8, 128, 128, 128};
  tp_status s = tp_spec_init(&g_spec, 1, 1, 640, TP_LOSS_MEAN_SQUARED_ERROR);
  for (uint32_t i = 0; s == TP_OK && i < sizeof hidden / sizeof hidden[0]; ++i) {
    s = tp_spec_add_dense(&g_spec, hidden[i], 1);
    if (s == TP_OK) s = tp_spec_add_activation(&g_spec, TP_LAYER_RELU, 0.0f);
  }
  if (s == TP_OK) s = tp_spec_add_dense(&g_spec, 640, 1);
  if (s != TP_OK) return (int)s;
  tp_train_config cfg;
  tp_train_config_default(&cfg);
  cfg.optimizer = TP_OPTIMIZER_SGD;
  cfg.learning_rate = 0.001f;
  cfg.method = (tp_method)method;
  s = tp_bind(&g_spec, &cfg, arena, arena_bytes, &g_model, &g_trainer, NULL);
  if (s == TP_OK) s = tp_model_init_params(&g_model, 1);
  return (int)s;
}

/* One step on x (target = x); fills counters. */
void drv_step(const float* x, tp_step_counters* counters) {
  tp_trainer_train_target(&g_trainer, x, x, counters);
}
