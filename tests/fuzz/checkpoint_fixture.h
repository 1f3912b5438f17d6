// The model and trainer the checkpoint fuzz target restores into, and that its seeds were saved
// from (make_checkpoint_seeds.cpp): 6-5(frozen)-4-3 MLP, ReLU, Adam, TinyProp, batch size 2, so
// that a full checkpoint has every section (Y_max, parameters, both moments, a pending batch).
#pragma once
#include <memory>
#include <vector>

#include "experiments/train_loop.h"
#include "tinyprop/tinyprop.h"

namespace tinyprop::fuzz {

inline ModelSpec checkpoint_fixture_spec() {
  ModelSpec spec;
  spec.input = Shape{1, 1, 6};
  (void)spec.add_dense(5, /*trainable=*/false);
  (void)spec.add_activation(LayerKind::kReLU);
  (void)spec.add_dense(4);
  (void)spec.add_activation(LayerKind::kReLU);
  (void)spec.add_dense(3);
  return spec;
}

inline TrainConfig checkpoint_fixture_config() {
  TrainConfig c;
  c.optimizer.kind = OptimizerKind::kAdam;
  c.optimizer.learning_rate = 0.01f;
  c.sparsity.method = Method::kTinyProp;
  c.batch_size = 2;
  return c;
}

// A bound session with the fixture's base weights (seed 3), trained on `steps` samples.
inline std::unique_ptr<host::Session> checkpoint_fixture(uint32_t steps) {
  auto s = std::make_unique<host::Session>(checkpoint_fixture_spec(), checkpoint_fixture_config());
  Rng rng(3);
  s->model().init_params(rng);
  std::vector<float> x(6);
  for (uint32_t i = 0; i < steps; ++i) {
    for (float& v : x) v = rng.uniform(-1.0f, 1.0f);
    s->trainer().train_sample(x.data(), Target::of_label(i % 3), nullptr);
  }
  return s;
}

}  // namespace tinyprop::fuzz
