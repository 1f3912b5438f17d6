// Fuzz target "idx": IDX image + label files (MNIST layout) through host::load_idx.
// Properties: see idx_pair.h (refusals name the file; a loaded dataset matches its bytes).
#include "idx_pair.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tinyprop::fuzz::fuzz_idx_pair(data, size);
  return 0;
}
