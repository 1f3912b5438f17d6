// CIFAR-10 binary batches (the "binary version" of the dataset, cifar-10-binary.tar.gz):
// each record is 3073 bytes, a label byte 0..9 then a 32x32 image as three 1024-byte planes
// (red, green, blue), each plane row-major. We store channels-last: x[(r * 32 + c) * 3 + ch].
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/file_bytes.h"
#include "util/error.h"

namespace tinyprop::host {
namespace {

constexpr uint32_t kSide = 32, kChannels = 3, kClasses = 10;
constexpr size_t kPlane = kSide * kSide;                // 1024
constexpr size_t kRecord = 1 + kChannels * kPlane;      // 3073

}  // namespace

Dataset load_cifar10(const std::vector<std::string>& batch_paths) {
  if (batch_paths.empty()) throw Error("cifar10: no batch files given");
  Dataset d;
  d.name = "cifar10";
  d.shape = Shape{kSide, kSide, kChannels};
  d.num_classes = kClasses;
  for (const std::string& path : batch_paths) {
    const std::vector<uint8_t> b = read_data_file(path);
    if (b.empty()) throw Error(path + ": empty file (expected 3073-byte CIFAR-10 records)");
    if (b.size() % kRecord != 0) {
      throw Error(path + ": size " + std::to_string(b.size()) +
                  " is not a multiple of the 3073-byte CIFAR-10 record (truncated or not a CIFAR-10 batch?)");
    }
    const size_t records = b.size() / kRecord;
    const size_t first = d.y.size();
    d.y.resize(first + records);
    d.x.resize((first + records) * kChannels * kPlane);  // [n, 32, 32, 3]
    for (size_t i = 0; i < records; ++i) {
      const uint8_t* rec = b.data() + i * kRecord;
      if (rec[0] >= kClasses) {
        throw Error(path + ": label " + std::to_string(rec[0]) + " of record " + std::to_string(i) +
                    " out of range (expected < 10)");
      }
      d.y[first + i] = rec[0];
      float* out = d.x.data() + (first + i) * kChannels * kPlane;  // [32, 32, 3]
      for (size_t p = 0; p < kPlane; ++p) {
        for (size_t ch = 0; ch < kChannels; ++ch) {
          out[p * kChannels + ch] = static_cast<float>(rec[1 + ch * kPlane + p]) / 255.0f;
        }
      }
    }
  }
  return d;
}

}  // namespace tinyprop::host
