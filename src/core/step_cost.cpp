// The per-step backward cost model, fixed at bind time: the full step's MACs, the budget
// rule's shares, the hard per-step bound and the worst case a step can reach
// (docs/ALGORITHM.md, "budget" and "The per-step bound").
#include "core/u64_float.h"
#include "layers/layer.h"
#include "tinyprop/select.h"
#include "tinyprop/trainer.h"

namespace tinyprop {
namespace {

// The largest backprop ratio a method can choose for a layer at trainable depth d. For
// tinyprop the relative error Y / Y_max is at most 1, and the float expression below is the
// policy's own at relative error 1 (float operations are monotonic, so no smaller error gives
// more).
float largest_ratio(const SparsityConfig& s, uint32_t depth) {
  switch (s.method) {
    case Method::kStatic: return s.ratio;
    case Method::kTinyProp:
    case Method::kTinyPropV2: {
      float damping = 1.0f;
      for (uint32_t i = 0; i < depth; ++i) damping *= s.zeta;
      const float bpr = (s.s_min + (s.s_max - s.s_min) * 1.0f) * damping;
      return bpr > 1.0f ? 1.0f : bpr;
    }
    case Method::kFull:
    case Method::kBudget:
      break;
  }
  return 1.0f;
}

// The most outputs the method selects in a layer of n outputs (channel mode: whole channels of
// n / c_out elements each).
uint64_t largest_k(const SparsityConfig& s, uint32_t depth, uint32_t n, uint32_t c_out,
                   bool conv) {
  const float r = largest_ratio(s, depth);
  if (conv && s.conv_selection == ConvSelection::kChannel && c_out > 0) {
    return static_cast<uint64_t>(k_for_ratio(r, c_out)) * (n / c_out);
  }
  return k_for_ratio(r, n);
}

// Equal MACs give a cheap layer a higher ratio than an expensive one; that is the point where
// the cheap layers are the upper ones (a classifier's error reaches the layers below through
// the k rows the layer above keeps), and wrong where the most expensive layer is the output
// (an autoencoder's 128 x 640 output layer would keep 3 % of its errors while the layers
// below keep 17 %). So the sparse layers' ratios planned / full must not rise going down:
// where a layer would get a higher ratio than the sparse layer above it, the two (and the
// blocks they join) share their planned MACs at one ratio (pool-adjacent-violators, from the
// top). The total stays the same. Dense layers are left out. Float32, n <= kMaxLayers.
void keep_ratios_falling_downwards(const uint64_t* full, const bool* dense, uint32_t n,
                                   float* planned) {
  float block_planned[kMaxLayers] = {}, block_full[kMaxLayers] = {};
  uint32_t block_first[kMaxLayers] = {};  // the block's lowest layer; blocks run top-down
  uint32_t blocks = 0;
  for (uint32_t i = n; i-- > 0;) {
    if (dense[i]) continue;
    block_planned[blocks] = planned[i];
    block_full[blocks] = u64_to_float(full[i]);
    block_first[blocks++] = i;
    // The lower block's ratio above the upper one's (cross-multiplied: full > 0)?
    while (blocks > 1 && block_planned[blocks - 1] * block_full[blocks - 2] >
                             block_planned[blocks - 2] * block_full[blocks - 1]) {
      block_planned[blocks - 2] += block_planned[blocks - 1];
      block_full[blocks - 2] += block_full[blocks - 1];
      block_first[blocks - 2] = block_first[blocks - 1];
      --blocks;
    }
  }
  uint32_t b = 0;
  for (uint32_t i = n; i-- > 0;) {
    if (dense[i]) continue;
    planned[i] = block_planned[b] * (u64_to_float(full[i]) / block_full[b]);
    if (i == block_first[b]) ++b;
  }
}

// The budget rule's planned MACs per trainable layer (bottom-up order), from the full costs
// `full[0..n)` and the budget b: water-filling finds the layers whose whole backward fits in an
// equal share of what the others leave (they run dense); the others share the rest in equal
// MACs with their ratios kept falling downwards (the default), or at one ratio of their full
// cost. Float32, n <= kMaxLayers.
void plan_budget(const uint64_t* full, uint32_t n, uint64_t budget, BudgetSplit split,
                 float* planned) {
  bool dense[kMaxLayers] = {};
  for (bool changed = true; changed;) {
    changed = false;
    uint64_t left = budget;
    uint32_t sparse = 0;
    for (uint32_t i = 0; i < n; ++i) {
      if (dense[i]) {
        left = left > full[i] ? left - full[i] : 0;
      } else {
        ++sparse;
      }
    }
    if (sparse == 0) break;
    const float share = u64_to_float(left) / static_cast<float>(sparse);
    for (uint32_t i = 0; i < n; ++i) {
      if (!dense[i] && u64_to_float(full[i]) <= share) dense[i] = changed = true;
    }
  }
  uint64_t left = budget, sparse_full = 0;
  uint32_t sparse = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (dense[i]) {
      left = left > full[i] ? left - full[i] : 0;
    } else {
      sparse_full += full[i];
      ++sparse;
    }
  }
  for (uint32_t i = 0; i < n; ++i) {
    if (dense[i]) {
      planned[i] = u64_to_float(full[i]);
    } else if (split == BudgetSplit::kEqualMacs) {
      planned[i] = u64_to_float(left) / static_cast<float>(sparse);
    } else {
      planned[i] = u64_to_float(left) *
                   (u64_to_float(full[i]) / u64_to_float(sparse_full));
    }
  }
  if (split == BudgetSplit::kEqualMacs) keep_ratios_falling_downwards(full, dense, n, planned);
}

}  // namespace

Status Trainer::plan_step_cost(const ModelSpec& spec, const TrainConfig& config) {
  const Model& m = *model_;
  const SparsityConfig& s = config.sparsity;
  uint64_t full = 0, fixed = 0, minimum = 0, natural = 0;
  uint64_t layer_full[kMaxLayers] = {};
  uint32_t layer_index[kMaxLayers] = {};
  uint32_t n_trainable = 0;
  bool channel_conv = false;
  for (uint32_t i = lowest_trainable_; i < spec.n_layers; ++i) {  // bottom-up
    if (!layer_has_params(spec.layers[i].kind)) continue;
    const Layer& l = m.layer(i);
    const uint64_t row = layer_backward_macs_per_output(l);
    LayerTrainState& st = state_[i];
    if (!st.trainable) {  // a frozen layer between trainable ones: dense pass-through
      const uint64_t cost = row * l.out_size;
      full += cost;
      fixed += cost;
      minimum += cost;
      natural += cost;
      continue;
    }
    const bool conv = layer_is_conv(spec.layers[i].kind);
    if (conv && s.conv_selection == ConvSelection::kChannel) channel_conv = true;
    st.row_cost = row * (i > lowest_trainable_ ? 2u : 1u);
    st.fixed_below = fixed;
    st.reserve_below = minimum;
    layer_full[n_trainable] = st.row_cost * l.out_size;
    layer_index[n_trainable++] = i;
    full += st.row_cost * l.out_size;
    minimum += st.row_cost;
    natural += st.row_cost * largest_k(s, static_cast<uint32_t>(st.depth), l.out_size,
                                       l.n_bias, conv);
  }
  full_macs_ = full;
  step_cap_ = s.max_backward_macs > 0 ? s.max_backward_macs : UINT64_MAX;
  budget_dense_ = false;
  minimum_macs_ = minimum;
  budget_macs_ = full;
  if (s.method == Method::kBudget) {
    if (s.budget < 1.0f) budget_macs_ = float_to_u64(s.budget * u64_to_float(full));
    if (budget_macs_ >= full) budget_dense_ = true;
    // Adaptive: a step may take up to twice the budget (never more than full).
    uint64_t most = budget_macs_;
    if (s.budget_adaptive && !budget_dense_) {
      most = s.budget < 0.5f ? float_to_u64(2.0f * s.budget * u64_to_float(full))
                             : full;
    }
    if (most < step_cap_) step_cap_ = most;
  }
  // The budget rule's shares: walking down, layer l takes planned_l / (planned_l + planned of
  // the layers below) of what is left, which is planned_l when the layers above spent theirs.
  if (s.method == Method::kBudget && !budget_dense_) {
    float planned[kMaxLayers] = {};
    plan_budget(layer_full, n_trainable, budget_macs_ > fixed ? budget_macs_ - fixed : 0,
                s.budget_split, planned);
    float below = 0.0f;
    for (uint32_t t = 0; t < n_trainable; ++t) {
      below += planned[t];
      state_[layer_index[t]].budget_share = below > 0.0f ? planned[t] / below : 1.0f;
    }
    // With softmax cross-entropy a sparse output layer that keeps only the largest |delta| (the
    // true class) never pushes the competitors down, and the model collapses. So the output
    // layer runs dense on every step when its whole backward fits in the mean budget (and, with
    // k = 1 below, under the bound): a share above 1 marks it, and the step's minimum grows.
    if (n_trainable > 0 && spec.loss == LossKind::kSoftmaxCrossEntropy) {
      LayerTrainState& top = state_[layer_index[n_trainable - 1]];
      const uint64_t top_full = layer_full[n_trainable - 1];
      const uint64_t with_dense = minimum - top.row_cost + top_full;
      if (top_full <= budget_macs_ && with_dense <= step_cap_) {
        top.budget_share = 2.0f;
        minimum_macs_ = with_dense;
      }
    }
  }
  // A bound below k = 1 everywhere cannot be kept; channel selection picks whole filters from
  // a ratio, which the element-wise bound cannot steer: both are refused when the bound bites.
  if (step_cap_ < minimum) return Status::kInvalidArgument;
  if (channel_conv && step_cap_ < natural) return Status::kInvalidArgument;
  worst_case_macs_ = natural < step_cap_ ? natural : step_cap_;
  return Status::kOk;
}

}  // namespace tinyprop
