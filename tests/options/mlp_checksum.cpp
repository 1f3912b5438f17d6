// Fine-tunes a 16-32-16-4 MLP with TinyProp for 300 samples and prints a checksum of its
// weights. Built twice, against the default core and against the core with the footprint
// options changed (8 layers, no convolutions, no pooling): the options must not change a bit.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tinyprop/tinyprop.h"

using namespace tinyprop;

int main() {
  ModelSpec spec;
  spec.input = Shape{1, 1, 16};
  Status s = spec.add_dense(32);
  if (ok(s)) s = spec.add_activation(LayerKind::kTanh);
  if (ok(s)) s = spec.add_dense(16);
  if (ok(s)) s = spec.add_activation(LayerKind::kSigmoid);
  if (ok(s)) s = spec.add_dense(4);
  TrainConfig config;
  config.sparsity.method = Method::kTinyProp;
  config.optimizer.learning_rate = 0.05f;
  static Model model;
  static Trainer trainer;
  alignas(kArenaAlignment) static uint8_t arena[32 * 1024];
  if (ok(s)) s = bind_training(spec, config, arena, sizeof arena, &model, &trainer);
  if (!ok(s)) {
    printf("mlp_checksum: %s\n", status_name(s));
    return 1;
  }
  Rng rng(3);
  model.init_params(rng);
  float x[16];
  for (uint32_t step = 0; step < 300; ++step) {
    for (float& v : x) v = rng.normal();  // Box-Muller: the portable log and cos
    trainer.train_sample(x, Target::of_label(step % 4), nullptr);
  }
  // FNV-1a over the parameter bytes.
  uint32_t h = 2166136261u;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(model.params());
  for (size_t i = 0; i < model.param_count() * sizeof(float); ++i) h = (h ^ p[i]) * 16777619u;
  printf("%08x\n", static_cast<unsigned>(h));
  return 0;
}
