/* The budget rule and the hard per-step bound through the C API, from C (C99): the method's
 * name, its default budget, the worst case known after binding, no step above the bound for a
 * budgeted and a bounded tinyprop run, a sample the model has learnt skipped (its step's budget
 * cannot buy one neuron per layer), and a bound below one neuron per layer refused.
 * Prints one line per check; exit status 0 when all pass. */
#include <stdio.h>
#include <string.h>

#include "tinyprop/tinyprop_c.h"

#include "capi_check.h"

static uint8_t g_arena[256 * 1024] __attribute__((aligned(16)));
static tp_spec g_spec;
static tp_model g_model;
static tp_trainer g_trainer;

static uint32_t next(uint32_t* s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}

/* Trains `steps` pseudo-random samples; returns the most backward MACs of one step. */
static uint64_t train(uint32_t steps, uint64_t bound) {
  float x[20];
  uint32_t s = 7, i, j;
  uint64_t most = 0;
  tp_step_counters c;
  for (i = 0; i < steps; ++i) {
    for (j = 0; j < 20; ++j) x[j] = (float)(next(&s) & 0xFFFFu) / 32768.0f - 1.0f;
    tp_trainer_train_label(&g_trainer, x, next(&s) % 4u, &c);
    if (c.backward_macs > bound) return UINT64_MAX;
    if (c.backward_macs > most) most = c.backward_macs;
  }
  return most;
}

int main(void) {
  const uint32_t sizes[] = {20, 32, 16, 4};
  /* Backward MACs per selected neuron: 20 (lowest layer, dW only), 2 x 32, 2 x 16. */
  const uint64_t full = 20u * 32u + 64u * 16u + 32u * 4u;
  tp_train_config cfg;
  tp_method m;
  uint64_t cap, most;
  tp_train_config_default(&cfg);
  CHECK(cfg.max_backward_macs == 0u && cfg.budget == 0.1f);
  CHECK(tp_method_parse("budget", &m) == TP_OK && m == TP_METHOD_BUDGET);
  CHECK(strcmp(tp_method_name(TP_METHOD_BUDGET), "budget") == 0);
  CHECK(tp_spec_make_mlp(&g_spec, sizes, 4, TP_LAYER_RELU) == TP_OK);

  cfg.method = TP_METHOD_BUDGET;
  cfg.budget = 0.25f;
  cfg.learning_rate = 0.02f;
  CHECK(tp_bind(&g_spec, &cfg, g_arena, sizeof g_arena, &g_model, &g_trainer, NULL) == TP_OK);
  CHECK(tp_model_init_params(&g_model, 3) == TP_OK);
  /* Adaptive (the default): a step may take up to twice the budget. */
  cap = (uint64_t)(2.0f * 0.25f * (float)full);
  CHECK(tp_trainer_full_backward_macs(&g_trainer) == full);
  CHECK(tp_trainer_worst_case_backward_macs(&g_trainer) == cap);
  most = train(200, cap);
  CHECK(most != UINT64_MAX && most > 0u);

  /* One sample, over and over: the model learns it, its error falls far below the running mean
   * of the earlier ones, and its steps are skipped (no backward work). */
  {
    float x[20];
    uint32_t s = 11, i, j, skipped = 0, first_skipped = 0;
    tp_step_counters c;
    for (j = 0; j < 20; ++j) x[j] = (float)(next(&s) & 0xFFFFu) / 32768.0f - 1.0f;
    for (i = 0; i < 400; ++i) {
      tp_trainer_train_label(&g_trainer, x, 1u, &c);
      if (c.skipped) {
        if (skipped++ == 0) first_skipped = i;
        if (c.backward_macs != 0u) skipped = 0x80000000u;
      }
    }
    CHECK(skipped > 0u && skipped < 0x80000000u && first_skipped > 0u);
  }

  /* The bound on another method: tinyprop at S_max 1, zeta 1 would reach full. */
  cfg.method = TP_METHOD_TINYPROP;
  cfg.s_max = 1.0f;
  cfg.zeta = 1.0f;
  cfg.max_backward_macs = full / 3u;
  CHECK(tp_bind(&g_spec, &cfg, g_arena, sizeof g_arena, &g_model, &g_trainer, NULL) == TP_OK);
  CHECK(tp_model_init_params(&g_model, 3) == TP_OK);
  CHECK(tp_trainer_worst_case_backward_macs(&g_trainer) == full / 3u);
  most = train(200, full / 3u);
  CHECK(most != UINT64_MAX && most > 0u);

  /* Below k = 1 in every layer (20 + 64 + 32 MACs): cannot be kept, refused. */
  cfg.max_backward_macs = 20u + 64u + 32u - 1u;
  CHECK(tp_bind(&g_spec, &cfg, g_arena, sizeof g_arena, &g_model, &g_trainer, NULL) ==
        TP_INVALID_ARGUMENT);
  cfg.max_backward_macs = 0;
  cfg.method = TP_METHOD_BUDGET;
  cfg.budget = 1.5f;
  CHECK(tp_train_config_validate(&cfg) == TP_INVALID_ARGUMENT);
  printf("%s\n", g_failed ? "capi_budget_test: FAILED" : "capi_budget_test: ok");
  return g_failed;
}
