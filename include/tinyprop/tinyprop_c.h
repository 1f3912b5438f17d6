/* The C API of tinyprop (C99, and C++ through extern "C"): a thin layer over the C++ core.
 *
 * No heap, ever: the caller provides the memory of every object. tp_spec, tp_model and
 * tp_trainer are opaque storage of a size fixed at compile time (TP_*_BYTES; the library checks
 * at its own compile time that the C++ objects fit), so they can be static, global or on the
 * stack; tp_*_storage_bytes() give the exact sizes. Models and trainers live in one arena of
 * bytes the caller provides, sized by tp_plan(): binding reports the bytes it needs when the
 * arena is too small.
 *
 *   static tp_model model;  static tp_trainer trainer;
 *   static uint8_t arena[64 * 1024] __attribute__((aligned(TP_ARENA_ALIGNMENT)));
 *   tp_train_config cfg;  tp_train_config_default(&cfg);  cfg.method = TP_METHOD_TINYPROP;
 *   size_t needed = 0;
 *   tp_status s = tp_bind_exported(&my_model_export, &cfg, TP_FROZEN_IN_PLACE, arena,
 *                                  sizeof arena, &model, &trainer, &needed);
 *   if (s != TP_OK) { puts(tp_status_name(s)); ... needed bytes ... }
 *   tp_trainer_train_label(&trainer, x, label, NULL);   // one fine-tuning step
 *   uint32_t predicted = tp_model_predict(&model, x);
 *
 * Every function that can fail returns a tp_status. Validation happens when binding, so that the
 * training and inference calls run without checks; passing an unbound object to them is a
 * programming error, like in the C++ API. Enumerations have the values of the C++ ones.
 */
#ifndef TINYPROP_TINYPROP_C_H
#define TINYPROP_TINYPROP_C_H

#include <stddef.h>
#include <stdint.h>

#include "tinyprop/config.h"

/* Version of this header's interface; also marks that it was included (exported model headers
 * define <symbol>_export only when it is). */
#define TINYPROP_C_API_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

/* ---- capacities and storage ------------------------------------------------------------ */
#define TP_MAX_LAYERS ((unsigned)TINYPROP_MAX_LAYERS) /* layers of one model (with activations) */
#define TP_ARENA_ALIGNMENT 16u /* an arena must start on this boundary */
#define TP_REGION_COUNT 6u

/* Storage sizes: at least sizeof the C++ object on every supported target (32- and 64-bit), for
 * the layer capacity TINYPROP_MAX_LAYERS (tinyprop/config.h). The library checks them when it
 * is compiled (src/capi/capi_internal.h). */
#define TP_SPEC_BYTES (32u + 36u * TP_MAX_LAYERS)
#define TP_MODEL_BYTES (TP_SPEC_BYTES + 32u + (92u + 4u * (unsigned)sizeof(void*)) * TP_MAX_LAYERS)
#define TP_TRAINER_BYTES \
  (192u + 16u * (unsigned)sizeof(void*) + (48u + 8u * (unsigned)sizeof(void*)) * TP_MAX_LAYERS)

#define TP_STORAGE_(bytes)    \
  union {                     \
    unsigned char raw[bytes]; \
    uint64_t align_u64;       \
    double align_double;      \
    void* align_pointer;      \
  } storage

typedef struct tp_spec {
  TP_STORAGE_(TP_SPEC_BYTES);
} tp_spec; /* architecture */
typedef struct tp_model {
  TP_STORAGE_(TP_MODEL_BYTES);
} tp_model; /* bound model */
typedef struct tp_trainer {
  TP_STORAGE_(TP_TRAINER_BYTES);
} tp_trainer; /* bound trainer */

/* sizeof of the C++ objects behind tp_spec, tp_model, tp_trainer (<= the TP_*_BYTES). */
size_t tp_spec_storage_bytes(void);
size_t tp_model_storage_bytes(void);
size_t tp_trainer_storage_bytes(void);

/* Every enumeration ends with a *_ENUM_MAX_ entry of this value: its values span the whole int
 * range (so a value out of the listed ones can be passed in and is refused, not undefined), and
 * it is int-sized on every ABI. */
#define TP_ENUM_MAX_ 0x7FFFFFFF

/* ---- status ----------------------------------------------------------------------------- */
typedef enum tp_status {
  TP_OK = 0,
  TP_INVALID_ARGUMENT,   /* a parameter is out of its documented range */
  TP_BAD_SHAPE,          /* layer sizes do not chain, or a size is zero */
  TP_TOO_MANY_LAYERS,    /* more than TP_MAX_LAYERS */
  TP_ARENA_TOO_SMALL,    /* the arena has fewer bytes than the plan (see `needed`) */
  TP_ARENA_MISALIGNED,   /* the arena does not start on a TP_ARENA_ALIGNMENT boundary */
  TP_NOT_BOUND,          /* a model or trainer was used before binding */
  TP_NOTHING_TO_TRAIN,   /* no trainable layer with parameters */
  TP_UNSUPPORTED,        /* a combination the library does not implement */
  TP_TOO_LARGE,          /* the model's sizes exceed what memory can address */
  TP_NON_FINITE,         /* a training step produced a non-finite loss (tp_trainer_health) */
  TP_KIND_DISABLED,      /* a layer kind compiled out (TINYPROP_WITH_CONV / _POOL = 0) */
  TP_MODEL_MISMATCH = 32, /* C API: an exported model's tables, parameter count or checksum
                             disagree */
  TP_STATUS_ENUM_MAX_ = TP_ENUM_MAX_
} tp_status;

/* A short, stable name ("ok", "arena too small", ...), never NULL. */
const char* tp_status_name(tp_status s);

/* ---- model architecture ------------------------------------------------------------------ */
typedef enum tp_layer_kind {
  TP_LAYER_DENSE = 0,
  TP_LAYER_RELU,
  TP_LAYER_LEAKY_RELU,
  TP_LAYER_SIGMOID,
  TP_LAYER_TANH,
  TP_LAYER_CONV2D,
  TP_LAYER_DEPTHWISE_CONV2D,
  TP_LAYER_MAX_POOL2D,
  TP_LAYER_AVG_POOL2D,
  TP_LAYER_GLOBAL_AVG_POOL,
  TP_LAYER_FLATTEN,
  TP_LAYER_ENUM_MAX_ = TP_ENUM_MAX_
} tp_layer_kind;

typedef enum tp_loss {
  TP_LOSS_SOFTMAX_CROSS_ENTROPY = 0,
  TP_LOSS_BINARY_CROSS_ENTROPY,
  TP_LOSS_MEAN_SQUARED_ERROR,
  TP_LOSS_ENUM_MAX_ = TP_ENUM_MAX_
} tp_loss;

#define TP_PAD_SAME 0xFFFFFFFFu /* `pad` of the window builders: TF/Keras "same" padding */

/* One layer with every field (rectangular windows); tp_layer_default() fills the defaults. */
typedef struct tp_layer {
  tp_layer_kind kind;
  uint32_t units;   /* dense: output neurons */
  float alpha;      /* leaky ReLU slope (0.01) */
  int trainable;    /* 0: frozen (no weight gradient, no update) */
  uint32_t filters; /* conv2d: output channels */
  uint16_t kernel_h, kernel_w;
  uint16_t stride_h, stride_w; /* 1 */
  uint16_t pad_h, pad_w;       /* zero rows above and below, columns left and right */
  int pad_same;                /* TF "same" instead of pad_h / pad_w */
} tp_layer;

void tp_layer_default(tp_layer* layer, tp_layer_kind kind);

/* An empty spec with the input shape (height x width x channels; dense input: 1 x 1 x n). */
tp_status tp_spec_init(tp_spec* spec, uint32_t h, uint32_t w, uint32_t c, tp_loss loss);
/* Builders: they only record; tp_spec_validate (called when planning or binding) checks. */
tp_status tp_spec_add_dense(tp_spec* spec, uint32_t units, int trainable);
tp_status tp_spec_add_activation(tp_spec* spec, tp_layer_kind kind, float alpha);
tp_status tp_spec_add_conv2d(tp_spec* spec, uint32_t filters, uint32_t kernel, uint32_t stride,
                             uint32_t pad, int trainable);
tp_status tp_spec_add_depthwise_conv2d(tp_spec* spec, uint32_t kernel, uint32_t stride,
                                       uint32_t pad, int trainable);
/* stride 0: stride = size (non-overlapping windows). */
tp_status tp_spec_add_max_pool2d(tp_spec* spec, uint32_t size, uint32_t stride, uint32_t pad);
tp_status tp_spec_add_avg_pool2d(tp_spec* spec, uint32_t size, uint32_t stride, uint32_t pad);
tp_status tp_spec_add_global_avg_pool(tp_spec* spec);
tp_status tp_spec_add_flatten(tp_spec* spec);
tp_status tp_spec_add_layer(tp_spec* spec, const tp_layer* layer);
/* An MLP sizes[0]-...-sizes[n-1] with `hidden` activations, softmax cross-entropy. */
tp_status tp_spec_make_mlp(tp_spec* spec, const uint32_t* sizes, uint32_t n_sizes,
                           tp_layer_kind hidden);
/* Freezes (0) or unfreezes a layer with parameters. */
tp_status tp_spec_set_trainable(tp_spec* spec, uint32_t layer, int trainable);
tp_status tp_spec_validate(const tp_spec* spec);
uint32_t tp_spec_layer_count(const tp_spec* spec);
uint32_t tp_spec_param_count(const tp_spec* spec); /* weights and biases, valid spec only */
uint32_t tp_spec_input_size(const tp_spec* spec);
uint32_t tp_spec_output_size(const tp_spec* spec); /* valid spec only */

/* ---- training configuration --------------------------------------------------------------- */
typedef enum tp_optimizer {
  TP_OPTIMIZER_SGD = 0,
  TP_OPTIMIZER_ADAM,
  TP_OPTIMIZER_ENUM_MAX_ = TP_ENUM_MAX_
} tp_optimizer;
typedef enum tp_method {
  TP_METHOD_FULL = 0,   /* every neuron */
  TP_METHOD_STATIC,     /* meProp: fixed top-k ratio */
  TP_METHOD_TINYPROP,   /* adaptive ratio per layer and sample */
  TP_METHOD_TINYPROP_V2, /* tinyprop plus skipping samples with a small output error */
  TP_METHOD_BUDGET,     /* a per-step budget of backward MACs, split across layers by cost */
  TP_METHOD_ENUM_MAX_ = TP_ENUM_MAX_
} tp_method;
typedef enum tp_conv_selection {
  TP_CONV_ELEMENT = 0,
  TP_CONV_CHANNEL,
  TP_CONV_ENUM_MAX_ = TP_ENUM_MAX_
} tp_conv_selection;

typedef struct tp_train_config {
  tp_optimizer optimizer;           /* SGD */
  float learning_rate;              /* 0.01 */
  float momentum;                   /* SGD: 0 = plain SGD */
  float beta1, beta2, epsilon;      /* Adam: 0.9, 0.999, 1e-8 */
  tp_method method;                 /* full */
  float ratio;                      /* static: 0.1 */
  float s_min, s_max, zeta;         /* tinyprop: 0.1, 0.9, 0.5 */
  float skip_threshold;             /* tinypropv2: 0.1 */
  float y_max_decay;                /* 1 = off */
  int sparse_bias;                  /* 0: every bias is updated */
  tp_conv_selection conv_selection; /* element */
  uint32_t batch_size;              /* 1: fused row updates, no gradient buffers */
  float budget;                     /* budget: backward MACs per step / full's, 0.1 */
  uint64_t max_backward_macs;       /* hard per-step bound, any method; 0 = none */
} tp_train_config;

/* The C++ defaults (TrainConfig{}). */
void tp_train_config_default(tp_train_config* config);
tp_status tp_train_config_validate(const tp_train_config* config);
/* "full", "static", "tinyprop", "tinypropv2", "budget" -> *method; else TP_INVALID_ARGUMENT. */
tp_status tp_method_parse(const char* text, tp_method* method);
const char* tp_method_name(tp_method method);

/* ---- planning and binding ---------------------------------------------------------------- */
typedef enum tp_region {
  TP_REGION_PARAMETERS = 0,
  TP_REGION_GRADIENTS,
  TP_REGION_OPTIMIZER_STATE,
  TP_REGION_ACTIVATIONS,
  TP_REGION_SCRATCH,
  TP_REGION_INDICES,
  TP_REGION_ENUM_MAX_ = TP_ENUM_MAX_
} tp_region;

/* Where binding puts the parameters of frozen layers. */
typedef enum tp_frozen {
  TP_FROZEN_IN_ARENA = 0, /* copied into the arena like all others */
  TP_FROZEN_IN_PLACE,     /* read from the caller's pretrained array (e.g. const in flash),
                             which must stay valid: the arena holds only what training writes */
  TP_FROZEN_ENUM_MAX_ = TP_ENUM_MAX_
} tp_frozen;

typedef struct tp_memory_plan {
  size_t bytes[TP_REGION_COUNT]; /* per tp_region */
  size_t total;                  /* the arena bytes binding needs */
} tp_memory_plan;

const char* tp_region_name(tp_region region);

/* Bytes per region for the model alone (config and trainer NULL) or model + trainer. Planning
 * lays the objects out once: it does so in `model` and `trainer` (left unbound, e.g. the ones
 * to bind next), which keeps it off the stack (4 KB on a small Cortex-M). */
tp_status tp_plan(const tp_spec* spec, const tp_train_config* config, tp_frozen frozen,
                  tp_model* model, tp_trainer* trainer, tp_memory_plan* plan);

/* Binds a model (and, with config and trainer non-NULL, a trainer) in one arena. The model
 * needs parameters next: tp_model_init_params or tp_model_load_params. `needed` (may be NULL)
 * receives the arena bytes the binding needs, on success and on failure (0 if the spec or
 * configuration is invalid). */
tp_status tp_bind(const tp_spec* spec, const tp_train_config* config, void* arena,
                  size_t arena_bytes, tp_model* model, tp_trainer* trainer, size_t* needed);
/* The same, with pretrained parameters (tp_spec_param_count floats, in the order of
 * tp_model_read_params) taken as they are: copied into the arena, or for frozen layers with
 * TP_FROZEN_IN_PLACE read where they are. */
tp_status tp_bind_pretrained(const tp_spec* spec, const tp_train_config* config,
                             const float* params, tp_frozen frozen, void* arena, size_t arena_bytes,
                             tp_model* model, tp_trainer* trainer, size_t* needed);

/* What `tinyprop export` writes for a model (the `<symbol>_export` constant of the header). */
typedef struct tp_exported_model {
  uint32_t api_version; /* TINYPROP_C_API_VERSION of the exporter */
  uint32_t input_h, input_w, input_c;
  uint32_t loss; /* tp_loss */
  uint32_t n_layers;
  /* Per-layer tables [n_layers] (tp_layer fields). */
  const unsigned char* kinds;
  const unsigned long* units;
  const float* alpha;
  const unsigned char* trainable;
  const unsigned long* filters;
  const unsigned short *kernel_h, *kernel_w, *stride_h, *stride_w, *pad_h, *pad_w;
  const unsigned char* pad_same;
  const float* params; /* [param_count] */
  uint32_t param_count;
  uint32_t params_checksum; /* tp_params_checksum(params, param_count) */
} tp_exported_model;

/* FNV-1a (32 bit) over the parameters' IEEE-754 bit patterns, 4 bytes each, least significant
 * byte first: the same value on every target. */
uint32_t tp_params_checksum(const float* params, uint32_t count);
/* Rebuilds the architecture of an exported model and checks it against its parameter count
 * and checksum (TP_MODEL_MISMATCH) and for validity. */
tp_status tp_spec_from_export(tp_spec* spec, const tp_exported_model* exported);
/* One call from an exported model: builds and checks the spec, binds model (+ trainer with a
 * config) and takes the exported parameters (frozen layers in flash with TP_FROZEN_IN_PLACE).
 * The spec it builds lives on the stack meanwhile (TP_SPEC_BYTES). */
tp_status tp_bind_exported(const tp_exported_model* exported, const tp_train_config* config,
                           tp_frozen frozen, void* arena, size_t arena_bytes, tp_model* model,
                           tp_trainer* trainer, size_t* needed);

/* ---- the model ---------------------------------------------------------------------------- */
/* He-uniform weights and zero biases from a seeded generator (layers in place keep theirs). */
tp_status tp_model_init_params(tp_model* model, uint64_t seed);
/* Copies count (= tp_model_param_count) floats in layer order (per layer with parameters its
 * weights, then biases) into the model; layers whose parameters stay in place are skipped. */
tp_status tp_model_load_params(tp_model* model, const float* params, uint32_t count);
/* Copies the parameters out in the same order (from the arena or from where they stay). */
tp_status tp_model_read_params(const tp_model* model, float* out, uint32_t count);
/* Index of the first layer with a NaN or infinite weight or bias; the layer count when all are
 * finite. Reads every parameter: before keeping weights (a snapshot, a flash write). */
uint32_t tp_model_first_nonfinite_layer(const tp_model* model);
uint32_t tp_model_param_count(const tp_model* model);
uint32_t tp_model_input_size(const tp_model* model);
uint32_t tp_model_output_size(const tp_model* model);
/* Runs the network; returns its output (logits for softmax cross-entropy), owned by the model
 * and valid until the next call. */
const float* tp_model_forward(tp_model* model, const float* x);
/* Index of the largest output. */
uint32_t tp_model_predict(tp_model* model, const float* x);
/* out[output size] = class probabilities: softmax of the logits (softmax cross-entropy) or the
 * outputs themselves (binary cross-entropy); TP_UNSUPPORTED for mean squared error. */
tp_status tp_model_probabilities(tp_model* model, const float* x, float* out, uint32_t n);

/* ---- training ------------------------------------------------------------------------------ */
/* The work one training step did, and what full backpropagation would have done. */
typedef struct tp_step_counters {
  uint64_t forward_macs;
  uint64_t backward_macs;
  uint64_t backward_macs_full;
  uint64_t selection_comparisons;
  uint64_t updated_params;
  uint64_t forward_macs_done;  /* MACs actually executed (zero inputs skipped) */
  uint64_t backward_macs_done; /* <= forward_macs / backward_macs, which count every input */
  int skipped;               /* tinypropv2 or budget skipped the backward pass */
  uint32_t k[TP_MAX_LAYERS]; /* per model layer: k selected of n neurons (n = 0: none) */
  uint32_t n[TP_MAX_LAYERS];
} tp_step_counters;

/* One sample (label, or a target vector of the output size); counters may be NULL. */
void tp_trainer_train_label(tp_trainer* trainer, const float* x, uint32_t label,
                            tp_step_counters* counters);
void tp_trainer_train_target(tp_trainer* trainer, const float* x, const float* target,
                             tp_step_counters* counters);
/* Applies a partially filled batch (batch size > 1). */
void tp_trainer_flush(tp_trainer* trainer, tp_step_counters* counters);
/* Starts a new fine-tuning run (clears Y_max, optimizer moments, pending gradients). */
void tp_trainer_reset_run(tp_trainer* trainer);
void tp_trainer_set_learning_rate(tp_trainer* trainer, float learning_rate);
float tp_trainer_last_loss(const tp_trainer* trainer); /* of the last training sample */
float tp_trainer_loss_label(tp_trainer* trainer, const float* x, uint32_t label); /* no update */
uint64_t tp_trainer_optimizer_steps(const tp_trainer* trainer);
/* Known once bound: the most backward MACs one step can do (the method's worst case, never
 * above max_backward_macs or the budget), and what full backpropagation does per step. */
uint64_t tp_trainer_worst_case_backward_macs(const tp_trainer* trainer);
uint64_t tp_trainer_full_backward_macs(const tp_trainer* trainer);
/* Divergence guard: TP_NON_FINITE (sticky) once a step's loss was NaN or infinite; such a step
 * changes nothing. Cleared by tp_trainer_reset_run and tp_trainer_reset_health; else TP_OK. */
tp_status tp_trainer_health(const tp_trainer* trainer);
void tp_trainer_reset_health(tp_trainer* trainer);

#ifdef __cplusplus
}
#endif
#endif /* TINYPROP_TINYPROP_C_H */
