// Wall time of the dense backward pass, full against sparse, and of the top-k selection alone.
//
// Names: backward/<n_in>x<n_out>/<variant>/<full | r=R>  and  select/<n_in>x<n_out>/r=R.
// "full" and "r=1.00" run the same code (k = N, rows = null); their ratio shows the noise.
// Counters: k, N, k/N. scripts/run-benchmarks.sh runs this with repetitions and random
// interleaving and turns the medians into sparse/full ratios (bench/summarize.py).
#include <benchmark/benchmark.h>

#include <stdio.h>

#include <memory>
#include <string>

#include "dense_backward_case.h"
#include "tinyprop/select.h"

namespace tinyprop::bench {
namespace {

constexpr uint64_t kSeed = 20240601;

void set_counters(benchmark::State& state, uint32_t k, uint32_t n) {
  state.counters["k"] = static_cast<double>(k);
  state.counters["N"] = static_cast<double>(n);
  state.counters["k/N"] = static_cast<double>(k) / static_cast<double>(n);
}

void run_backward(benchmark::State& state, LayerShape shape, Variant v, uint32_t k) {
  DenseBackwardCase c(shape, kSeed);
  for (auto _ : state) {
    c.backward(v, k);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(c.checksum());
  set_counters(state, k, shape.n_out);
}

void run_select(benchmark::State& state, LayerShape shape, uint32_t k) {
  DenseBackwardCase c(shape, kSeed);
  uint64_t comparisons = 0;
  for (auto _ : state) {
    comparisons += c.select(k);
    benchmark::ClobberMemory();
  }
  set_counters(state, k, shape.n_out);
  state.counters["cmp/call"] = benchmark::Counter(static_cast<double>(comparisons),
                                                  benchmark::Counter::kAvgIterations);
}

std::string ratio_label(float r) {
  char buf[32];
  snprintf(buf, sizeof buf, "r=%.2f", static_cast<double>(r));
  return buf;
}

void register_all() {
  for (const LayerShape& shape : kShapes) {
    const std::string layer = shape.name;
    for (Variant v : {Variant::kKernels, Variant::kFusedSgd}) {
      const std::string prefix = "backward/" + layer + "/" + variant_name(v) + "/";
      benchmark::RegisterBenchmark((prefix + "full").c_str(), run_backward, shape, v,
                                   shape.n_out);
      for (float r : kRatios) {
        benchmark::RegisterBenchmark((prefix + ratio_label(r)).c_str(), run_backward, shape, v,
                                     k_for_ratio(r, shape.n_out));
      }
    }
    for (float r : kRatios) {
      if (r >= 1.0f) continue;  // k = N: the trainer skips the selection
      benchmark::RegisterBenchmark(("select/" + layer + "/" + ratio_label(r)).c_str(),
                                   run_select, shape, k_for_ratio(r, shape.n_out));
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
