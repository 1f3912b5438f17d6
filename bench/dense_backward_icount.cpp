// Instruction-count driver for callgrind: runs one case of dense_backward_case.h a fixed number
// of times inside tp_bench_measured(), so that
//   valgrind --tool=callgrind --toggle-collect=tp_bench_measured ./dense_backward_icount ...
// counts only the measured calls (setup and I/O excluded). scripts/callgrind-dense.sh runs C and
// 2C calls and takes (Ir(2C) - Ir(C)) / C as the instructions per call.
//
// Usage: dense_backward_icount <784x128|128x64> <kernels|fused_sgd|select> <full|ratio> [calls=128]
// Prints one line: layer variant case k n calls.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dense_backward_case.h"
#include "tinyprop/select.h"

using tinyprop::bench::DenseBackwardCase;
using tinyprop::bench::LayerShape;
using tinyprop::bench::Variant;

enum class Mode { kKernels, kFusedSgd, kSelect };

// The measured region: `calls` backward (or selection) calls. extern "C" keeps the symbol
// name plain for --toggle-collect; noinline keeps it a separate function.
extern "C" __attribute__((noinline)) void tp_bench_measured(DenseBackwardCase* c, Mode mode,
                                                            uint32_t k, uint32_t calls) {
  for (uint32_t i = 0; i < calls; ++i) {
    switch (mode) {
      case Mode::kKernels: c->backward(Variant::kKernels, k); break;
      case Mode::kFusedSgd: c->backward(Variant::kFusedSgd, k); break;
      case Mode::kSelect: c->select(k); break;
    }
  }
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s <784x128|128x64> <kernels|fused_sgd|select> <full|ratio> [calls]\n",
            argv[0]);
    return 2;
  }
  const LayerShape* shape = nullptr;
  for (const LayerShape& s : tinyprop::bench::kShapes) {
    if (strcmp(argv[1], s.name) == 0) shape = &s;
  }
  Mode mode;
  if (strcmp(argv[2], "kernels") == 0) {
    mode = Mode::kKernels;
  } else if (strcmp(argv[2], "fused_sgd") == 0) {
    mode = Mode::kFusedSgd;
  } else if (strcmp(argv[2], "select") == 0) {
    mode = Mode::kSelect;
  } else {
    shape = nullptr;
  }
  if (shape == nullptr) {
    fprintf(stderr, "unknown layer or variant\n");
    return 2;
  }
  const bool full = strcmp(argv[3], "full") == 0;
  const uint32_t k = full ? shape->n_out
                          : tinyprop::k_for_ratio(strtof(argv[3], nullptr), shape->n_out);
  const uint32_t calls = argc > 4 ? static_cast<uint32_t>(strtoul(argv[4], nullptr, 10)) : 128;

  DenseBackwardCase c(*shape, 20240601);
  tp_bench_measured(&c, mode, k, calls);
  printf("%s %s %s k=%u n=%u calls=%u checksum=%g\n", shape->name, argv[2], argv[3], k,
         shape->n_out, calls, static_cast<double>(c.checksum()));
  return 0;
}
