// Error values of the core library. The core never throws: every function that can fail
// returns a Status, checked in plan/bind so that the training hot path can run blind.
#pragma once

namespace tinyprop {

enum class [[nodiscard]] Status : unsigned char {
  kOk = 0,
  kInvalidArgument,   // a parameter is out of its documented range
  kBadShape,          // layer sizes do not chain, or a size is zero
  kTooManyLayers,     // more layers than kMaxLayers
  kArenaTooSmall,     // bind() was handed fewer bytes than plan() reported
  kArenaMisaligned,   // the arena does not start on a kArenaAlignment boundary
  kNotBound,          // a model or trainer was used before bind()
  kNothingToTrain,    // no trainable layer with parameters
  kUnsupported,       // a combination the library does not implement
  kTooLarge,          // the parameters (all layers together) or a buffer exceed kMaxElements,
                      // or the arena bytes exceed size_t: the model cannot exist in memory
  kNonFinite,         // a training step produced a non-finite loss or parameter (diverged);
                      // sticky in Trainer::health() until reset_health()
  kKindDisabled,      // the spec uses a layer kind compiled out of this build of the library
                      // (TINYPROP_WITH_CONV=0 or TINYPROP_WITH_POOL=0, tinyprop/config.h)
};

// A short, stable, human-readable name for a status (never null).
const char* status_name(Status s);

inline bool ok(Status s) { return s == Status::kOk; }

}  // namespace tinyprop
