// Wall time of zero-skipping (kernels/dense.h) against the dense loops.
//
// Names:
//   forward/784x128/nz=F/<skip | dense>   one dense_forward of a 784x128 layer on inputs whose
//                                         blocks of four hold a nonzero with probability F; skip
//                                         always uses the block list (no threshold), so the
//                                         pair shows where skipping starts to pay
//   fused_sgd/784x128/nz=F/<skip | dense> the batch-1 plain-SGD row updates of all 128 rows
//   step/784-128-64-10/<method>/mnist/<skip | dense>
//                                         one Trainer::train_sample (SGD, batch 1) on MNIST test
//                                         images, the default decision (threshold) against
//                                         zero-skipping off; needs data/mnist (else not run)
// scripts/run-benchmarks.sh runs it interleaved with repetitions; summarize.py zero-skip turns
// the medians into skip/dense ratios.
#include <benchmark/benchmark.h>
#include <stdio.h>
#include <stdlib.h>

#include <memory>
#include <string>
#include <vector>

#include "mnist_step_case.h"
#include "tinyprop/kernels/dense.h"
#include "tinyprop/tinyprop.h"

namespace tinyprop::bench {
namespace {

constexpr uint32_t kIn = 784, kOut = 128, kInputs = 64;

// kInputs vectors of kIn values: each block of four holds values in (0, 1] with probability
// nz_fraction, else zeros.
std::vector<float> block_inputs(float nz_fraction, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(static_cast<size_t>(kIn) * kInputs, 0.0f);
  for (size_t b = 0; b < x.size(); b += 4) {
    if (rng.uniform01() >= nz_fraction) continue;
    for (size_t i = b; i < b + 4; ++i) x[i] = 1.0f - rng.uniform01();
  }
  return x;
}

// Every nonzero block listed, whatever their number (the forced skip path).
NonzeroBlocks all_blocks(const float* x, uint32_t n) {
  NonzeroBlocks nz;
  nz.skip = true;
  nz.count = 0;
  for (uint32_t b = 0; b < n / 4; ++b) {
    const float* v = x + 4 * b;
    if (v[0] != 0.0f || v[1] != 0.0f || v[2] != 0.0f || v[3] != 0.0f) {
      nz.index[nz.count++] = static_cast<uint16_t>(b);
    }
  }
  return nz;
}

struct LayerBuffers {
  std::vector<float> w, b, y;
  LayerBuffers() : w(static_cast<size_t>(kIn) * kOut), b(kOut, 0.0f), y(kOut) {
    Rng rng(3);
    for (float& v : w) v = rng.uniform(-0.08f, 0.08f);
  }
};

// Runs kernel(layer, input, decision) on the inputs in turn: the forced block list (skip) or
// the dense decision.
template <typename Kernel>
void run_layer(benchmark::State& state, float nz_fraction, bool skip, uint64_t seed,
               Kernel kernel) {
  const std::vector<float> x = block_inputs(nz_fraction, seed);
  LayerBuffers l;
  uint32_t t = 0;
  for (auto _ : state) {
    const float* in = x.data() + static_cast<size_t>(t) * kIn;
    t = (t + 1) % kInputs;
    NonzeroBlocks nz;
    nz.skip = false;
    if (skip) nz = all_blocks(in, kIn);
    kernel(l, in, nz);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(l.y[0]);
  benchmark::DoNotOptimize(l.w[0]);
}

void run_forward(benchmark::State& state, float nz_fraction, bool skip) {
  run_layer(state, nz_fraction, skip, 17,
            [](LayerBuffers& l, const float* in, const NonzeroBlocks& nz) {
              dense_forward_nz(l.y.data(), in, l.w.data(), l.b.data(), kIn, kOut, nz);
            });
}

void run_fused_sgd(benchmark::State& state, float nz_fraction, bool skip) {
  std::vector<float> dy(kOut);
  Rng rng(5);
  for (float& v : dy) v = 0.1f * rng.normal();
  run_layer(state, nz_fraction, skip, 19,
            [&dy](LayerBuffers& l, const float* in, const NonzeroBlocks& nz) {
              dense_sgd_update_rows(l.w.data(), in, dy.data(), 1e-3f, nullptr, kOut, kIn, nz);
            });
}

void run_step(benchmark::State& state, Method method, bool skip,
              const std::vector<float>* images) {
  const char* error = nullptr;
  const std::unique_ptr<MnistStepCase> s = make_mnist_step_case(method, skip, images, &error);
  if (s == nullptr) {
    state.SkipWithError(error);
    return;
  }
  StepCounters c;
  RunCounters run;
  for (auto _ : state) {
    s->step(&c);
    run.add(c);
  }
  const double steps = static_cast<double>(run.steps > 0 ? run.steps : 1);
  state.counters["fwd_macs"] = static_cast<double>(run.forward_macs) / steps;
  state.counters["fwd_done"] = static_cast<double>(run.forward_macs_done) / steps;
  state.counters["bwd_macs"] = static_cast<double>(run.backward_macs) / steps;
  state.counters["bwd_done"] = static_cast<double>(run.backward_macs_done) / steps;
}

std::string fraction_label(float f) {
  char buf[32];
  snprintf(buf, sizeof buf, "nz=%.2f", static_cast<double>(f));
  return buf;
}

void register_all(const std::vector<float>* images) {
  for (float f : {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.8f, 1.0f}) {
    for (bool skip : {true, false}) {
      const std::string tail = "/" + fraction_label(f) + (skip ? "/skip" : "/dense");
      benchmark::RegisterBenchmark(("forward/784x128" + tail).c_str(), run_forward, f, skip);
      benchmark::RegisterBenchmark(("fused_sgd/784x128" + tail).c_str(), run_fused_sgd, f,
                                   skip);
    }
  }
  if (images->empty()) {
    fprintf(stderr, "zero_skip_bench: data/mnist/t10k-images-idx3-ubyte not found, "
                    "training steps not run (scripts/get-data.sh)\n");
    return;
  }
  for (Method m : {Method::kFull, Method::kTinyProp}) {
    for (bool skip : {true, false}) {
      const std::string name = std::string("step/784-128-64-10/") + method_name(m) +
                               "/mnist/" + (skip ? "skip" : "dense");
      benchmark::RegisterBenchmark(name.c_str(), run_step, m, skip, images);
    }
  }
}

}  // namespace
}  // namespace tinyprop::bench

int main(int argc, char** argv) {
  static const std::vector<float> images = tinyprop::bench::mnist_images(1000);
  tinyprop::bench::register_all(&images);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
