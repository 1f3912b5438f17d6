// A firmware that uses the core the way a device does: builds a model, plans and binds it on a
// static arena, fine-tunes it with TinyProp and sums RunCounters, then prints the counters as
// integers and the stack that Trainer::plan and a training step used. tests/mcu/run-tests.sh
// runs it under QEMU and checks its disassembly for double-precision helpers (none may be
// linked: the training path and the counters are float and integer only);
// scripts/core-footprint.sh links it for every core to measure the core's flash, RAM and stack.
//
// PROBE_CNN=1 adds a convolution and a pooling layer (the footprint with convolutions);
// PROBE_DOUBLE_CONTROL=1 prints a mean through the host-side double accessor, the negative
// control that shows the disassembly check does find double helpers.
#include <stdint.h>
#include <string.h>

#include "text_line.h"
#include "tinyprop/tinyprop.h"
#include "tp_port.h"

#ifndef PROBE_CNN
#define PROBE_CNN 0
#endif
#ifndef PROBE_DOUBLE_CONTROL
#define PROBE_DOUBLE_CONTROL 0
#endif

using namespace tinyprop;

namespace {

#if PROBE_CNN
constexpr uint32_t kSide = 8, kInputs = kSide * kSide;
#else
constexpr uint32_t kInputs = 16;
#endif
constexpr uint32_t kClasses = 4;
constexpr uint32_t kSteps = 200;

ModelSpec g_spec;
Model g_model;
Trainer g_trainer;
alignas(kArenaAlignment) uint8_t g_arena[8 * 1024];
float g_x[kInputs];

// ---- stack high-water: paint below the caller's stack pointer, run, find the deepest write
constexpr uint32_t kPaint = 0xC5C5C5C5u;
constexpr uint32_t kPaintWords = 2048;  // 8 KB below the caller's frame
constexpr uint32_t kSkipWords = 32;     // paint()'s own frame and the call itself

__attribute__((noinline)) uintptr_t stack_pointer() {
  uintptr_t sp;
  __asm volatile("mov %0, sp" : "=r"(sp));
  return sp;
}

__attribute__((noinline)) void paint(uintptr_t from) {
  volatile uint32_t* p = reinterpret_cast<volatile uint32_t*>(from) - kSkipWords;
  for (uint32_t i = 0; i < kPaintWords; ++i) *--p = kPaint;
}

// Bytes below `from` that were written since paint(from).
__attribute__((noinline)) uint32_t stack_depth(uintptr_t from) {
  const volatile uint32_t* low =
      reinterpret_cast<const volatile uint32_t*>(from) - kSkipWords - kPaintWords;
  uint32_t untouched = 0;
  while (untouched < kPaintWords && low[untouched] == kPaint) ++untouched;
  return (kPaintWords + kSkipWords - untouched) * 4u;
}

// Console output: the firmware's own integer formatting (examples/mcu_finetune/text_line.h; the
// probe calls none of its double-precision formats).
mcu::TextLine g_line;

[[noreturn]] void fail(const char* what, Status s) {
  g_line.str("probe_counters: ");
  g_line.str(what);
  g_line.str(": ");
  g_line.str(status_name(s));
  g_line.print();
  tp_port_exit(1);
}

void build_spec() {
  Status s = Status::kOk;
  const auto add = [&s](Status r) { if (ok(s)) s = r; };
#if PROBE_CNN
  g_spec.input = Shape{kSide, kSide, 1};
  add(g_spec.add_conv2d(4, 3));
  add(g_spec.add_activation(LayerKind::kReLU));
  add(g_spec.add_max_pool2d(2));
  add(g_spec.add_flatten());
#else
  g_spec.input = Shape{1, 1, kInputs};
#endif
  add(g_spec.add_dense(32));
  add(g_spec.add_activation(LayerKind::kReLU));
  add(g_spec.add_dense(16));
  add(g_spec.add_activation(LayerKind::kReLU));
  add(g_spec.add_dense(kClasses));
  if (!ok(s)) fail("spec", s);
}

}  // namespace

int main() {
  build_spec();
  TrainConfig config;
  config.sparsity.method = Method::kTinyProp;
  config.optimizer.learning_rate = 0.05f;

  MemoryPlan plan;
  const uintptr_t sp = stack_pointer();
  paint(sp);
  Status s = Trainer::plan(g_spec, config, &plan);
  const uint32_t stack_plan = stack_depth(sp);
  if (!ok(s)) fail("plan", s);
  if (plan.total() > sizeof g_arena) fail("plan larger than the arena", Status::kArenaTooSmall);
  s = bind_training(g_spec, config, g_arena, sizeof g_arena, &g_model, &g_trainer);
  if (!ok(s)) fail("bind", s);
  Rng rng(7);
  g_model.init_params(rng);

  RunCounters run;
  uint32_t stack_train = 0;
  for (uint32_t step = 0; step < kSteps; ++step) {
    const uint32_t label = step % kClasses;
    for (uint32_t i = 0; i < kInputs; ++i) {
      // A class-dependent pattern: class c lights every 4th input starting at c.
      g_x[i] = (i % kClasses == label ? 1.0f : 0.0f) + 0.01f * static_cast<float>((i * 7u + step) % 5u);
    }
    StepCounters c;
    paint(sp);
    g_trainer.train_sample(g_x, Target::of_label(label), &c);
    const uint32_t used = stack_depth(sp);
    if (used > stack_train) stack_train = used;
    run.add(c);
  }
  g_line.str("probe_counters steps=");
  g_line.u64(run.steps);
  g_line.str(" backward_ppm=");
  g_line.u64(run.backward_ratio_ppm());
  g_line.str(" total_ppm=");
  g_line.u64(run.total_ratio_ppm());
  for (uint32_t i = 0; i < g_model.n_layers(); ++i) {
    if (run.ratio_count[i] == 0) continue;
    g_line.str(" layer");
    g_line.u64(i);
    g_line.str("_ppm=");
#if PROBE_DOUBLE_CONTROL
    g_line.u64(static_cast<uint64_t>(run.mean_ratio(i) * 1e6));
#else
    g_line.u64(run.mean_ratio_ppm(i));
#endif
  }
  g_line.print();
  g_line.str("probe_counters stack_plan=");
  g_line.u64(stack_plan);
  g_line.str(" stack_train=");
  g_line.u64(stack_train);
  g_line.str(" arena_planned=");
  g_line.u64(plan.total());
  g_line.str(" model=");
  g_line.u64(sizeof(Model));
  g_line.str(" trainer=");
  g_line.u64(sizeof(Trainer));
  g_line.str(" spec=");
  g_line.u64(sizeof(ModelSpec));
  g_line.print();
  return 0;
}
