#include "mnist_step_case.h"

#include <stdio.h>
#include <stdlib.h>

#include <string>

namespace tinyprop::bench {

std::vector<float> mnist_images(uint32_t count) {
  const char* dir = getenv("TINYPROP_DATA_DIR");
  const std::string path = std::string(dir != nullptr ? dir : "data") +
                           "/mnist/t10k-images-idx3-ubyte";
  FILE* f = fopen(path.c_str(), "rb");
  if (f == nullptr) return {};
  std::vector<unsigned char> raw(16 + static_cast<size_t>(count) * kMnistPixels);
  const size_t got = fread(raw.data(), 1, raw.size(), f);
  fclose(f);
  if (got != raw.size()) return {};
  std::vector<float> x(static_cast<size_t>(count) * kMnistPixels);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(raw[16 + i]) / 255.0f;
  return x;
}

void MnistStepCase::step(StepCounters* c) {
  trainer.train_sample(images->data() + static_cast<size_t>(next) * kMnistPixels,
                       Target::of_label(next % 10), c);
  next = (next + 1) % static_cast<uint32_t>(images->size() / kMnistPixels);
}

std::unique_ptr<MnistStepCase> make_mnist_step_case(Method method, bool zero_skip,
                                                    const std::vector<float>* images,
                                                    const char** error) {
  auto s = std::make_unique<MnistStepCase>();
  s->images = images;
  const uint32_t sizes[] = {784, 128, 64, 10};
  if (!ok(make_mlp(&s->spec, sizes, 4))) {
    *error = "spec failed";
    return nullptr;
  }
  s->cfg.optimizer.kind = OptimizerKind::kSgd;
  s->cfg.optimizer.learning_rate = 0.01f;
  s->cfg.sparsity.method = method;
  MemoryPlan plan;
  if (!ok(Trainer::plan(s->spec, s->cfg, &plan))) {
    *error = "plan failed";
    return nullptr;
  }
  s->arena.resize(plan.total() + kArenaAlignment);
  uint8_t* base = s->arena.data();
  while (reinterpret_cast<uintptr_t>(base) % kArenaAlignment != 0) ++base;
  if (!ok(bind_training(s->spec, s->cfg, base, plan.total(), &s->model, &s->trainer))) {
    *error = "bind failed";
    return nullptr;
  }
  Rng rng(7);
  s->model.init_params(rng);
  s->model.set_zero_skipping(zero_skip);
  return s;
}

}  // namespace tinyprop::bench
