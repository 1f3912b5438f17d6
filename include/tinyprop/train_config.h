// Training configuration: optimizer, backpropagation method, batch size.
#pragma once
#include <stdint.h>

#include "tinyprop/status.h"

namespace tinyprop {

enum class OptimizerKind : uint8_t { kSgd = 0, kAdam };

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::kSgd;
  float learning_rate = 0.01f;
  float momentum = 0.0f;   // SGD only; 0 = plain SGD (no velocity buffer planned)
  float beta1 = 0.9f;      // Adam
  float beta2 = 0.999f;    // Adam
  float epsilon = 1e-8f;   // Adam
};

// The backpropagation methods of docs/ALGORITHM.md ("The methods compared").
enum class Method : uint8_t {
  kFull = 0,     // every neuron
  kStatic,       // meProp: k = clamp(floor(r N), 1, N) by top-k |delta|
  kTinyProp,     // adaptive ratio per layer and sample
  kTinyPropV2,   // tinyprop plus skipping samples whose output error is relatively small
  kBudget,       // our rule: a per-step budget of backward MACs, split across layers by cost
};

const char* method_name(Method m);
// Parses "full", "static", "tinyprop", "tinypropv2", "budget"; returns false for anything else.
bool parse_method(const char* text, Method* out);

// What the top-k of a convolution chooses from (docs/CONV.md). Dense layers ignore it.
enum class ConvSelection : uint8_t {
  kElement = 0,  // the k largest |delta| among all C_out x H_out x W_out output elements
  kChannel,      // whole output channels (filters), by the L1 norm of their error over H x W;
                 // k_channels = clamp(floor(ratio * C_out), 1, C_out) with the method's ratio
};

const char* conv_selection_name(ConvSelection s);
// Parses "element" or "channel"; returns false for anything else.
bool parse_conv_selection(const char* text, ConvSelection* out);

// How the budget rule splits its budget across trainable layers (docs/ALGORITHM.md, "budget").
// Either way a layer whose full backward costs no more than an equal share of the budget runs
// dense (typically the output layer); the rest goes to the other layers
enum class BudgetSplit : uint8_t {
  kEqualRatio = 0,  // at one ratio k/N (the same fraction of every remaining layer's work)
  kEqualMacs,       // in equal MACs (cheap layers get a higher ratio than expensive ones), but
                    // no layer at a higher ratio than the layer above it (those pooled to one
                    // ratio): the default, so that the upper layers pass on an error of more
                    // directions
};

struct SparsityConfig {
  Method method = Method::kFull;
  float ratio = 0.1f;           // static: backpropagation ratio r in (0, 1]
  float s_min = 0.1f;           // tinyprop: lower bound of the ratio
  float s_max = 0.9f;           // tinyprop: upper bound of the ratio
  float zeta = 0.5f;            // tinyprop: damping per trainable layer away from the output
  float skip_threshold = 0.1f;  // tinypropv2: skip when Y_L / Y_max,L < threshold
  float y_max_decay = 1.0f;     // extension: Y_max *= decay before each update (1 = off)
  float budget = 0.1f;          // budget: backward MACs per step, as a fraction of full's
  BudgetSplit budget_split = BudgetSplit::kEqualMacs;  // budget: a design choice, not a knob
  // budget: scale each step's budget by the sample's output error against its running mean
  // (at most twice the budget), so that samples with a large error get more; with softmax
  // cross-entropy also by the error's absolute level (a sample whose true class has
  // probability 1/2 or less gets twice the budget) (docs/ALGORITHM.md). false: every step
  // gets the budget.
  bool budget_adaptive = true;
  // The hard per-step bound, for every method: a step never does more backward MACs than this
  // (0 = no bound). Binding fails (kInvalidArgument) if even k = 1 in every layer exceeds it.
  uint64_t max_backward_macs = 0;
  bool sparse_bias = false;     // update only the selected neurons' biases (reference: dense)
  ConvSelection conv_selection = ConvSelection::kElement;  // granularity for convolutions
};

struct TrainConfig {
  OptimizerConfig optimizer;
  SparsityConfig sparsity;
  uint32_t batch_size = 1;  // 1: fused per-row updates, no gradient buffers at all

  Status validate() const;
};

}  // namespace tinyprop
