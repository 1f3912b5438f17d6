// Wall time of the conv backward pass, full against sparse, element and channel selection.
//
// Names: conv_backward/<shape>/<element | channel>/<full | r=R>   selection + dx + dW + db
//        conv_step/<shape>/<element | channel>/<full | r=R>       the same + SGD update of the
//                                                                  touched filters (batch 1)
// "full" and "r=1.00" run the same code (everything selected: the "all" path); their ratio shows
// the noise. Counters: k (output elements processed), N, k/N. Run with repetitions and compare
// medians side by side (docs/CONV.md has the command and the numbers).
#include <benchmark/benchmark.h>

#include <stdio.h>

#include <string>

#include "bench_conv_case.h"

namespace tinyprop::bench {
namespace {

constexpr uint64_t kSeed = 20240602;

void run(benchmark::State& state, ConvShape shape, ConvSelection mode, float ratio,
         bool update) {
  ConvBackwardCase c(shape, kSeed);
  uint64_t done = 0, calls = 0;
  for (auto _ : state) {
    done += c.backward(mode, ratio, update);
    ++calls;
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(c.checksum());
  const double k = calls == 0 ? 0.0 : static_cast<double>(done) / static_cast<double>(calls);
  state.counters["k"] = k;
  state.counters["N"] = static_cast<double>(c.n());
  state.counters["k/N"] = k / static_cast<double>(c.n());
}

std::string ratio_label(float r) {
  char buf[32];
  snprintf(buf, sizeof buf, "r=%.2f", static_cast<double>(r));
  return buf;
}

void register_all() {
  for (const ConvShape& shape : kConvShapes) {
    for (bool update : {false, true}) {
      for (ConvSelection mode : {ConvSelection::kElement, ConvSelection::kChannel}) {
        const std::string prefix = std::string(update ? "conv_step/" : "conv_backward/") +
                                   shape.name + "/" + conv_selection_name(mode) + "/";
        benchmark::RegisterBenchmark((prefix + "full").c_str(), run, shape, mode, 1.0f, update);
        for (float r : kConvRatios) {
          benchmark::RegisterBenchmark((prefix + ratio_label(r)).c_str(), run, shape, mode, r,
                                       update);
        }
      }
    }
  }
}

}  // namespace
}  // namespace tinyprop::bench

int main(int argc, char** argv) {
  tinyprop::bench::register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
