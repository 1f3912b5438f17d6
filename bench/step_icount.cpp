// Instruction-count driver for callgrind: `steps` Trainer::train_sample calls of the MNIST step
// case (mnist_step_case.h) inside tp_step_measured(), after `warmup` steps outside it, so that
//   valgrind --tool=callgrind --toggle-collect=tp_step_measured ./step_icount ...
// counts only the measured steps; callgrind_annotate on the output gives the instructions per
// function (divide by `steps` for per step). scripts/callgrind-step.sh runs both methods.
//
// Usage: step_icount <full|tinyprop> <skip|dense> [steps=1000] [warmup=20000]
// Prints one line: method, zero-skipping, steps, the MACs done per step (step counters) and the
// mean k / n of every trained layer.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mnist_step_case.h"

using tinyprop::bench::MnistStepCase;

// extern "C" keeps the symbol name plain for --toggle-collect; noinline keeps it a function.
extern "C" __attribute__((noinline)) void tp_step_measured(MnistStepCase* s, uint32_t steps,
                                                           tinyprop::RunCounters* run) {
  tinyprop::StepCounters c;
  for (uint32_t i = 0; i < steps; ++i) {
    s->step(&c);
    run->add(c);
  }
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s <full|tinyprop> <skip|dense> [steps] [warmup]\n", argv[0]);
    return 2;
  }
  tinyprop::Method method;
  if (strcmp(argv[1], "full") == 0) {
    method = tinyprop::Method::kFull;
  } else if (strcmp(argv[1], "tinyprop") == 0) {
    method = tinyprop::Method::kTinyProp;
  } else {
    fprintf(stderr, "step_icount: unknown method '%s'\n", argv[1]);
    return 2;
  }
  const bool skip = strcmp(argv[2], "skip") == 0;
  if (!skip && strcmp(argv[2], "dense") != 0) {
    fprintf(stderr, "step_icount: expected skip or dense, got '%s'\n", argv[2]);
    return 2;
  }
  const uint32_t steps = argc > 3 ? static_cast<uint32_t>(strtoul(argv[3], nullptr, 10)) : 1000;
  const uint32_t warmup = argc > 4 ? static_cast<uint32_t>(strtoul(argv[4], nullptr, 10)) : 20000;
  const std::vector<float> images = tinyprop::bench::mnist_images(1000);
  if (images.empty() || steps == 0) {
    fprintf(stderr, "step_icount: needs data/mnist/t10k-images-idx3-ubyte and steps > 0\n");
    return 2;
  }
  const char* error = nullptr;
  auto s = tinyprop::bench::make_mnist_step_case(method, skip, &images, &error);
  if (s == nullptr) {
    fprintf(stderr, "step_icount: %s\n", error);
    return 1;
  }
  tinyprop::RunCounters ignored, run;
  tp_step_measured(s.get(), 0, &ignored);  // resolves lazy bindings outside the counted calls
  tinyprop::StepCounters c;
  for (uint32_t i = 0; i < warmup; ++i) s->step(&c);
  tp_step_measured(s.get(), steps, &run);
  const double n = static_cast<double>(steps);
  printf("%s %s steps=%u fwd_done=%.0f bwd_done=%.0f mean_k", argv[1], argv[2], steps,
         static_cast<double>(run.forward_macs_done) / n,
         static_cast<double>(run.backward_macs_done) / n);
  for (uint32_t i = 0; i < s->model.n_layers(); ++i) {
    if (run.ratio_count[i] == 0) continue;
    printf(" %.1f/%u", run.mean_ratio(i) * s->model.layer(i).out_size, s->model.layer(i).out_size);
  }
  printf("\n");
  return 0;
}
