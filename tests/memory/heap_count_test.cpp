// Training allocates nothing: every heap entry point is counted while a flag is set, and 1000
// train_sample calls (plus flush, loss and predict) must leave the count at zero, for every
// method, optimizer and batch size 1 and 4.
//
// Counted entry points: the global operator new / delete family (replaced here), and malloc,
// calloc, realloc and free through the linker's --wrap (tests/CMakeLists.txt), which reroutes
// every call from the objects of this binary, the tinyprop core library included, to
// __wrap_* below. Under AddressSanitizer the __real_* calls resolve to ASan's allocator, so the
// counting stays valid; a self-test checks that the counters really see allocations.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <cmath>
#include <new>
#include <string>

#include "../unit/test_util.h"
#include "../unit/sim_flash.h"
#include "../unit/test_conv_util.h"

extern "C" {
void* __real_malloc(size_t size);
void* __real_calloc(size_t n, size_t size);
void* __real_realloc(void* p, size_t size);
void __real_free(void* p);
}

namespace {

std::atomic<bool> g_counting{false};
std::atomic<long> g_heap_calls{0};

inline void count_call() {
  if (g_counting.load(std::memory_order_relaxed)) g_heap_calls.fetch_add(1);
}

void* allocate(size_t size) {
  count_call();
  void* p = __real_malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void* allocate_aligned(size_t size, std::align_val_t align) {
  count_call();
  const size_t a = static_cast<size_t>(align);
  void* p = nullptr;
  if (posix_memalign(&p, a < sizeof(void*) ? sizeof(void*) : a, size == 0 ? 1 : size) != 0) {
    throw std::bad_alloc();
  }
  return p;
}

void release(void* p) {
  if (p == nullptr) return;
  count_call();
  __real_free(p);
}

}  // namespace

extern "C" {
void* __wrap_malloc(size_t size) {
  count_call();
  return __real_malloc(size);
}
void* __wrap_calloc(size_t n, size_t size) {
  count_call();
  return __real_calloc(n, size);
}
void* __wrap_realloc(void* p, size_t size) {
  count_call();
  return __real_realloc(p, size);
}
void __wrap_free(void* p) {
  if (p != nullptr) count_call();
  __real_free(p);
}
}

void* operator new(size_t size) { return allocate(size); }
void* operator new[](size_t size) { return allocate(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  count_call();
  return __real_malloc(size == 0 ? 1 : size);
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  count_call();
  return __real_malloc(size == 0 ? 1 : size);
}
void* operator new(size_t size, std::align_val_t a) { return allocate_aligned(size, a); }
void* operator new[](size_t size, std::align_val_t a) { return allocate_aligned(size, a); }
void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, size_t) noexcept { release(p); }
void operator delete[](void* p, size_t) noexcept { release(p); }
void operator delete(void* p, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { release(p); }

namespace tinyprop_test {
namespace {

// Counts heap calls made while `body` runs.
template <typename F>
long heap_calls_during(F body) {
  g_heap_calls.store(0);
  g_counting.store(true);
  body();
  g_counting.store(false);
  return g_heap_calls.load();
}

// The counters must see allocations, or a zero below would prove nothing. The calls go through
// volatile function pointers so that the compiler cannot elide the pairs.
TEST(HeapCount, SelfTestSeesEveryEntryPoint) {
  void* (*volatile do_malloc)(size_t) = malloc;
  void* (*volatile do_calloc)(size_t, size_t) = calloc;
  void* (*volatile do_realloc)(void*, size_t) = realloc;
  void (*volatile do_free)(void*) = free;
  EXPECT_EQ(heap_calls_during([&] { do_free(do_malloc(16)); }), 2);
  EXPECT_EQ(heap_calls_during([&] { do_free(do_calloc(2, 8)); }), 2);
  EXPECT_EQ(heap_calls_during([&] { do_free(do_realloc(nullptr, 8)); }), 2);
  EXPECT_EQ(heap_calls_during([] {
              std::string* volatile s = new std::string(100, 'x');  // new + the string's buffer
              delete s;
            }),
            4);
  EXPECT_EQ(heap_calls_during([] {}), 0);
}

struct HeapCase {
  std::string name;
  ModelSpec spec;
  Method method;
  OptimizerKind opt;
  float momentum;
  uint32_t batch;
};

void PrintTo(const HeapCase& c, std::ostream* os) { *os << c.name; }

std::vector<HeapCase> all_cases() {
  struct Net {
    const char* name;
    ModelSpec spec;
  };
  const Net nets[] = {
      {"relu_softmax", mlp_spec({32, 24, 16, 4}, LayerKind::kReLU)},
      {"tanh_sigmoid_bce", mlp_spec({32, 16, 4}, LayerKind::kTanh, LossKind::kBinaryCrossEntropy,
                                    true, LayerKind::kSigmoid)},
      {"cnn", small_cnn(10, 8)},
  };
  const Method methods[] = {Method::kFull, Method::kStatic, Method::kTinyProp,
                            Method::kTinyPropV2};
  struct Opt {
    const char* name;
    OptimizerKind kind;
    float momentum;
  };
  const Opt opts[] = {{"sgd", OptimizerKind::kSgd, 0.0f},
                      {"momentum", OptimizerKind::kSgd, 0.9f},
                      {"adam", OptimizerKind::kAdam, 0.0f}};
  std::vector<HeapCase> cases;
  for (const Net& n : nets) {
    for (Method m : methods) {
      for (const Opt& o : opts) {
        for (uint32_t batch : {1u, 4u}) {
          cases.push_back({std::string(n.name) + "_" + method_name(m) + "_" + o.name + "_b" +
                               std::to_string(batch),
                           n.spec, m, o.kind, o.momentum, batch});
        }
      }
    }
  }
  return cases;
}

class NoHeapWhileTraining : public ::testing::TestWithParam<HeapCase> {};

TEST_P(NoHeapWhileTraining, ThousandSamples) {
  const HeapCase hc = GetParam();
  TrainConfig cfg = make_config(hc.method, hc.opt, hc.batch, 0.01f, hc.momentum);
  cfg.sparsity.ratio = 0.3f;
  // Everything that may allocate happens here, outside the counted region.
  Bound b(hc.spec, cfg, 1);
  ASSERT_EQ(b.status, Status::kOk);
  const uint32_t n_in = b.model.input_size(), n_out = b.model.output_size();
  const Dataset d = make_blobs(100, n_in, n_out, 1.0f, 2);
  std::vector<float> targets(static_cast<size_t>(d.size()) * n_out, 0.0f);  // one-hot values
  for (uint32_t i = 0; i < d.size(); ++i) targets[i * n_out + d.y[i]] = 1.0f;
  const bool use_values = hc.spec.loss != LossKind::kSoftmaxCrossEntropy;
  RunCounters run;
  StepCounters c;
  float sink = 0.0f;

  const long calls = heap_calls_during([&] {
    for (uint32_t s = 0; s < 1000; ++s) {
      const uint32_t i = s % d.size();
      const Target t = use_values ? Target::of_values(&targets[i * n_out])
                                  : Target::of_label(d.y[i]);
      b.trainer.train_sample(d.row(i), t, &c);
      run.add(c);
      if (s % 97 == 0) b.trainer.flush(&c);  // partial batches too
      if (s % 101 == 0) {
        sink += b.trainer.loss(d.row(i), t);
        sink += static_cast<float>(b.model.predict(d.row(i)));
      }
    }
    b.trainer.flush(&c);
    b.trainer.reset_run();
  });
  EXPECT_EQ(calls, 0) << "heap calls during training";
  EXPECT_EQ(run.steps, 1000u);
  EXPECT_TRUE(std::isfinite(sink));
  EXPECT_FALSE(has_non_finite(b.model.params(), b.model.param_count()));
}

INSTANTIATE_TEST_SUITE_P(AllConfigs, NoHeapWhileTraining, ::testing::ValuesIn(all_cases()),
                         [](const auto& info) { return info.param.name; });

// Checkpoints allocate nothing either: save into a buffer, restore, and a flash store's init,
// save and load (Adam at batch 4: moments and a pending batch).
TEST(HeapCount, CheckpointsAndTheFlashStoreAllocateNothing) {
  const ModelSpec spec = mlp_spec({10, 12, 6, 4}, LayerKind::kReLU);
  Bound b(spec, make_config(Method::kTinyProp, OptimizerKind::kAdam, 4, 0.01f));
  Bound other(spec, make_config(Method::kTinyProp, OptimizerKind::kAdam, 4, 0.01f));
  const Dataset d = make_blobs(16, 10, 4, 0.8f, 3);
  for (uint32_t i = 0; i < d.size(); ++i) b.trainer.train_sample(d.row(i), Target::of_label(d.y[i]), nullptr);
  std::vector<uint8_t> buffer(checkpoint_size(b.trainer, CheckpointMode::kFull));
  SimFlash flash(32 * 1024, 1024, 8);
  const FlashDevice dev = flash.device();
  bool all_ok = true;
  const long calls = heap_calls_during([&] {
    all_ok = all_ok && ok(checkpoint_save(b.trainer, CheckpointMode::kFull, 16, buffer.data(),
                                          buffer.size(), nullptr));
    all_ok = all_ok && ok(checkpoint_restore(other.trainer, buffer.data(), buffer.size()));
    FlashStore store;
    all_ok = all_ok && ok(store.init(dev, 2));
    all_ok = all_ok && ok(store.save(b.trainer, 16));
    all_ok = all_ok && ok(store.save(b.trainer, 17));
    all_ok = all_ok && ok(store.load(other.trainer));
  });
  EXPECT_TRUE(all_ok);
  EXPECT_EQ(calls, 0) << "heap calls while saving or restoring checkpoints";
}

}  // namespace
}  // namespace tinyprop_test
