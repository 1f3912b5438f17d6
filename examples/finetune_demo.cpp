// A self-contained tour of the core API: pretrain a small MLP on generated data, then fine-tune
// a copy of it on shifted data with each backpropagation method and print accuracy and the
// work counters side by side. Uses only the core library (static arena, no heap in training).
#include <stdio.h>
#include <string.h>

#include "tinyprop/tinyprop.h"

using namespace tinyprop;

namespace {

constexpr uint32_t kDim = 32, kClasses = 8, kPerSet = 4000;
const uint32_t kSizes[] = {kDim, 96, 48, kClasses};

// Gaussian class clusters; `shift` moves every class centre (a drifted sensor).
struct Data {
  float x[kPerSet * kDim];
  uint32_t y[kPerSet];
};

void make_data(Data* d, uint64_t seed, float shift) {
  Rng centres(7);  // same class centres for every set
  float mu[kClasses][kDim];
  for (auto& c : mu)
    for (float& v : c) v = centres.normal();
  Rng rng(seed);
  for (uint32_t i = 0; i < kPerSet; ++i) {
    const uint32_t c = rng.uniform_below(kClasses);
    d->y[i] = c;
    for (uint32_t j = 0; j < kDim; ++j) {
      const float drift = shift * (j % 2 == 0 ? 1.0f : -1.0f);
      d->x[i * kDim + j] = mu[c][j] + drift + 1.6f * rng.normal();
    }
  }
}

float accuracy(Model& m, const Data& d) {
  uint32_t hit = 0;
  for (uint32_t i = 0; i < kPerSet; ++i) hit += m.predict(&d.x[i * kDim]) == d.y[i] ? 1u : 0u;
  return 100.0f * static_cast<float>(hit) / static_cast<float>(kPerSet);
}

alignas(kArenaAlignment) uint8_t g_arena[256 * 1024];
Data g_pre, g_tune, g_test;

bool check(Status s, const char* what) {
  if (ok(s)) return true;
  fprintf(stderr, "finetune_demo: %s failed: %s\n", what, status_name(s));
  return false;
}

}  // namespace

int main() {
  ModelSpec spec;
  if (!check(make_mlp(&spec, kSizes, 4), "make_mlp")) return 1;
  make_data(&g_pre, 1, 0.0f);
  make_data(&g_tune, 2, 0.6f);
  make_data(&g_test, 3, 0.6f);

  // 1. Pretrain ("on the host") with full backprop, Adam, batch 16.
  TrainConfig pre;
  pre.optimizer.kind = OptimizerKind::kAdam;
  pre.optimizer.learning_rate = 1e-3f;
  pre.batch_size = 16;
  Model model;
  Trainer trainer;
  if (!check(bind_training(spec, pre, g_arena, sizeof g_arena, &model, &trainer), "bind")) return 1;
  Rng rng(42);
  model.init_params(rng);
  for (int epoch = 0; epoch < 5; ++epoch)
    for (uint32_t i = 0; i < kPerSet; ++i) trainer.train_sample(&g_pre.x[i * kDim], Target::of_label(g_pre.y[i]), nullptr);
  trainer.flush(nullptr);
  static float pretrained[8192];
  memcpy(pretrained, model.params(), model.param_count() * sizeof(float));
  printf("pretrained %s-%u-%u-%u: %.1f%% on the original data, %.1f%% on the shifted data\n\n",
         "32", kSizes[1], kSizes[2], kSizes[3], static_cast<double>(accuracy(model, g_pre)),
         static_cast<double>(accuracy(model, g_test)));

  // 2. Fine-tune ("on the device"): SGD, batch 1, each method from the same start.
  struct Run { const char* label; Method method; float ratio; };
  const Run runs[] = {{"full", Method::kFull, 1.0f},
                      {"static r=0.1", Method::kStatic, 0.1f},
                      {"static r=0.3", Method::kStatic, 0.3f},
                      {"tinyprop", Method::kTinyProp, 0.0f},
                      {"tinypropv2", Method::kTinyPropV2, 0.0f}};
  printf("%-14s %8s %10s %10s %10s %9s %7s\n", "method", "acc[%]", "fwd MMAC", "bwd MMAC",
         "bwd ratio", "tot ratio", "skip");
  for (const Run& r : runs) {
    TrainConfig cfg;
    cfg.optimizer.kind = OptimizerKind::kSgd;
    cfg.optimizer.learning_rate = 0.01f;
    cfg.sparsity.method = r.method;
    if (r.method == Method::kStatic) cfg.sparsity.ratio = r.ratio;
    MemoryPlan plan;
    if (!check(Trainer::plan(spec, cfg, &plan), "plan")) return 1;
    if (!check(bind_training(spec, cfg, g_arena, sizeof g_arena, &model, &trainer), "bind")) return 1;
    memcpy(model.params(), pretrained, model.param_count() * sizeof(float));
    RunCounters total;
    StepCounters step;
    for (uint32_t i = 0; i < kPerSet; ++i) {
      trainer.train_sample(&g_tune.x[i * kDim], Target::of_label(g_tune.y[i]), &step);
      total.add(step);
    }
    printf("%-14s %8.1f %10.2f %10.2f %10.3f %9.3f %6.1f%%   arena %zu B\n", r.label,
           static_cast<double>(accuracy(model, g_test)), static_cast<double>(total.forward_macs) / 1e6,
           static_cast<double>(total.backward_macs) / 1e6, total.backward_ratio(), total.total_ratio(),
           100.0 * static_cast<double>(total.skipped) / static_cast<double>(total.steps), plan.total());
  }
  return 0;
}
