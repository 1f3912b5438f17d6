// One caller-provided block of memory, handed out in named regions.
//
// Two-phase memory (as in AIfES and TFLite Micro): the same layout code runs twice, first on a
// planning arena (no memory, only counts bytes per region), then on the real arena. Because
// both runs execute the identical sequence of take() calls with the identical alignment rule,
// the plan is exact. Nothing allocates after binding.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "tinyprop/limits.h"

namespace tinyprop {

enum class Region : uint8_t {
  kParameters = 0,   // weights and biases
  kGradients,        // gradient accumulators (only for batch size > 1)
  kOptimizerState,   // momentum / Adam moments
  kActivations,      // layer outputs kept for the backward pass
  kScratch,          // error (delta) ping-pong buffers and loss scratch
  kIndices,          // top-k selection indices, heap, touched-row flags
  kCount
};

const char* region_name(Region r);

struct MemoryPlan {
  size_t bytes[static_cast<size_t>(Region::kCount)] = {};
  size_t total() const;
  size_t of(Region r) const { return bytes[static_cast<size_t>(r)]; }
};

class Arena {
 public:
  // A planning arena: take() returns nullptr and only counts.
  Arena() = default;
  // A real arena over [memory, memory + capacity). memory must be kArenaAlignment-aligned.
  Arena(void* memory, size_t capacity);

  bool planning() const { return base_ == nullptr; }
  // False once a take() did not fit (binding), a size wrapped around, or the arena was
  // misaligned.
  bool ok() const { return !overflow_ && !misaligned_ && !too_large_; }
  bool misaligned() const { return misaligned_; }
  // True once a requested size or a running total would have wrapped around size_t (possible on
  // 32-bit targets for models that validate): the plan is then meaningless (kTooLarge).
  bool too_large() const { return too_large_; }

  // Hands out `bytes` bytes (rounded up to kArenaAlignment) of region r.
  void* take(Region r, size_t bytes);
  template <typename T>
  T* take_array(Region r, size_t count) {
    if (count > static_cast<size_t>(-1) / sizeof(T)) {
      too_large_ = true;
      return nullptr;
    }
    return static_cast<T*>(take(r, count * sizeof(T)));
  }

  size_t used() const { return used_; }
  size_t capacity() const { return capacity_; }
  const MemoryPlan& plan() const { return plan_; }

 private:
  uint8_t* base_ = nullptr;
  size_t capacity_ = 0;
  size_t used_ = 0;
  bool overflow_ = false;
  bool misaligned_ = false;
  bool too_large_ = false;
  MemoryPlan plan_;
};

}  // namespace tinyprop
