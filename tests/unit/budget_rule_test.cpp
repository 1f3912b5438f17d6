// The budget rule and the hard per-step bound (docs/ALGORITHM.md, "budget" and "The per-step
// bound"): no step ever exceeds the bound, for any method, on random models and inputs; k stays
// in [1, N]; a budget of 1 is full backprop bit for bit; runs are deterministic; the worst case
// is known at bind time; bounds that cannot be kept are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "test_conv_util.h"
#include "test_util.h"
#include "tinyprop/sparsity.h"

namespace tinyprop_test {
namespace {

struct Steps {
  std::vector<float> params;
  std::vector<uint32_t> ks;
  uint64_t max_step = 0;      // the most backward MACs of one step
  uint64_t total = 0, total_full = 0;
};

// Trains `steps` random samples (inputs in [-2, 2], random labels) and checks every step's k
// against [1, N] and its backward MACs against the trainer's worst case and `bound`.
Steps run(const ModelSpec& spec, const TrainConfig& cfg, uint32_t steps, uint64_t seed,
          uint64_t bound) {
  Bound b(spec, cfg, seed);
  EXPECT_EQ(b.status, Status::kOk);
  Steps r;
  if (!ok(b.status)) return r;
  const uint32_t in = b.model.layer(0).in_size;
  const uint32_t classes = b.model.output_size();
  Rng rng(seed * 31 + 5);
  StepCounters c;
  for (uint32_t s = 0; s < steps; ++s) {
    const std::vector<float> x = random_vector(rng, in, -2.0f, 2.0f);
    b.trainer.train_sample(x.data(), Target::of_label(rng.next_u32() % classes), &c);
    EXPECT_LE(c.backward_macs, bound) << "step " << s;
    EXPECT_LE(c.backward_macs, b.trainer.worst_case_backward_macs()) << "step " << s;
    EXPECT_EQ(c.backward_macs_full, b.trainer.full_backward_macs());
    for (uint32_t l = 0; l < b.model.n_layers(); ++l) {
      if (c.n[l] == 0) continue;
      EXPECT_GE(c.k[l], 1u);
      EXPECT_LE(c.k[l], c.n[l]);
      r.ks.push_back(c.k[l]);
    }
    if (c.backward_macs > r.max_step) r.max_step = c.backward_macs;
    r.total += c.backward_macs;
    r.total_full += c.backward_macs_full;
  }
  r.params = copy_of(b.model.params(), b.model.param_count());
  return r;
}

std::vector<ModelSpec> models() {
  std::vector<ModelSpec> m;
  m.push_back(mlp_spec({12, 24, 16, 5}, LayerKind::kReLU));
  m.push_back(mlp_spec({30, 64, 8, 3}, LayerKind::kTanh));
  m.push_back(mlp_spec({7, 5, 40, 40, 10}, LayerKind::kReLU));
  m.push_back(small_cnn(6, 4));
  m.push_back(all_kinds_cnn());
  ModelSpec frozen = mlp_spec({16, 32, 20, 6}, LayerKind::kReLU);
  frozen.layers[2].trainable = false;  // the middle dense layer passes the error through
  m.push_back(frozen);
  return m;
}

TEST(BudgetRule, NeverExceedsTheBudgetAndKStaysInRange) {
  uint64_t seed = 1;
  for (const ModelSpec& spec : models()) {
    for (float budget : {0.02f, 0.1f, 0.3f, 0.77f}) {
      for (uint32_t batch : {1u, 4u}) {
        TrainConfig cfg = make_config(Method::kBudget, OptimizerKind::kSgd, batch, 0.02f);
        cfg.sparsity.budget = budget;
        Bound probe(spec, cfg, seed);
        if (probe.status == Status::kInvalidArgument) continue;  // below k = 1 everywhere
        ASSERT_EQ(probe.status, Status::kOk);
        const uint64_t full = probe.trainer.full_backward_macs();
        // Adaptive (the default): a step may take up to twice the budget, never more than full.
        const uint64_t cap = budget < 0.5f
                                 ? static_cast<uint64_t>(2.0f * budget * static_cast<float>(full))
                                 : full;
        EXPECT_EQ(probe.trainer.step_backward_cap(), cap);
        EXPECT_LE(probe.trainer.worst_case_backward_macs(), cap);
        const Steps r = run(spec, cfg, 150, seed++, cap);
        EXPECT_GT(r.max_step, 0u);
        // It did select; at budget >= 0.5 a step may take full's (random labels: every sample
        // wrong, p_true <= 1/2, so every step gets twice the budget, here full's).
        if (cap < full) EXPECT_LT(r.total, r.total_full);
        // Every step at exactly the budget when not adaptive.
        TrainConfig fixed = cfg;
        fixed.sparsity.budget_adaptive = false;
        const uint64_t b = static_cast<uint64_t>(budget * static_cast<float>(full));
        Bound fprobe(spec, fixed, seed);
        if (!ok(fprobe.status)) continue;
        EXPECT_EQ(fprobe.trainer.step_backward_cap(), b);
        run(spec, fixed, 100, seed++, b);
      }
    }
  }
}

TEST(BudgetRule, BoundHoldsForEveryMethod) {
  uint64_t seed = 100;
  int ran = 0;
  for (const ModelSpec& spec : models()) {
    for (Method m : {Method::kFull, Method::kStatic, Method::kTinyProp, Method::kTinyPropV2,
                     Method::kBudget}) {
      TrainConfig cfg = make_config(m, OptimizerKind::kAdam, 1, 1e-3f);
      cfg.sparsity.ratio = 0.6f;
      cfg.sparsity.budget = 0.5f;
      Bound probe(spec, cfg, seed);
      ASSERT_EQ(probe.status, Status::kOk);
      // A bound at a quarter of full: below every method's natural worst case here.
      const uint64_t bound = probe.trainer.full_backward_macs() / 4;
      cfg.sparsity.max_backward_macs = bound;
      Bound bounded(spec, cfg, seed);
      if (bounded.status == Status::kInvalidArgument) continue;  // below k = 1 everywhere
      ASSERT_EQ(bounded.status, Status::kOk) << method_name(m);
      ++ran;
      EXPECT_EQ(bounded.trainer.step_backward_cap(), bound);
      EXPECT_LE(bounded.trainer.worst_case_backward_macs(), bound);
      const Steps r = run(spec, cfg, 120, seed++, bound);
      EXPECT_GT(r.max_step, 0u);
    }
  }
  EXPECT_GE(ran, 25);  // 6 models x 5 methods; only models whose k = 1 costs > full / 4 skip
}

TEST(BudgetRule, WorstCaseIsTheMethodsOwnWithoutABound) {
  const ModelSpec spec = mlp_spec({12, 24, 16, 5}, LayerKind::kReLU);
  // Costs per selected neuron: 12 (lowest, dW only), 2 x 24, 2 x 16; full = 12*24 + 48*16 + 32*5.
  const uint64_t full = 12 * 24 + 48 * 16 + 32 * 5;
  Bound f(spec, make_config(Method::kFull));
  ASSERT_EQ(f.status, Status::kOk);
  EXPECT_EQ(f.trainer.full_backward_macs(), full);
  EXPECT_EQ(f.trainer.worst_case_backward_macs(), full);
  EXPECT_EQ(f.trainer.step_backward_cap(), UINT64_MAX);
  TrainConfig st = make_config(Method::kStatic);
  st.sparsity.ratio = 0.5f;  // k = 12, 8, 2
  Bound s(spec, st);
  EXPECT_EQ(s.trainer.worst_case_backward_macs(), 12u * 12 + 48u * 8 + 32u * 2);
  TrainConfig tp = make_config(Method::kTinyProp);  // S_max 0.9, zeta 0.5: 0.225, 0.45, 0.9
  Bound t(spec, tp);
  EXPECT_EQ(t.trainer.worst_case_backward_macs(), 12u * 5 + 48u * 7 + 32u * 4);
  // The worst case is reached: static always selects its k.
  const Steps r = run(spec, st, 20, 3, UINT64_MAX);
  EXPECT_EQ(r.max_step, s.trainer.worst_case_backward_macs());
}

TEST(BudgetRule, BudgetOneIsFullBitForBit) {
  const ModelSpec spec = mlp_spec({12, 24, 16, 5}, LayerKind::kReLU);
  for (uint32_t batch : {1u, 8u}) {
    TrainConfig full = make_config(Method::kFull, OptimizerKind::kAdam, batch, 1e-3f);
    TrainConfig budget = full;
    budget.sparsity.method = Method::kBudget;
    budget.sparsity.budget = 1.0f;
    TrainConfig bounded = full;  // a bound that full never reaches changes nothing
    bounded.sparsity.max_backward_macs = 12 * 24 + 48 * 16 + 32 * 5;
    const Steps a = run(spec, full, 200, 9, UINT64_MAX);
    for (const TrainConfig& cfg : {budget, bounded}) {
      const Steps b = run(spec, cfg, 200, 9, UINT64_MAX);
      ASSERT_EQ(a.params.size(), b.params.size());
      EXPECT_TRUE(same_bits(a.params.data(), b.params.data(), a.params.size()));
      EXPECT_EQ(a.ks, b.ks);
    }
  }
  // The conv path too.
  const ModelSpec cnn = small_cnn(6, 4);
  TrainConfig full = make_config(Method::kFull, OptimizerKind::kSgd, 1, 0.02f);
  TrainConfig budget = full;
  budget.sparsity.method = Method::kBudget;
  budget.sparsity.budget = 1.0f;
  const Steps a = run(cnn, full, 60, 4, UINT64_MAX);
  const Steps b = run(cnn, budget, 60, 4, UINT64_MAX);
  EXPECT_TRUE(same_bits(a.params.data(), b.params.data(), a.params.size()));
}

TEST(BudgetRule, Deterministic) {
  for (const ModelSpec& spec : models()) {
    TrainConfig cfg = make_config(Method::kBudget, OptimizerKind::kSgd, 1, 0.02f);
    cfg.sparsity.budget = 0.2f;
    Bound probe(spec, cfg, 5);
    if (!ok(probe.status)) continue;
    const Steps a = run(spec, cfg, 80, 5, UINT64_MAX);
    const Steps b = run(spec, cfg, 80, 5, UINT64_MAX);
    EXPECT_TRUE(same_bits(a.params.data(), b.params.data(), a.params.size()));
    EXPECT_EQ(a.ks, b.ks);
  }
}

// The k of every step of 784-128-64-10 at the default budget 0.1 (B = 11,801 of 118,016 MACs).
std::vector<uint32_t> mnist_mlp_ks(BudgetSplit split) {
  const ModelSpec spec = mlp_spec({784, 128, 64, 10}, LayerKind::kReLU);
  TrainConfig cfg = make_config(Method::kBudget);
  EXPECT_EQ(cfg.sparsity.budget, 0.1f);  // the default
  cfg.sparsity.budget_split = split;
  cfg.sparsity.budget_adaptive = false;  // every step at the budget: the split alone
  Bound b(spec, cfg, 2);
  EXPECT_EQ(b.status, Status::kOk);
  std::vector<uint32_t> ks;
  if (!ok(b.status)) return ks;
  Rng rng(8);
  StepCounters c;
  for (int s = 0; s < 20; ++s) {
    const std::vector<float> x = random_vector(rng, 784, 0.0f, 1.0f);
    b.trainer.train_sample(x.data(), Target::of_label(static_cast<uint32_t>(s % 10)), &c);
    EXPECT_LE(c.backward_macs, b.trainer.step_backward_cap());
    ks.push_back(c.k[0]);
    ks.push_back(c.k[2]);
    ks.push_back(c.k[4]);
  }
  return ks;
}

TEST(BudgetRule, CheapOutputLayerStaysDense) {
  // The output layer's whole backward (1,280 MACs) is within an equal third of the budget, so
  // every output neuron is kept (no true-class-only collapse). Equal ratio: the other two share
  // the remaining 10,521 MACs at r = 10,521 / 116,736 = 0.090: k = floor(0.090 x 64) = 5 in the
  // middle layer (1,280 MACs), and the first layer takes what is left, floor(9,241 / 784) = 11.
  const std::vector<uint32_t> ratio = mnist_mlp_ks(BudgetSplit::kEqualRatio);
  for (size_t i = 0; i + 2 < ratio.size(); i += 3) {
    EXPECT_EQ(ratio[i], 11u);
    EXPECT_EQ(ratio[i + 1], 5u);
    EXPECT_EQ(ratio[i + 2], 10u);
  }
  // Equal MACs: 10,521 / 2 each: floor(5,260 / 256) = 20 in the middle, then
  // floor((10,521 - 5,120) / 784) = 6 in the first layer.
  const std::vector<uint32_t> macs = mnist_mlp_ks(BudgetSplit::kEqualMacs);
  for (size_t i = 0; i + 2 < macs.size(); i += 3) {
    EXPECT_EQ(macs[i], 6u);
    EXPECT_EQ(macs[i + 1], 20u);
    EXPECT_EQ(macs[i + 2], 10u);
  }
}

TEST(BudgetRule, DefaultSplitIsEqualMacs) {
  // From scratch the error is spread over many units: at one ratio the 64-unit middle layer of
  // 784-128-64-10 keeps 5 rows, so the first layer's error has at most 5 directions per sample
  // (17.6 pp lost on mnist-scratch-wide, docs/ALGORITHM.md). In equal MACs it keeps 20.
  EXPECT_EQ(SparsityConfig{}.budget_split, BudgetSplit::kEqualMacs);
  EXPECT_EQ(mnist_mlp_ks(SparsityConfig{}.budget_split), mnist_mlp_ks(BudgetSplit::kEqualMacs));
}

TEST(BudgetRule, RatiosDoNotRiseGoingDown) {
  // An autoencoder-like 64-16-16-64 with mean squared error, every step at B = 358 of 3,584
  // MACs: its output layer (16 x 64, 2,048 MACs) is the most expensive. Equal MACs alone would
  // plan 119 MACs per layer: k = 3 of 64 at the output (ratio 0.05) under k = 4 of 16 in the
  // middle (0.25), so the error below would come from 3 of 64 outputs. Pooled to one ratio
  // (0.1, no layer may have a higher one than the layer above), the output keeps
  // floor(204.5 / 32) = 6, the middle floor(55.3 / 32) = 1 and the first floor(134 / 64) = 2.
  ModelSpec spec = mlp_spec({64, 16, 16, 64}, LayerKind::kReLU);
  spec.loss = LossKind::kMeanSquaredError;
  TrainConfig cfg = make_config(Method::kBudget);
  cfg.sparsity.budget_adaptive = false;
  Bound b(spec, cfg, 6);
  ASSERT_EQ(b.status, Status::kOk);
  ASSERT_EQ(b.trainer.full_backward_macs(), 3584u);
  Rng rng(9);
  StepCounters c;
  for (int s = 0; s < 10; ++s) {
    const std::vector<float> x = random_vector(rng, 64, 0.0f, 1.0f);
    b.trainer.train_sample(x.data(), Target::of_values(x.data()), &c);
    EXPECT_EQ(c.k[4], 6u);
    EXPECT_EQ(c.k[2], 1u);
    EXPECT_EQ(c.k[0], 2u);
    EXPECT_LE(c.backward_macs, 358u);
  }
}

// The mean backward MACs of `steps` samples of 784-128-64-10 at the default budget 0.1 with
// random inputs and random labels (a fresh model: every sample about as wrong as the others,
// the true class at p ~ 1/10 << 1/2), and the budget B.
double fresh_model_mean_step(LossKind loss, uint32_t steps, uint64_t* budget) {
  ModelSpec spec = mlp_spec({784, 128, 64, 10}, LayerKind::kReLU);
  spec.loss = loss;
  TrainConfig cfg = make_config(Method::kBudget);
  Bound b(spec, cfg, 3);
  EXPECT_EQ(b.status, Status::kOk);
  *budget = static_cast<uint64_t>(0.1f * static_cast<float>(b.trainer.full_backward_macs()));
  if (!ok(b.status)) return 0.0;
  Rng rng(21);
  StepCounters c;
  uint64_t total = 0;
  for (uint32_t s = 0; s < steps; ++s) {
    const std::vector<float> x = random_vector(rng, 784, 0.0f, 1.0f);
    const uint32_t label = rng.next_u32() % 10;
    if (loss == LossKind::kSoftmaxCrossEntropy) {
      b.trainer.train_sample(x.data(), Target::of_label(label), &c);
    } else {
      std::vector<float> t(10, 0.0f);
      t[label] = 1.0f;
      b.trainer.train_sample(x.data(), Target::of_values(t.data()), &c);
    }
    EXPECT_LE(c.backward_macs, b.trainer.step_backward_cap());
    total += c.backward_macs;
  }
  return static_cast<double>(total) / steps;
}

TEST(BudgetRule, SamplesTheModelGetsWrongGetTwiceTheBudget) {
  // Softmax cross-entropy: Y = 2 (1 - p_true), and s = max(Y / Ybar, 2 Y). From scratch every
  // sample is about as wrong as the running mean (Y / Ybar ~ 1, which alone would give each
  // step about B), but p_true ~ 0.1 <= 1/2: each step gets about twice the budget.
  uint64_t budget = 0;
  const double ce = fresh_model_mean_step(LossKind::kSoftmaxCrossEntropy, 30, &budget);
  EXPECT_GT(ce, 1.6 * static_cast<double>(budget));
  // Mean squared error has no absolute scale: the relative part alone, about B.
  const double mse = fresh_model_mean_step(LossKind::kMeanSquaredError, 30, &budget);
  EXPECT_LT(mse, 1.3 * static_cast<double>(budget));
  EXPECT_GT(mse, 0.25 * static_cast<double>(budget));
}

TEST(BudgetRule, AdaptiveSpendsAboutTheBudgetOnAverageAndVariesPerSample) {
  // Learnable data (Gaussian blobs), so that output errors differ between samples: the mean
  // step stays within 10 % of the budget above it (E[Y / Ybar] = 1; the clamp at 2 only lowers
  // it), steps differ with their output error, and none exceeds twice the budget.
  const ModelSpec spec = mlp_spec({12, 48, 32, 5}, LayerKind::kReLU);
  const Dataset d = make_blobs(300, 12, 5, 0.8f, 77);
  TrainConfig cfg = make_config(Method::kBudget);
  cfg.sparsity.budget = 0.2f;
  Bound b(spec, cfg, 4);
  ASSERT_EQ(b.status, Status::kOk);
  const float full = static_cast<float>(b.trainer.full_backward_macs());
  const uint64_t budget = static_cast<uint64_t>(0.2f * full);
  EXPECT_EQ(b.trainer.step_backward_cap(), static_cast<uint64_t>(0.4f * full));
  StepCounters c;
  uint64_t total = 0, low = 0, high = 0;
  const uint32_t steps = 900;
  for (uint32_t s = 0; s < steps; ++s) {
    const uint32_t i = s % d.size();
    b.trainer.train_sample(d.row(i), Target::of_label(d.y[i]), &c);
    EXPECT_LE(c.backward_macs, b.trainer.step_backward_cap());
    total += c.backward_macs;
    if (c.backward_macs < budget * 3 / 4) ++low;
    if (c.backward_macs > budget * 5 / 4) ++high;
  }
  const double mean = static_cast<double>(total) / steps;
  EXPECT_LE(mean, 1.1 * static_cast<double>(budget));
  EXPECT_GT(mean, 0.3 * static_cast<double>(budget));
  EXPECT_GT(low, 0u);
  EXPECT_GT(high, 0u);
}

// The output error Y = sum_i |p_i - y_i| of a softmax classifier, in double (the trainer's own
// exp differs in the last bits; the decisions below leave a margin for that).
double softmax_error(const float* logits, uint32_t n, uint32_t label) {
  double top = logits[0];
  for (uint32_t i = 1; i < n; ++i) top = logits[i] > top ? logits[i] : top;
  std::vector<double> p(n);
  double sum = 0.0;
  for (uint32_t i = 0; i < n; ++i) sum += (p[i] = std::exp(logits[i] - top));
  double y = 0.0;
  for (uint32_t i = 0; i < n; ++i) y += std::fabs(p[i] / sum - (i == label ? 1.0 : 0.0));
  return y;
}

TEST(BudgetRule, StepsThatCannotBuyOneNeuronPerLayerAreSkipped) {
  // 12-48-32-5 at b = 0.3: F = 12 x 48 + 96 x 32 + 64 x 5 = 3,968 MACs, B = 1,190. The output
  // layer (320) runs dense; k = 1 below costs 12 + 96: the step minimum is 428 MACs. A step
  // whose budget min(s, 2) B falls below it, s = max(Y / Ybar, 2 Y), is skipped: no backward
  // MACs, no update (batch 1), and it still counts in its batch (batch 4).
  const ModelSpec spec = mlp_spec({12, 48, 32, 5}, LayerKind::kReLU);
  const Dataset d = make_blobs(300, 12, 5, 0.8f, 77);
  for (uint32_t batch : {1u, 4u}) {
    TrainConfig cfg = make_config(Method::kBudget, OptimizerKind::kSgd, batch, 0.05f);
    cfg.sparsity.budget = 0.3f;
    Bound b(spec, cfg, 4);
    ASSERT_EQ(b.status, Status::kOk);
    ASSERT_EQ(b.trainer.full_backward_macs(), 3968u);
    const double budget = static_cast<double>(static_cast<uint64_t>(0.3f * 3968.0f));
    const double minimum = 428.0;
    const uint32_t top = b.model.n_layers() - 1;
    StepCounters c;
    uint32_t skipped = 0, checked = 0;
    uint64_t samples_in_batches = 0;
    for (uint32_t s = 0; s < 1500; ++s) {
      const uint32_t i = s % d.size();
      const float* logits = b.model.forward(d.row(i));
      const double y = softmax_error(logits, 5, d.y[i]);
      const double y_mean = b.trainer.state(top).y_max;  // Ybar before this step
      double scale = y_mean > 0.0 ? y / y_mean : 1.0;
      if (2.0 * y > scale) scale = 2.0 * y;
      if (scale > 2.0) scale = 2.0;
      const std::vector<float> before = copy_of(b.model.params(), b.model.param_count());
      const uint64_t steps_before = b.trainer.optimizer_steps();
      b.trainer.train_sample(d.row(i), Target::of_label(d.y[i]), &c);
      const double margin = std::fabs(scale * budget - minimum) / minimum;
      if (margin > 1e-3) {
        EXPECT_EQ(c.skipped, scale * budget < minimum) << "step " << s;
        ++checked;
      }
      if (c.skipped) {
        ++skipped;
        EXPECT_EQ(c.backward_macs, 0u);
        EXPECT_EQ(c.backward_macs_full, 3968u);
        for (uint32_t l = 0; l < b.model.n_layers(); ++l) EXPECT_EQ(c.k[l], 0u);
        if (batch == 1) {
          EXPECT_EQ(copy_of(b.model.params(), b.model.param_count()), before) << "step " << s;
          EXPECT_EQ(b.trainer.optimizer_steps(), steps_before);
        }
      } else {
        EXPECT_GE(c.backward_macs, static_cast<uint64_t>(minimum)) << "step " << s;
      }
      ++samples_in_batches;
    }
    EXPECT_GT(checked, 1400u);
    // The blobs are learnt: most samples are right with a margin and are skipped, but not all.
    EXPECT_GT(skipped, 300u) << "batch " << batch;
    EXPECT_LT(skipped, 1500u) << "batch " << batch;
    // Skipped samples count in their batch: one optimizer step per `batch` samples.
    EXPECT_EQ(b.trainer.optimizer_steps(), batch == 1 ? 1500u - skipped : samples_in_batches / 4);
  }
  // Not adaptive: every step gets the budget, nothing is skipped.
  TrainConfig fixed = make_config(Method::kBudget);
  fixed.sparsity.budget = 0.3f;
  fixed.sparsity.budget_adaptive = false;
  Bound f(spec, fixed, 4);
  ASSERT_EQ(f.status, Status::kOk);
  StepCounters c;
  for (uint32_t s = 0; s < 600; ++s) {
    f.trainer.train_sample(d.row(s % d.size()), Target::of_label(d.y[s % d.size()]), &c);
    EXPECT_FALSE(c.skipped);
  }
}

TEST(BudgetRule, RefusesBoundsThatCannotBeKept) {
  const ModelSpec spec = mlp_spec({12, 24, 16, 5}, LayerKind::kReLU);
  TrainConfig cfg = make_config(Method::kTinyProp);
  cfg.sparsity.max_backward_macs = 12 + 48 + 32 - 1;  // k = 1 everywhere costs 92
  Bound low(spec, cfg);
  EXPECT_EQ(low.status, Status::kInvalidArgument);
  cfg.sparsity.max_backward_macs = 12 + 48 + 32;
  Bound exact(spec, cfg);
  EXPECT_EQ(exact.status, Status::kOk);
  const Steps r = run(spec, cfg, 30, 2, 92);
  EXPECT_EQ(r.max_step, 92u);
  for (uint32_t k : r.ks) EXPECT_EQ(k, 1u);
  // Channel selection cannot be steered element by element: refused when the bound bites.
  TrainConfig ch = make_config(Method::kBudget);
  ch.sparsity.conv_selection = ConvSelection::kChannel;
  ch.sparsity.budget = 0.3f;
  Bound channel(small_cnn(6, 4), ch);
  EXPECT_EQ(channel.status, Status::kInvalidArgument);
  ch.sparsity.budget = 1.0f;
  Bound channel_full(small_cnn(6, 4), ch);
  EXPECT_EQ(channel_full.status, Status::kOk);
  // The budget must be in (0, 1].
  for (float bad : {0.0f, -0.1f, 1.5f}) {
    TrainConfig b = make_config(Method::kBudget);
    b.sparsity.budget = bad;
    EXPECT_EQ(b.validate(), Status::kInvalidArgument) << bad;
  }
}

TEST(BudgetRule, PolicyHelpers) {
  EXPECT_EQ(budget_k(1.0f, 1000, 10, 50), 50u);  // 100 would fit: clamped to n
  EXPECT_EQ(budget_k(0.5f, 1000, 10, 500), 50u);
  EXPECT_EQ(budget_k(0.001f, 1000, 10, 500), 1u);  // at least one
  EXPECT_EQ(cap_k(40, 300, 10), 30u);
  EXPECT_EQ(cap_k(20, 300, 10), 20u);
  EXPECT_EQ(cap_k(20, 5, 10), 1u);
}

}  // namespace
}  // namespace tinyprop_test
