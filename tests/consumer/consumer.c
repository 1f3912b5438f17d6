/* A C program that uses tinyprop as an outside project would, through the C API only:
 *  1. an MLP built layer by layer, bound into the arena (the needed bytes reported when the
 *     arena is too small), initialised, trained on synthetic images: accuracy must rise;
 *  2. with CONSUMER_MODEL_HEADER (a header written by `tinyprop export --freeze 3`): the
 *     pretrained CNN bound in one call, its frozen convolutions left in flash. Copied into the
 *     arena it does not fit 128 KB; in place it does. Fine-tuning the head on shifted images
 *     must raise the accuracy.
 * Exit status 0 when every check passes. Runs on the host and, cross-compiled, under QEMU. */
#include <stddef.h>
#include <stdint.h>

#include "consumer_io.h"
#include "synthetic.h"
#include "tinyprop/tinyprop_c.h"
#ifdef CONSUMER_MODEL_HEADER
#include CONSUMER_MODEL_HEADER
#endif

static tp_spec g_spec;
static tp_model g_model;
static tp_trainer g_trainer;
static float g_x[SYN_INPUT];
static int g_failed = 0;

/* Output without stdio (bare-metal firmware has none): text and unsigned decimals. */
void consumer_print_u(size_t v) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = (char)('0' + (int)(v % 10u));
    v /= 10u;
  } while (v != 0u && n < 23);
  {
    char out[24];
    int i;
    for (i = 0; i < n; ++i) out[i] = buf[n - 1 - i];
    out[n] = '\0';
    consumer_print(out);
  }
}

static void check(int ok, const char* what) {
  consumer_print(ok ? "PASS " : "FAIL ");
  consumer_print(what);
  consumer_print("\n");
  if (!ok) g_failed = 1;
}

static int status_ok(tp_status s, const char* what) {
  if (s == TP_OK) return 1;
  consumer_print("FAIL ");
  consumer_print(what);
  consumer_print(": ");
  consumer_print(tp_status_name(s));
  consumer_print("\n");
  g_failed = 1;
  return 0;
}

/* Correct predictions per thousand on `count` samples from `first` of a domain. */
static uint32_t accuracy_permille(uint32_t domain, uint32_t first, uint32_t count) {
  uint32_t i, label = 0, correct = 0;
  for (i = first; i < first + count; ++i) {
    syn_sample(i, domain, g_x, &label);
    correct += tp_model_predict(&g_model, g_x) == label ? 1u : 0u;
  }
  return correct * 1000u / count;
}

static void train(uint32_t domain, uint32_t first, uint32_t count, uint32_t epochs) {
  uint32_t e, i, label = 0;
  for (e = 0; e < epochs; ++e) {
    for (i = first; i < first + count; ++i) {
      syn_sample(i, domain, g_x, &label);
      tp_trainer_train_label(&g_trainer, g_x, label, NULL);
    }
  }
}

static void print_accuracy(const char* name, uint32_t before, uint32_t after) {
  consumer_print(name);
  consumer_print(" accuracy_permille before=");
  consumer_print_u(before);
  consumer_print(" after=");
  consumer_print_u(after);
  consumer_print("\n");
}

/* 1. An MLP 144-32-4 from scratch. */
static void mlp_layer_by_layer(uint8_t* arena, size_t arena_bytes) {
  tp_train_config cfg;
  tp_memory_plan plan;
  tp_step_counters step;
  size_t needed = 0;
  uint32_t before, after, label = 0;
  tp_train_config_default(&cfg);
  cfg.learning_rate = 0.05f;
  cfg.method = TP_METHOD_FULL; /* from scratch: every neuron (the CNN below uses tinyprop) */
  if (!status_ok(tp_spec_init(&g_spec, 1, 1, SYN_INPUT, TP_LOSS_SOFTMAX_CROSS_ENTROPY), "spec") ||
      !status_ok(tp_spec_add_dense(&g_spec, 32, 1), "dense 32") ||
      !status_ok(tp_spec_add_activation(&g_spec, TP_LAYER_RELU, 0.0f), "relu") ||
      !status_ok(tp_spec_add_dense(&g_spec, SYN_CLASSES, 1), "dense 4") ||
      !status_ok(tp_plan(&g_spec, &cfg, TP_FROZEN_IN_ARENA, &g_model, &g_trainer, &plan), "plan")) {
    return;
  }
  check(tp_spec_param_count(&g_spec) == 144u * 32u + 32u + 32u * 4u + 4u, "mlp: parameter count");
  check(tp_bind(&g_spec, &cfg, arena, 64, &g_model, &g_trainer, &needed) == TP_ARENA_TOO_SMALL &&
            needed == plan.total,
        "mlp: a 64-byte arena is too small and binding reports the planned bytes");
  if (!status_ok(tp_bind(&g_spec, &cfg, arena, arena_bytes, &g_model, &g_trainer, &needed),
                 "mlp: bind") ||
      !status_ok(tp_model_init_params(&g_model, 1), "mlp: init")) {
    return;
  }
  consumer_print("mlp arena_bytes=");
  consumer_print_u(needed);
  consumer_print("\n");
  before = accuracy_permille(0, 100000, 400);
  syn_sample(0, 0, g_x, &label);
  tp_trainer_train_label(&g_trainer, g_x, label, &step);
  check(step.backward_macs > 0 && step.backward_macs <= step.backward_macs_full &&
            step.n[2] == SYN_CLASSES && step.k[2] >= 1u,
        "mlp: step counters");
  train(0, 1, 599, 3);
  after = accuracy_permille(0, 100000, 400);
  print_accuracy("mlp", before, after);
  check(after >= 800u && after >= before + 200u, "mlp: fine-tuning from C raised the accuracy");
  check(tp_trainer_optimizer_steps(&g_trainer) == 1u + 3u * 599u,
        "mlp: one optimizer step per sample");
}

#ifdef CONSUMER_MODEL_HEADER
/* 2. The exported CNN, frozen convolutions in flash, trainable dense head. */
static void exported_frozen_cnn(uint8_t* arena, size_t arena_bytes) {
  tp_train_config cfg;
  tp_memory_plan in_arena, in_place;
  size_t needed = 0;
  uint32_t before, after;
  tp_train_config_default(&cfg);
  cfg.learning_rate = 0.01f;
  cfg.method = TP_METHOD_TINYPROP;
  if (!status_ok(tp_spec_from_export(&g_spec, &frozen_cnn_export), "cnn: spec from export") ||
      !status_ok(tp_plan(&g_spec, &cfg, TP_FROZEN_IN_ARENA, &g_model, &g_trainer, &in_arena),
                 "cnn: plan in arena") ||
      !status_ok(tp_plan(&g_spec, &cfg, TP_FROZEN_IN_PLACE, &g_model, &g_trainer, &in_place),
                 "cnn: plan in place")) {
    return;
  }
  consumer_print("frozen_cnn params=");
  consumer_print_u(FROZEN_CNN_PARAM_COUNT);
  consumer_print(" ram_in_arena=");
  consumer_print_u(in_arena.total);
  consumer_print(" ram_in_place=");
  consumer_print_u(in_place.total);
  consumer_print(" saved=");
  consumer_print_u(in_arena.total - in_place.total);
  consumer_print(" arena=");
  consumer_print_u(arena_bytes);
  consumer_print("\n");
  check(tp_bind_exported(&frozen_cnn_export, &cfg, TP_FROZEN_IN_ARENA, arena, arena_bytes, &g_model,
                         &g_trainer, &needed) == TP_ARENA_TOO_SMALL &&
            needed == in_arena.total,
        "cnn: with its weights copied into RAM the model does not fit the arena");
  if (!status_ok(tp_bind_exported(&frozen_cnn_export, &cfg, TP_FROZEN_IN_PLACE, arena, arena_bytes,
                                  &g_model, &g_trainer, &needed),
                 "cnn: bind with the frozen weights in flash")) {
    return;
  }
  check(needed == in_place.total && needed < arena_bytes,
        "cnn: fits with the frozen weights in flash");
  before = accuracy_permille(1, 100000, 300);
  train(1, 0, 400, 1);
  after = accuracy_permille(1, 100000, 300);
  print_accuracy("frozen_cnn (inverted images)", before, after);
  check(after >= before + 100u, "cnn: fine-tuning the head raised the accuracy on shifted images");
}
#endif

int main(int argc, char** argv) {
  uint8_t* arena = NULL;
  size_t arena_bytes = 0;
  (void)argc;
  (void)argv;
  consumer_arena(&arena, &arena_bytes);
  mlp_layer_by_layer(arena, arena_bytes);
#ifdef CONSUMER_MODEL_HEADER
  exported_frozen_cnn(arena, arena_bytes);
#endif
  consumer_print_memory();
  consumer_print(g_failed ? "consumer_c: FAILED\n" : "consumer_c: ok\n");
  return g_failed;
}
