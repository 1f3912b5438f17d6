#include "tinyprop/train_config.h"

namespace tinyprop {
namespace {

bool same(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

bool in_unit_interval(float x) { return x >= 0.0f && x <= 1.0f; }

}  // namespace

const char* method_name(Method m) {
  switch (m) {
    case Method::kFull: return "full";
    case Method::kStatic: return "static";
    case Method::kTinyProp: return "tinyprop";
    case Method::kTinyPropV2: return "tinypropv2";
    case Method::kBudget: return "budget";
  }
  return "unknown";
}

bool parse_method(const char* text, Method* out) {
  if (text == nullptr || out == nullptr) return false;
  const Method all[] = {Method::kFull, Method::kStatic, Method::kTinyProp, Method::kTinyPropV2,
                        Method::kBudget};
  for (Method m : all) {
    if (same(text, method_name(m))) {
      *out = m;
      return true;
    }
  }
  return false;
}

const char* conv_selection_name(ConvSelection s) {
  switch (s) {
    case ConvSelection::kElement: return "element";
    case ConvSelection::kChannel: return "channel";
  }
  return "unknown";
}

bool parse_conv_selection(const char* text, ConvSelection* out) {
  if (text == nullptr || out == nullptr) return false;
  const ConvSelection all[] = {ConvSelection::kElement, ConvSelection::kChannel};
  for (ConvSelection c : all) {
    if (same(text, conv_selection_name(c))) {
      *out = c;
      return true;
    }
  }
  return false;
}

Status TrainConfig::validate() const {
  const OptimizerConfig& o = optimizer;
  // Written as !(x > 0) so that NaN is rejected too.
  if (!(o.learning_rate > 0.0f)) return Status::kInvalidArgument;
  if (!(o.momentum >= 0.0f && o.momentum < 1.0f)) return Status::kInvalidArgument;
  if (o.kind == OptimizerKind::kAdam) {
    if (!(o.beta1 >= 0.0f && o.beta1 < 1.0f)) return Status::kInvalidArgument;
    if (!(o.beta2 >= 0.0f && o.beta2 < 1.0f)) return Status::kInvalidArgument;
    if (!(o.epsilon > 0.0f)) return Status::kInvalidArgument;
  }
  if (batch_size == 0) return Status::kInvalidArgument;
  const SparsityConfig& s = sparsity;
  if (!(s.ratio > 0.0f && s.ratio <= 1.0f)) return Status::kInvalidArgument;
  if (!in_unit_interval(s.s_min) || !in_unit_interval(s.s_max) || s.s_min > s.s_max) {
    return Status::kInvalidArgument;
  }
  if (!(s.zeta > 0.0f && s.zeta <= 1.0f)) return Status::kInvalidArgument;
  if (!in_unit_interval(s.skip_threshold)) return Status::kInvalidArgument;
  if (!(s.y_max_decay > 0.0f && s.y_max_decay <= 1.0f)) return Status::kInvalidArgument;
  if (!(s.budget > 0.0f && s.budget <= 1.0f)) return Status::kInvalidArgument;
  if (s.budget_split != BudgetSplit::kEqualRatio && s.budget_split != BudgetSplit::kEqualMacs) {
    return Status::kInvalidArgument;
  }
  if (s.conv_selection != ConvSelection::kElement && s.conv_selection != ConvSelection::kChannel) {
    return Status::kInvalidArgument;
  }
  switch (s.method) {
    case Method::kFull:
    case Method::kStatic:
    case Method::kTinyProp:
    case Method::kTinyPropV2:
    case Method::kBudget:
      return Status::kOk;
  }
  return Status::kInvalidArgument;
}

}  // namespace tinyprop
