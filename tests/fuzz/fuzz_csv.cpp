// Fuzz target "csv": a CSV dataset (numeric features, integer label in the last column, optional
// header) through host::load_csv.
// Properties:
//   * a refusal is a one-line host::Error naming the file;
//   * a loaded dataset has rows of equal width: n samples of dim() >= 1 finite features,
//     x.size() = n * dim(), labels <= 65535, num_classes = max(2, largest label + 1);
//   * written back as CSV (features with 9 significant digits, which round-trip a float, and the
//     label last) it loads to the same dataset, bit for bit.
#include <math.h>

#include "data/dataset.h"
#include "fuzz_common.h"

namespace {

using namespace tinyprop;

void check_dataset(const host::Dataset& d) {
  FUZZ_REQUIRE(d.size() > 0 && d.dim() >= 1);
  FUZZ_REQUIRE(d.shape.h == 1 && d.shape.w == 1);
  FUZZ_REQUIRE(d.x.size() == d.size() * d.dim());
  uint32_t max_label = 0;
  for (uint32_t y : d.y) max_label = y > max_label ? y : max_label;
  FUZZ_REQUIRE(max_label <= 65535);
  FUZZ_REQUIRE(d.num_classes == (max_label + 1 < 2 ? 2 : max_label + 1));
  for (float v : d.x) FUZZ_REQUIRE(isfinite(v));
}

std::string to_csv(const host::Dataset& d) {
  std::string text;
  char buf[32];
  for (size_t i = 0; i < d.size(); ++i) {
    for (uint32_t j = 0; j < d.dim(); ++j) {
      snprintf(buf, sizeof buf, "%.9g,", static_cast<double>(d.sample(i)[j]));
      text += buf;
    }
    text += std::to_string(d.y[i]) + "\n";
  }
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ScratchDir& dir = fuzz::ScratchDir::get();
  const std::string path = dir.write("data.csv", data, size);
  host::Dataset d;
  try {
    d = host::load_csv(path);
  } catch (const host::Error& e) {
    fuzz::require_clear_error(e, path);
    return 0;
  }
  check_dataset(d);
  const host::Dataset again = host::load_csv(dir.write("rewritten.csv", to_csv(d)));
  FUZZ_REQUIRE(again.shape.c == d.shape.c && again.y == d.y && again.num_classes == d.num_classes);
  FUZZ_REQUIRE(again.x.size() == d.x.size());
  for (size_t i = 0; i < d.x.size(); ++i) FUZZ_REQUIRE(fuzz::same_bits(again.x[i], d.x[i]));
  fuzz::outcome("accepted");
  return 0;
}
