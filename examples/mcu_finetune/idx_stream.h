// Streams (image, label) samples from a pair of IDX files (MNIST's format) through tp_port,
// so the firmware never holds a dataset: it reads a few samples at a time from the host.
//
// IDX: big-endian header. Images: magic 0x00000803, count, rows, cols, then count*rows*cols
// bytes. Labels: magic 0x00000801, count, then count bytes. Pixels become x = byte / 255.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifndef MCU_READ_SAMPLES
#define MCU_READ_SAMPLES 1  // samples fetched per host read (RAM cost: this many x 784 bytes)
#endif
#ifndef MCU_MAX_SAMPLE_BYTES
#define MCU_MAX_SAMPLE_BYTES (28 * 28)  // the largest input (pixels) the buffers hold
#endif

namespace mcu {

inline constexpr uint32_t kMaxSampleBytes = MCU_MAX_SAMPLE_BYTES;
inline constexpr uint32_t kLabelChunk = 64;

class IdxStream {
 public:
  // Opens both files and validates their headers: magics, image size == dim, equal counts.
  // On failure returns false and sets *error to a short reason.
  bool open(const char* images_path, const char* labels_path, uint32_t dim, const char** error);
  void close();
  uint32_t count() const { return count_; }
  uint32_t position() const { return pos_; }

  // Reads the next sample: x [dim] in [0, 1], its label. False at the end or on a read error.
  bool next(float* x, uint32_t* label);
  // Back to the first sample (a new epoch). False on a seek error.
  bool rewind();

 private:
  bool refill();

  int images_ = -1, labels_ = -1;
  uint32_t count_ = 0, dim_ = 0, pos_ = 0;
  uint32_t pixels_at_ = 0, pixels_n_ = 0;  // samples [pixels_at_, +pixels_n_) are buffered
  uint32_t labels_at_ = 0, labels_n_ = 0;
  uint8_t pixels_[MCU_READ_SAMPLES * kMaxSampleBytes];
  uint8_t labels_buf_[kLabelChunk];
};

}  // namespace mcu
