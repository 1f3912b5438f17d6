/* Tests of the C API from C (C99): storage sizes, status and region names, the needed bytes on
 * failure, spec builders, parameter round trips, probabilities, frozen parameters in place
 * (the same bits as in the arena, the source never written, less RAM), exported models checked
 * against their parameter count and checksum, and invalid arguments refused.
 * Prints one line per check; exit status 0 when all pass. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tinyprop/tinyprop_c.h"

#include "capi_check.h"

static uint8_t g_arena[256 * 1024] __attribute__((aligned(16)));
static uint8_t g_arena2[256 * 1024] __attribute__((aligned(16)));
static tp_spec g_spec;
static tp_model g_model, g_model2;
static tp_trainer g_trainer, g_trainer2;

/* A small CNN 6x6x1 -> conv c4k3 (frozen) -> relu -> flatten -> dense 3 (trainable). */
static void small_cnn(tp_spec* spec) {
  CHECK(tp_spec_init(spec, 6, 6, 1, TP_LOSS_SOFTMAX_CROSS_ENTROPY) == TP_OK);
  CHECK(tp_spec_add_conv2d(spec, 4, 3, 1, 0, 0) == TP_OK);
  CHECK(tp_spec_add_activation(spec, TP_LAYER_RELU, 0.0f) == TP_OK);
  CHECK(tp_spec_add_flatten(spec) == TP_OK);
  CHECK(tp_spec_add_dense(spec, 3, 1) == TP_OK);
}

static void fill(float* p, uint32_t n, uint32_t seed) {
  uint32_t i, s = seed;
  for (i = 0; i < n; ++i) {
    s = s * 1664525u + 1013904223u;
    p[i] = (float)((s >> 8) & 0xFFFFu) / 65536.0f - 0.5f;
  }
}

static void test_storage_and_names(void) {
  CHECK(tp_spec_storage_bytes() <= sizeof(tp_spec));
  CHECK(tp_model_storage_bytes() <= sizeof(tp_model));
  CHECK(tp_trainer_storage_bytes() <= sizeof(tp_trainer));
  CHECK(strcmp(tp_status_name(TP_OK), "ok") == 0);
  CHECK(strcmp(tp_status_name(TP_ARENA_TOO_SMALL), "arena too small") == 0);
  CHECK(strlen(tp_status_name(TP_MODEL_MISMATCH)) > 0);
  CHECK(strcmp(tp_region_name(TP_REGION_ACTIVATIONS), "activations") == 0);
  {
    tp_method m = TP_METHOD_FULL;
    CHECK(tp_method_parse("tinypropv2", &m) == TP_OK && m == TP_METHOD_TINYPROP_V2);
    CHECK(tp_method_parse("fastest", &m) == TP_INVALID_ARGUMENT);
    CHECK(strcmp(tp_method_name(TP_METHOD_STATIC), "static") == 0);
  }
}

static void test_bind_and_needed(void) {
  tp_train_config cfg;
  tp_memory_plan plan;
  size_t needed = 1;
  const uint32_t sizes[] = {8, 6, 3};
  tp_train_config_default(&cfg);
  cfg.optimizer = TP_OPTIMIZER_ADAM;
  CHECK(tp_spec_make_mlp(&g_spec, sizes, 3, TP_LAYER_TANH) == TP_OK);
  CHECK(tp_spec_layer_count(&g_spec) == 3u &&
        tp_spec_param_count(&g_spec) == 8u * 6u + 6u + 6u * 3u + 3u);
  CHECK(tp_plan(&g_spec, &cfg, TP_FROZEN_IN_ARENA, &g_model, &g_trainer, &plan) == TP_OK);
  CHECK(plan.bytes[TP_REGION_OPTIMIZER_STATE] > 0 && plan.total > plan.bytes[TP_REGION_PARAMETERS]);
  CHECK(tp_bind(&g_spec, &cfg, g_arena, plan.total - 1, &g_model, &g_trainer, &needed) ==
            TP_ARENA_TOO_SMALL &&
        needed == plan.total);
  CHECK(tp_bind(&g_spec, &cfg, g_arena + 8, sizeof g_arena - 8, &g_model, &g_trainer, &needed) ==
        TP_ARENA_MISALIGNED);
  CHECK(tp_bind(&g_spec, &cfg, g_arena, plan.total, &g_model, &g_trainer, &needed) == TP_OK &&
        needed == plan.total);
  /* Model alone: fewer bytes. */
  CHECK(tp_plan(&g_spec, NULL, TP_FROZEN_IN_ARENA, &g_model, NULL, &plan) == TP_OK);
  CHECK(tp_bind(&g_spec, NULL, g_arena, sizeof g_arena, &g_model, NULL, &needed) == TP_OK &&
        needed == plan.total);
  /* Refused: a trainer without a configuration, out-of-range enumerations, a bad config. */
  CHECK(tp_bind(&g_spec, NULL, g_arena, sizeof g_arena, &g_model, &g_trainer, &needed) ==
        TP_INVALID_ARGUMENT);
  cfg.method = (tp_method)7;
  CHECK(tp_bind(&g_spec, &cfg, g_arena, sizeof g_arena, &g_model, &g_trainer, &needed) ==
        TP_INVALID_ARGUMENT);
  tp_train_config_default(&cfg);
  cfg.learning_rate = -1.0f;
  CHECK(tp_train_config_validate(&cfg) == TP_INVALID_ARGUMENT);
  CHECK(tp_bind(&g_spec, &cfg, g_arena, sizeof g_arena, &g_model, &g_trainer, &needed) ==
        TP_INVALID_ARGUMENT);
  CHECK(tp_spec_add_activation(&g_spec, (tp_layer_kind)99, 0.0f) == TP_INVALID_ARGUMENT);
  CHECK(tp_spec_set_trainable(&g_spec, 1, 0) == TP_INVALID_ARGUMENT); /* tanh has no params */
}

static void test_params_and_probabilities(void) {
  tp_train_config cfg;
  float params[200], back[200], x[8], probs[3], sum = 0.0f;
  size_t needed = 0;
  uint32_t i, n;
  const uint32_t sizes[] = {8, 6, 3};
  tp_train_config_default(&cfg);
  CHECK(tp_spec_make_mlp(&g_spec, sizes, 3, TP_LAYER_RELU) == TP_OK);
  CHECK(tp_bind(&g_spec, &cfg, g_arena, sizeof g_arena, &g_model, &g_trainer, &needed) == TP_OK);
  n = tp_model_param_count(&g_model);
  fill(params, n, 3);
  CHECK(tp_model_load_params(&g_model, params, n) == TP_OK);
  CHECK(tp_model_load_params(&g_model, params, n - 1) == TP_INVALID_ARGUMENT);
  CHECK(tp_model_read_params(&g_model, back, n) == TP_OK &&
        memcmp(params, back, n * sizeof(float)) == 0);
  fill(x, 8, 5);
  CHECK(tp_model_probabilities(&g_model, x, probs, 3) == TP_OK);
  for (i = 0; i < 3; ++i) sum += probs[i];
  CHECK(fabsf(sum - 1.0f) < 1e-5f);
  CHECK(tp_model_predict(&g_model, x) == (probs[0] >= probs[1] && probs[0] >= probs[2] ? 0u
                                          : probs[1] >= probs[2]                       ? 1u
                                                                                       : 2u));
  CHECK(tp_model_probabilities(&g_model, x, probs, 2) == TP_INVALID_ARGUMENT);
  CHECK(tp_model_input_size(&g_model) == 8u && tp_model_output_size(&g_model) == 3u);
  {
    const float before = tp_trainer_loss_label(&g_trainer, x, 1);
    for (i = 0; i < 20; ++i) tp_trainer_train_label(&g_trainer, x, 1, NULL);
    CHECK(tp_trainer_loss_label(&g_trainer, x, 1) < before);
    { /* an input with a zero block: the MACs done are fewer than the dense count */
      tp_step_counters step;
      float xz[8];
      memcpy(xz, x, sizeof xz);
      xz[0] = xz[1] = xz[2] = xz[3] = 0.0f;
      tp_trainer_train_label(&g_trainer, xz, 1, &step);
      CHECK(step.forward_macs == 8u * 6u + 6u * 3u);
      CHECK(step.forward_macs_done < step.forward_macs);
      CHECK(step.backward_macs_done <= step.backward_macs);
      tp_trainer_train_label(&g_trainer, x, 1, &step);
      CHECK(step.forward_macs_done <= step.forward_macs && step.forward_macs_done > 0u);
    }
    CHECK(tp_trainer_optimizer_steps(&g_trainer) == 22u);
    tp_trainer_reset_run(&g_trainer);
    CHECK(tp_trainer_optimizer_steps(&g_trainer) == 0u);
    CHECK(tp_trainer_health(&g_trainer) == TP_OK);
    CHECK(tp_model_first_nonfinite_layer(&g_model) == tp_spec_layer_count(&g_spec));
    /* A non-finite target: the step changes nothing, the health turns sticky. */
    CHECK(tp_model_read_params(&g_model, params, n) == TP_OK);
    {
      const float target[3] = {0.0f, NAN, 0.0f};
      tp_trainer_train_target(&g_trainer, x, target, NULL);
    }
    CHECK(tp_trainer_health(&g_trainer) == TP_NON_FINITE);
    CHECK(strcmp(tp_status_name(TP_NON_FINITE), "non-finite value") == 0);
    CHECK(tp_model_read_params(&g_model, back, n) == TP_OK &&
          memcmp(params, back, n * sizeof(float)) == 0);
    tp_trainer_reset_health(&g_trainer);
    CHECK(tp_trainer_health(&g_trainer) == TP_OK);
    params[3] = INFINITY;
    CHECK(tp_model_load_params(&g_model, params, n) == TP_OK);
    CHECK(tp_model_first_nonfinite_layer(&g_model) == 0u);
  }
}

/* Frozen layers in place: same bits as in the arena, the source untouched, less RAM. */
static void test_frozen_in_place(void) {
  static float params[400], source[400], a[400], b[400];
  tp_train_config cfg;
  tp_memory_plan in_arena, in_place;
  size_t needed = 0;
  float x[36];
  uint32_t i, n;
  tp_train_config_default(&cfg);
  cfg.method = TP_METHOD_TINYPROP;
  cfg.momentum = 0.9f;
  small_cnn(&g_spec);
  n = tp_spec_param_count(&g_spec);
  CHECK(n == 4u * 9u + 4u + 16u * 4u * 3u + 3u);
  fill(params, n, 11);
  memcpy(source, params, n * sizeof(float));
  CHECK(tp_plan(&g_spec, &cfg, TP_FROZEN_IN_ARENA, &g_model, &g_trainer, &in_arena) == TP_OK);
  CHECK(tp_plan(&g_spec, &cfg, TP_FROZEN_IN_PLACE, &g_model, &g_trainer, &in_place) == TP_OK);
  /* The conv layer's 40 floats leave the parameter region (rounded to 16 bytes). */
  CHECK(in_arena.bytes[TP_REGION_PARAMETERS] - in_place.bytes[TP_REGION_PARAMETERS] >=
        40u * 4u - 15u);
  CHECK(in_arena.total - in_place.total ==
        in_arena.bytes[TP_REGION_PARAMETERS] - in_place.bytes[TP_REGION_PARAMETERS]);
  CHECK(tp_bind_pretrained(&g_spec, &cfg, params, TP_FROZEN_IN_ARENA, g_arena, sizeof g_arena,
                           &g_model, &g_trainer, &needed) == TP_OK &&
        needed == in_arena.total);
  CHECK(tp_bind_pretrained(&g_spec, &cfg, source, TP_FROZEN_IN_PLACE, g_arena2, in_place.total - 1,
                           &g_model2, &g_trainer2, &needed) == TP_ARENA_TOO_SMALL &&
        needed == in_place.total);
  CHECK(tp_bind_pretrained(&g_spec, &cfg, source, TP_FROZEN_IN_PLACE, g_arena2, in_place.total,
                           &g_model2, &g_trainer2, &needed) == TP_OK);
  for (i = 0; i < 50; ++i) {
    fill(x, 36, 100 + i);
    tp_trainer_train_label(&g_trainer, x, i % 3u, NULL);
    tp_trainer_train_label(&g_trainer2, x, i % 3u, NULL);
  }
  CHECK(tp_model_read_params(&g_model, a, n) == TP_OK &&
        tp_model_read_params(&g_model2, b, n) == TP_OK);
  CHECK(memcmp(a, b, n * sizeof(float)) == 0);           /* same bits */
  CHECK(memcmp(a, params, n * sizeof(float)) != 0);      /* and training changed something */
  CHECK(memcmp(source, params, n * sizeof(float)) == 0); /* the source was only read */
  CHECK(memcmp(a, params, 40 * sizeof(float)) == 0);     /* the frozen conv stayed */
}

static void test_exported(void) {
  /* The tables an exported header holds, for 4 -> dense 3 (frozen) -> relu -> dense 2. */
  static const unsigned char kinds[3] = {0, 1, 0};
  static const unsigned long units[3] = {3ul, 0ul, 2ul};
  static const float alpha[3] = {0.01f, 0.01f, 0.01f};
  static const unsigned char trainable[3] = {0, 1, 1};
  static const unsigned long filters[3] = {0ul, 0ul, 0ul};
  static const unsigned short zero[3] = {0, 0, 0}, one[3] = {1, 1, 1};
  static const unsigned char pad_same[3] = {0, 0, 0};
  static float params[4 * 3 + 3 + 3 * 2 + 2];
  tp_exported_model e;
  tp_train_config cfg;
  tp_memory_plan plan;
  size_t needed = 0;
  tp_train_config_default(&cfg);
  fill(params, 23, 21);
  e.api_version = TINYPROP_C_API_VERSION;
  e.input_h = 1;
  e.input_w = 1;
  e.input_c = 4;
  e.loss = TP_LOSS_SOFTMAX_CROSS_ENTROPY;
  e.n_layers = 3;
  e.kinds = kinds;
  e.units = units;
  e.alpha = alpha;
  e.trainable = trainable;
  e.filters = filters;
  e.kernel_h = zero;
  e.kernel_w = zero;
  e.stride_h = one;
  e.stride_w = one;
  e.pad_h = zero;
  e.pad_w = zero;
  e.pad_same = pad_same;
  e.params = params;
  e.param_count = 23;
  e.params_checksum = tp_params_checksum(params, 23);
  CHECK(tp_params_checksum(params, 23) != tp_params_checksum(params, 22));
  CHECK(tp_spec_from_export(&g_spec, &e) == TP_OK && tp_spec_param_count(&g_spec) == 23u);
  CHECK(tp_plan(&g_spec, &cfg, TP_FROZEN_IN_PLACE, &g_model, &g_trainer, &plan) == TP_OK);
  CHECK(tp_bind_exported(&e, &cfg, TP_FROZEN_IN_PLACE, g_arena, sizeof g_arena, &g_model,
                         &g_trainer, &needed) == TP_OK &&
        needed == plan.total);
  {
    float back[23];
    CHECK(tp_model_read_params(&g_model, back, 23) == TP_OK &&
          memcmp(back, params, sizeof back) == 0);
  }
  /* A header whose weights do not match its tables is refused, before anything is bound. */
  params[7] += 1.0f;
  CHECK(tp_bind_exported(&e, &cfg, TP_FROZEN_IN_PLACE, g_arena, sizeof g_arena, &g_model,
                         &g_trainer, &needed) == TP_MODEL_MISMATCH &&
        needed == 0u);
  params[7] -= 1.0f;
  e.param_count = 22;
  e.params_checksum = tp_params_checksum(params, 22);
  CHECK(tp_spec_from_export(&g_spec, &e) == TP_MODEL_MISMATCH);
  e.param_count = 23;
  e.params_checksum = tp_params_checksum(params, 23);
  e.api_version = TINYPROP_C_API_VERSION + 1;
  CHECK(tp_spec_from_export(&g_spec, &e) == TP_UNSUPPORTED);
  e.api_version = TINYPROP_C_API_VERSION;
  e.n_layers = TP_MAX_LAYERS + 1;
  CHECK(tp_spec_from_export(&g_spec, &e) == TP_TOO_MANY_LAYERS);
}

int main(void) {
  test_storage_and_names();
  test_bind_and_needed();
  test_params_and_probabilities();
  test_frozen_in_place();
  test_exported();
  printf("%s\n", g_failed ? "capi_test: FAILED" : "capi_test: ok");
  return g_failed;
}
