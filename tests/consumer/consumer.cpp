// A C++ program that uses tinyprop as an outside project would (the C++ API): an MLP trained
// on synthetic images from scratch, and with CONSUMER_MODEL_HEADER the exported CNN bound with
// its frozen convolutions left where the header put them (Model::bind_pretrained, kInPlace),
// its head fine-tuned on shifted images. Accuracy must rise in both. Exit status 0 when it does.
#include <stdio.h>

#include <vector>

#include "synthetic.h"
#include "tinyprop/tinyprop.h"
#ifdef CONSUMER_MODEL_HEADER
#include CONSUMER_MODEL_HEADER
#endif

namespace {

using namespace tinyprop;

int g_failed = 0;

void check(bool ok, const char* what) {
  printf("%s %s\n", ok ? "PASS" : "FAIL", what);
  if (!ok) g_failed = 1;
}

double accuracy(Model& model, uint32_t domain, uint32_t first, uint32_t count) {
  float x[SYN_INPUT];
  uint32_t label = 0, correct = 0;
  for (uint32_t i = first; i < first + count; ++i) {
    syn_sample(i, domain, x, &label);
    correct += model.predict(x) == label ? 1u : 0u;
  }
  return static_cast<double>(correct) / count;
}

void train(Trainer& trainer, uint32_t domain, uint32_t first, uint32_t count, uint32_t epochs) {
  float x[SYN_INPUT];
  uint32_t label = 0;
  for (uint32_t e = 0; e < epochs; ++e) {
    for (uint32_t i = first; i < first + count; ++i) {
      syn_sample(i, domain, x, &label);
      trainer.train_sample(x, Target::of_label(label), nullptr);
    }
  }
}

void mlp() {
  ModelSpec spec;
  const uint32_t sizes[] = {SYN_INPUT, 32, SYN_CLASSES};
  TrainConfig cfg;
  cfg.optimizer.learning_rate = 0.05f;
  cfg.sparsity.method = Method::kFull;  // from scratch: every neuron (the CNN uses tinyprop)
  MemoryPlan plan;
  if (!ok(make_mlp(&spec, sizes, 3)) || !ok(Trainer::plan(spec, cfg, &plan))) {
    check(false, "mlp: spec and plan");
    return;
  }
  alignas(16) static uint8_t memory[64 * 1024];
  Model model;
  Trainer trainer;
  if (!ok(bind_training(spec, cfg, memory, sizeof memory, &model, &trainer))) {
    check(false, "mlp: bind");
    return;
  }
  Rng rng(1);
  model.init_params(rng);
  const double before = accuracy(model, 0, 100000, 400);
  train(trainer, 0, 0, 600, 3);
  const double after = accuracy(model, 0, 100000, 400);
  printf("mlp accuracy before=%.3f after=%.3f arena_bytes=%zu\n", before, after, plan.total());
  check(after >= 0.8 && after >= before + 0.2, "mlp: fine-tuning from C++ raised the accuracy");
}

#ifdef CONSUMER_MODEL_HEADER
void exported_frozen_cnn() {
  ModelSpec spec;
  frozen_cnn_build_spec(&spec);
  TrainConfig cfg;
  cfg.optimizer.learning_rate = 0.01f;
  cfg.sparsity.method = Method::kTinyProp;
  MemoryPlan in_arena, in_place;
  if (!ok(Trainer::plan(spec, cfg, &in_arena)) ||
      !ok(Trainer::plan(spec, cfg, &in_place, FrozenParams::kInPlace))) {
    check(false, "cnn: plan");
    return;
  }
  std::vector<uint64_t> buffer(in_place.total() / 8 + 2);
  uint8_t* memory = reinterpret_cast<uint8_t*>(buffer.data());
  memory += (16 - reinterpret_cast<uintptr_t>(memory) % 16) % 16;
  Arena arena(memory, in_place.total());
  Model model;
  Trainer trainer;
  if (!ok(model.bind_pretrained(spec, arena, frozen_cnn_params, FrozenParams::kInPlace)) ||
      !ok(trainer.bind(model, cfg, arena))) {
    check(false, "cnn: bind with the frozen weights in place");
    return;
  }
  check(model.layer(0).w == frozen_cnn_params && model.params() == nullptr,
        "cnn: the frozen layers read the exported array itself");
  const double before = accuracy(model, 1, 100000, 300);
  train(trainer, 1, 0, 400, 1);
  const double after = accuracy(model, 1, 100000, 300);
  printf(
      "frozen_cnn ram_in_arena=%zu ram_in_place=%zu; inverted images: accuracy before=%.3f "
      "after=%.3f\n",
      in_arena.total(), in_place.total(), before, after);
  check(after >= before + 0.1, "cnn: fine-tuning the head raised the accuracy on shifted images");
}
#endif

}  // namespace

int main() {
  mlp();
#ifdef CONSUMER_MODEL_HEADER
  exported_frozen_cnn();
#endif
  printf("consumer_cpp: %s\n", g_failed ? "FAILED" : "ok");
  return g_failed;
}
