#include "tinyprop/status.h"

namespace tinyprop {

const char* status_name(Status s) {
  switch (s) {
    case Status::kOk: return "ok";
    case Status::kInvalidArgument: return "invalid argument";
    case Status::kBadShape: return "bad shape";
    case Status::kTooManyLayers: return "too many layers";
    case Status::kArenaTooSmall: return "arena too small";
    case Status::kArenaMisaligned: return "arena misaligned";
    case Status::kNotBound: return "not bound";
    case Status::kNothingToTrain: return "nothing to train";
    case Status::kUnsupported: return "unsupported";
    case Status::kTooLarge: return "too large";
    case Status::kNonFinite: return "non-finite value";
    case Status::kKindDisabled: return "layer kind disabled in this build";
  }
  return "unknown status";
}

}  // namespace tinyprop
