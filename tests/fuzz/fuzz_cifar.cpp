// Fuzz target "cifar": a CIFAR-10 binary batch (3073-byte records: a label byte, then the red,
// green and blue 32x32 planes) through host::load_cifar10, as the file itself and given twice.
// Properties:
//   * a refusal is a one-line host::Error naming the file;
//   * a loaded batch has size / 3073 samples of shape 32x32x3, labels < 10 equal to the label
//     bytes, and x[(p * 3 + ch)] = plane_ch[p] / 255 for every record (planar -> channels-last);
//   * the same file given twice loads as the batch followed by itself.
#include "data/dataset.h"
#include "data/file_bytes.h"
#include "fuzz_common.h"

namespace {

using namespace tinyprop;
constexpr size_t kPlane = 32 * 32, kRecord = 1 + 3 * kPlane;

void check_batch(const host::Dataset& d, const uint8_t* data, size_t size, size_t copies) {
  FUZZ_REQUIRE(size > 0 && size % kRecord == 0);
  const size_t records = size / kRecord;
  FUZZ_REQUIRE(d.size() == copies * records && d.num_classes == 10);
  FUZZ_REQUIRE(d.shape.h == 32 && d.shape.w == 32 && d.shape.c == 3);
  FUZZ_REQUIRE(d.x.size() == d.size() * 3 * kPlane);
  for (size_t s = 0; s < d.size(); ++s) {
    const uint8_t* rec = data + (s % records) * kRecord;
    FUZZ_REQUIRE(d.y[s] == rec[0] && d.y[s] < 10);
    const float* x = d.sample(s);
    for (size_t p = 0; p < kPlane; ++p) {
      for (size_t ch = 0; ch < 3; ++ch) {
        FUZZ_REQUIRE(fuzz::same_bits(x[p * 3 + ch], static_cast<float>(rec[1 + ch * kPlane + p]) / 255.0f));
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::ScratchDir::get().write("data_batch_1.bin", data, size);
  host::Dataset once;
  try {
    once = host::load_cifar10({path});
  } catch (const host::Error& e) {
    fuzz::require_clear_error(e, path);
    return 0;
  }
  // The records as stored (a gzip-compressed batch is inflated first).
  const std::vector<uint8_t> records = host::read_data_file(path);
  check_batch(once, records.data(), records.size(), 1);
  check_batch(host::load_cifar10({path, path}), records.data(), records.size(), 2);
  fuzz::outcome("accepted");
  return 0;
}
