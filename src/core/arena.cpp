#include "tinyprop/arena.h"

namespace tinyprop {

const char* region_name(Region r) {
  switch (r) {
    case Region::kParameters: return "parameters";
    case Region::kGradients: return "gradients";
    case Region::kOptimizerState: return "optimizer_state";
    case Region::kActivations: return "activations";
    case Region::kScratch: return "scratch";
    case Region::kIndices: return "indices";
    case Region::kCount: break;
  }
  return "unknown";
}

size_t MemoryPlan::total() const {
  size_t sum = 0;
  for (size_t b : bytes) {
    if (b > static_cast<size_t>(-1) - sum) return static_cast<size_t>(-1);  // saturate
    sum += b;
  }
  return sum;
}

Arena::Arena(void* memory, size_t capacity)
    : base_(static_cast<uint8_t*>(memory)), capacity_(capacity) {
  if (base_ != nullptr && (reinterpret_cast<uintptr_t>(base_) % kArenaAlignment) != 0) {
    misaligned_ = true;
  }
}

void* Arena::take(Region r, size_t bytes) {
  // Every sum below is checked against size_t wrapping around first: a wrapped plan would
  // promise a small arena for a huge model.
  const size_t max = static_cast<size_t>(-1);
  size_t& region = plan_.bytes[static_cast<size_t>(r)];
  if (too_large_ || bytes > max - (kArenaAlignment - 1)) {
    too_large_ = true;
    return nullptr;
  }
  // Round every buffer up to the alignment, so that plan and bind agree byte for byte.
  const size_t rounded = (bytes + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
  if (rounded > max - region || rounded > max - used_) {
    too_large_ = true;
    return nullptr;
  }
  region += rounded;
  if (planning()) {
    used_ += rounded;
    return nullptr;
  }
  if (misaligned_ || overflow_ || rounded > capacity_ - used_) {
    overflow_ = true;
    used_ += rounded;
    return nullptr;
  }
  void* p = base_ + used_;
  used_ += rounded;
  return p;
}

}  // namespace tinyprop
