// The scenarios' protocols (docs/SCENARIOS.md): model, data set, targets and the methods compared
// (make_protocol); run_compare in scenario.cpp runs them.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "experiments/budget_curve.h"
#include "experiments/scenario.h"
#include "util/error.h"

namespace tinyprop::host {
namespace {

std::string num(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
  return buf;
}

MethodVariant full_variant() {
  MethodVariant m;
  m.label = "full";
  m.group = "full";
  m.sparsity.method = Method::kFull;
  return m;
}

MethodVariant static_variant(float ratio) {
  MethodVariant m;
  m.label = "static r=" + num(ratio);
  m.group = "static";
  m.sparsity.method = Method::kStatic;
  m.sparsity.ratio = ratio;
  return m;
}

MethodVariant tinyprop_variant(float s_min, float s_max, float zeta) {
  MethodVariant m;
  m.label = "tinyprop " + num(s_min) + "/" + num(s_max) + "/" + num(zeta);
  m.group = "tinyprop";
  m.sparsity.method = Method::kTinyProp;
  m.sparsity.s_min = s_min;
  m.sparsity.s_max = s_max;
  m.sparsity.zeta = zeta;
  m.is_default = s_min == 0.1f && s_max == 0.9f && zeta == 0.5f;
  return m;
}

MethodVariant tinypropv2_variant(float s_min, float s_max, float zeta, float tau) {
  MethodVariant m = tinyprop_variant(s_min, s_max, zeta);
  m.label = "tinypropv2 " + num(s_min) + "/" + num(s_max) + "/" + num(zeta) + " tau=" + num(tau);
  m.group = "tinypropv2";
  m.sparsity.method = Method::kTinyPropV2;
  m.sparsity.skip_threshold = tau;
  m.is_default = false;
  return m;
}

// The budget rule (docs/ALGORITHM.md): one knob, the step's backward MACs / full's.
MethodVariant budget_variant(float budget) {
  MethodVariant m;
  m.label = "budget " + num(budget);
  m.group = "budget";
  m.sparsity.method = Method::kBudget;
  m.sparsity.budget = budget;
  m.is_budget_default = budget == SparsityConfig{}.budget;
  return m;
}

MethodVariant matched_variant(const MethodVariant& to) {
  MethodVariant m;
  m.label = "static = " + to.label;
  m.group = "static-matched";
  m.sparsity.method = Method::kStatic;
  m.matched_to = to.label;
  return m;
}

}  // namespace

std::vector<std::string> scenario_names() {
  return {"mnist-mlp",   "mnist-shift",   "mnist-drift",   "fmnist-newclass",   "mnist-cnn",
          "fmnist-cnn",  "cifar10-cnn",   "mnist-scratch", "mnist-scratch-wide"};
}

namespace {

bool is_cnn_scenario(const std::string& scenario) {
  return scenario == "mnist-cnn" || scenario == "fmnist-cnn" || scenario == "cifar10-cnn";
}

// The model, data set and targets of each scenario (docs/SCENARIOS.md).
void set_scenario_model(Protocol* p) {
  const std::string& s = p->scenario;
  if (s == "mnist-scratch" || s == "mnist-scratch-wide") {
    p->model = s == "mnist-scratch" ? "mlp:784-32-16-10" : "mlp:784-128-64-10";
    p->dataset = "mnist";
    p->budget_target_backward_rel = 0.20;
    p->budget_target_loss_pp = 2.0;
    return;
  }
  if (s == "mnist-mlp" || s == "mnist-shift" || s == "mnist-drift" || s == "fmnist-newclass") {
    p->model = "mlp:784-128-64-10";
    p->dataset = s == "fmnist-newclass" ? "fashion-mnist" : "mnist";
    return;
  }
  // Small CNNs of the size deployed on MCUs: two 3x3 convolutions with ReLU and 2x2 max
  // pooling, then the classifier.
  if (s == "cifar10-cnn") {
    p->model = "cnn:32x32x3-c16k3-m2-c32k3-m2-d10";
    p->dataset = "cifar10";
  } else {
    p->model = "cnn:28x28x1-c8k3-m2-c16k3-m2-d10";
    p->dataset = s == "fmnist-cnn" ? "fashion-mnist" : "mnist";
  }
  // The CNN targets were set for fmnist-cnn: backward <= 25 % of full at <= 1.5 pp loss.
  p->target_backward_rel = 0.25;
  p->target_loss_pp = 1.5;
  p->target_source = "set for fmnist-cnn, applied to every CNN scenario";
}

// Training from scratch as in the TinyProp authors' MNIST example: the first 6,000 training and
// 1,000 test images in file order, Adam lr 1e-3 at batch 200 (per-sample selection, one update
// per batch), 15 epochs in file order, Glorot-uniform weights and zero biases.
void set_scratch_protocol(Protocol* p) {
  p->from_scratch = true;
  p->pretrain_count = 0;
  p->finetune_count = p->quick ? 400 : 6000;
  p->test_count = p->quick ? 200 : 1000;
  p->finetune.optimizer = OptimizerConfig{};
  p->finetune.optimizer.kind = OptimizerKind::kAdam;
  p->finetune.optimizer.learning_rate = 1e-3f;
  p->finetune.batch_size = 200;
  p->finetune_epochs = p->quick ? 2 : 15;
  p->finetune_lr_end_factor = 1.0f;
  p->eval_points = p->quick ? 2 : 5;
  // The same list, without the S_min / zeta grid's zeta = 1 points.
  std::vector<MethodVariant> kept;
  for (const MethodVariant& m : p->methods) {
    if (m.group == "tinyprop" && m.sparsity.zeta != 0.5f) continue;
    kept.push_back(m);
  }
  p->methods = kept;
}

}  // namespace

Protocol make_protocol(const std::string& scenario, bool quick, uint32_t seeds,
                       ConvSelection conv_selection) {
  const std::vector<std::string> names = scenario_names();
  if (std::find(names.begin(), names.end(), scenario) == names.end()) {
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
    throw Error("unknown scenario '" + scenario + "' (expected one of " + list + ")");
  }
  if (seeds == 0) throw Error("--seeds must be at least 1");
  if (conv_selection != ConvSelection::kElement && !is_cnn_scenario(scenario)) {
    throw Error("--conv-selection " + std::string(conv_selection_name(conv_selection)) +
                ": scenario " + scenario + " has no convolutions");
  }
  Protocol p;
  p.scenario = scenario;
  p.quick = quick;
  set_scenario_model(&p);
  p.conv_selection = conv_selection;
  p.split_seed = 20240601;
  // Host pretraining on a sixth of the training set (a fifth for CIFAR-10's 50,000); the
  // device fine-tunes on the rest.
  p.pretrain_count = quick ? 200 : 10000;
  p.finetune_count = quick ? 200 : 0;
  p.test_count = quick ? 200 : 0;
  p.pretrain.optimizer.kind = OptimizerKind::kAdam;
  p.pretrain.optimizer.learning_rate = 1e-3f;
  p.pretrain.batch_size = 32;
  p.pretrain_epochs = quick ? 2 : 5;
  // Device fine-tuning: plain SGD (no optimizer state in RAM), one sample at a time, one pass
  // over the fine-tuning data, learning rate decayed linearly from 0.01 to 0.
  p.finetune.optimizer.kind = OptimizerKind::kSgd;
  p.finetune.optimizer.learning_rate = 0.01f;
  p.finetune.optimizer.momentum = 0.0f;
  p.finetune.batch_size = 1;
  p.finetune.sparsity.conv_selection = conv_selection;
  p.finetune_epochs = 1;
  p.finetune_lr_end_factor = 0.0f;
  p.shifted = scenario == "mnist-shift";
  if (p.shifted) p.shift = mnist_shift_params();
  p.drifted = scenario == "mnist-drift";
  if (p.drifted) p.drift = mnist_drift_params();
  // New classes: the host model never saw labels 6-9 as a target (its 10 outputs stay).
  if (scenario == "fmnist-newclass") p.pretrain_classes = 6;
  p.eval_points = quick ? 2 : 5;
  p.trace_windows = quick ? 4 : 50;
  for (uint32_t s = 1; s <= seeds; ++s) p.seeds.push_back(s);

  p.methods.push_back(full_variant());
  for (float r : {0.05f, 0.1f, 0.2f, 0.3f, 0.5f}) p.methods.push_back(static_variant(r));
  const MethodVariant def = tinyprop_variant(0.1f, 0.9f, 0.5f);
  p.methods.push_back(def);
  for (float zeta : {0.5f, 1.0f}) {
    for (float s_min : {0.1f, 0.2f, 0.3f}) {
      if (s_min == 0.1f && zeta == 0.5f) continue;  // the default, already listed
      p.methods.push_back(tinyprop_variant(s_min, 0.9f, zeta));
    }
  }
  p.methods.push_back(tinypropv2_variant(0.1f, 0.9f, 0.5f, 0.1f));
  p.methods.push_back(matched_variant(def));
  // The budget rule at its default and a few more budgets (its accuracy-compute curve). Channel
  // selection picks whole filters from a ratio, which the budget cannot steer element by element.
  if (conv_selection == ConvSelection::kElement) {
    for (float b : kBudgetCurve) p.methods.push_back(budget_variant(b));
    // The design alternatives, for comparison: the other split, and every step at the budget.
    MethodVariant ratio = budget_variant(0.1f);
    ratio.label += " equal-ratio";
    ratio.sparsity.budget_split = BudgetSplit::kEqualRatio;
    ratio.is_budget_default = false;
    p.methods.push_back(ratio);
    MethodVariant fixed = budget_variant(0.1f);
    fixed.label += " fixed-step";
    fixed.sparsity.budget_adaptive = false;
    fixed.is_budget_default = false;
    p.methods.push_back(fixed);
  }
  for (MethodVariant& m : p.methods) m.sparsity.conv_selection = conv_selection;
  if (scenario == "mnist-scratch" || scenario == "mnist-scratch-wide") set_scratch_protocol(&p);
  return p;
}

void keep_methods(Protocol* p, const std::vector<std::string>& labels) {
  std::vector<std::string> keep = labels;
  for (const std::string& l : labels) {
    bool known = false;
    for (const MethodVariant& m : p->methods) {
      if (m.label != l) continue;
      known = true;
      if (!m.matched_to.empty()) keep.push_back(m.matched_to);
    }
    if (!known) throw Error("--methods: scenario " + p->scenario + " has no method '" + l + "'");
  }
  std::vector<MethodVariant> kept;
  for (const MethodVariant& m : p->methods) {
    if (m.label == "full" || std::find(keep.begin(), keep.end(), m.label) != keep.end()) {
      kept.push_back(m);
    }
  }
  p->methods = kept;
}

}  // namespace tinyprop::host
