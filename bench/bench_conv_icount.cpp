// Instruction-count driver for callgrind: runs `calls` conv backward calls of one case inside
// tp_conv_bench_measured(), the only function bench/bench_conv_callgrind.sh collects.
//
// Usage: bench_conv_icount <shape> <element|channel> <full|R> <calls> [backward|step]
//   shape: 28x28x1-c8k3 or 13x13x8-c16k3. Prints "k=<elements per call> n=<N>".
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_conv_case.h"

namespace tinyprop::bench {

// noinline: callgrind's --toggle-collect needs the symbol.
__attribute__((noinline)) uint64_t tp_conv_bench_measured(ConvBackwardCase& c, ConvSelection mode,
                                                          float ratio, bool update,
                                                          uint32_t calls) {
  uint64_t done = 0;
  for (uint32_t i = 0; i < calls; ++i) done += c.backward(mode, ratio, update);
  return done;
}

}  // namespace tinyprop::bench

int main(int argc, char** argv) {
  using namespace tinyprop;
  using namespace tinyprop::bench;
  if (argc < 5) {
    fprintf(stderr, "usage: %s <shape> <element|channel> <full|ratio> <calls> [backward|step]\n",
            argv[0]);
    return 2;
  }
  const ConvShape* shape = nullptr;
  for (const ConvShape& s : kConvShapes) {
    if (strcmp(s.name, argv[1]) == 0) shape = &s;
  }
  ConvSelection mode = ConvSelection::kElement;
  if (shape == nullptr || !parse_conv_selection(argv[2], &mode)) {
    fprintf(stderr, "unknown shape or mode\n");
    return 2;
  }
  const float ratio = strcmp(argv[3], "full") == 0 ? 1.0f : strtof(argv[3], nullptr);
  const uint32_t calls = static_cast<uint32_t>(strtoul(argv[4], nullptr, 10));
  const bool update = argc > 5 && strcmp(argv[5], "step") == 0;
  ConvBackwardCase c(*shape, 20240602);
  const uint64_t done = tp_conv_bench_measured(c, mode, ratio, update, calls);
  printf("%s %s %s k=%llu n=%u checksum=%g\n", argv[1], argv[2], argv[3],
         static_cast<unsigned long long>(calls == 0 ? 0 : done / calls), c.n(),
         static_cast<double>(c.checksum()));
  return 0;
}
