// tinyprop's side of the PyTorch side-by-side benchmark (bench/torch_side_by_side.py runs it,
// interleaved with PyTorch's steps): trains an MLP on the given inputs with SGD (lr 0.01,
// softmax cross-entropy, labels i % 10) and prints the wall time per sample.
//
// Usage: torch_side_by_side_step <inputs.f32> <sizes, e.g. 784-128-64-10> <full|tinyprop>
//        <batch> <warmup samples> <timed samples>
// inputs.f32: raw little-endian float32, sizes[0] values per sample. Prints one line:
//   ns_per_sample <wall time> cpu_ns_per_sample <process CPU time>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <chrono>
#include <string>
#include <vector>

#include "tinyprop/tinyprop.h"

using namespace tinyprop;

namespace {

int fail(const char* what) {
  fprintf(stderr, "torch_side_by_side_step: error: %s\n", what);
  return 1;
}

bool parse_sizes(const char* text, std::vector<uint32_t>* sizes) {
  const char* p = text;
  while (*p != '\0') {
    char* end = nullptr;
    const unsigned long v = strtoul(p, &end, 10);
    if (end == p || v == 0 || v > 100000) return false;
    sizes->push_back(static_cast<uint32_t>(v));
    if (*end == '-') ++end;
    else if (*end != '\0') return false;
    p = end;
  }
  return sizes->size() >= 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s <inputs.f32> <sizes> <full|tinyprop> <batch> <warmup> <timed>\n",
            argv[0]);
    return 2;
  }
  std::vector<uint32_t> sizes;
  if (!parse_sizes(argv[2], &sizes)) return fail("sizes must look like 784-128-64-10");
  const bool tiny = strcmp(argv[3], "tinyprop") == 0;
  if (!tiny && strcmp(argv[3], "full") != 0) return fail("method must be full or tinyprop");
  const long batch = atol(argv[4]), warmup = atol(argv[5]), timed = atol(argv[6]);
  if (batch < 1 || warmup < 0 || timed < 1) return fail("batch, warmup and timed must be positive");

  FILE* f = fopen(argv[1], "rb");
  if (f == nullptr) return fail("cannot open the inputs file");
  std::vector<float> inputs;
  float buf[1024];
  size_t got;
  while ((got = fread(buf, sizeof(float), 1024, f)) > 0) inputs.insert(inputs.end(), buf, buf + got);
  fclose(f);
  const uint32_t n_in = sizes[0];
  const size_t n_samples = inputs.size() / n_in;
  if (n_samples == 0) return fail("the inputs file holds no complete sample");

  ModelSpec spec;
  if (!ok(make_mlp(&spec, sizes.data(), static_cast<uint32_t>(sizes.size())))) {
    return fail("make_mlp failed");
  }
  TrainConfig cfg;
  cfg.optimizer.kind = OptimizerKind::kSgd;
  cfg.optimizer.learning_rate = 0.01f;
  cfg.batch_size = static_cast<uint32_t>(batch);
  cfg.sparsity.method = tiny ? Method::kTinyProp : Method::kFull;
  MemoryPlan plan;
  if (!ok(Trainer::plan(spec, cfg, &plan))) return fail("plan failed");
  std::vector<unsigned char> arena(plan.total() + kArenaAlignment);
  uint8_t* base = arena.data();
  while (reinterpret_cast<uintptr_t>(base) % kArenaAlignment != 0) ++base;
  Model model;
  Trainer trainer;
  if (!ok(bind_training(spec, cfg, base, plan.total(), &model, &trainer))) {
    return fail("bind failed");
  }
  Rng rng(7);
  model.init_params(rng);

  size_t t = 0;
  StepCounters c;
  const auto step = [&]() {
    trainer.train_sample(inputs.data() + t * n_in, Target::of_label(static_cast<uint32_t>(t % 10)),
                         &c);
    t = (t + 1) % n_samples;
  };
  // Whole batches only, so that every timed sample pays its share of the batch update.
  const long w = (warmup + batch - 1) / batch * batch, n = (timed + batch - 1) / batch * batch;
  for (long i = 0; i < w; ++i) step();
  timespec cpu0, cpu1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0);
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) step();
  const auto stop = std::chrono::steady_clock::now();
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1);
  const double ns = std::chrono::duration<double, std::nano>(stop - start).count();
  const double cpu_ns = static_cast<double>(cpu1.tv_sec - cpu0.tv_sec) * 1e9 +
                        static_cast<double>(cpu1.tv_nsec - cpu0.tv_nsec);
  printf("ns_per_sample %.1f cpu_ns_per_sample %.1f\n", ns / static_cast<double>(n),
         cpu_ns / static_cast<double>(n));
  return 0;
}
