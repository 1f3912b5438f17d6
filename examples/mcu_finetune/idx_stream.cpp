#include "idx_stream.h"

#include "tp_port.h"

namespace mcu {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803u;  // unsigned byte, 3 dimensions
constexpr uint32_t kLabelsMagic = 0x00000801u;  // unsigned byte, 1 dimension
constexpr size_t kImagesHeader = 16, kLabelsHeader = 8;

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

bool read_exact(int h, void* buf, size_t n) {
  uint8_t* p = static_cast<uint8_t*>(buf);
  while (n > 0) {
    const long got = tp_port_read(h, p, n);
    if (got <= 0) return false;
    p += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

}  // namespace

bool IdxStream::open(const char* images_path, const char* labels_path, uint32_t dim,
                     const char** error) {
  close();
  images_ = tp_port_open(images_path);
  labels_ = tp_port_open(labels_path);
  if (images_ < 0 || labels_ < 0) {
    *error = "cannot open the IDX files";
    close();
    return false;
  }
  uint8_t ih[kImagesHeader], lh[kLabelsHeader];
  if (!read_exact(images_, ih, sizeof ih) || !read_exact(labels_, lh, sizeof lh)) {
    *error = "IDX file shorter than its header";
  } else if (be32(ih) != kImagesMagic || be32(lh) != kLabelsMagic) {
    *error = "not IDX image/label files (wrong magic)";
  } else if (be32(ih + 8) * be32(ih + 12) != dim || dim > kMaxSampleBytes) {
    *error = "image size does not match the model input";
  } else if (be32(ih + 4) != be32(lh + 4)) {
    *error = "image and label counts differ";
  } else {
    count_ = be32(ih + 4);
    dim_ = dim;
    pos_ = pixels_at_ = pixels_n_ = labels_at_ = labels_n_ = 0;
    return true;
  }
  close();
  return false;
}

void IdxStream::close() {
  if (images_ >= 0) tp_port_close(images_);
  if (labels_ >= 0) tp_port_close(labels_);
  images_ = labels_ = -1;
  count_ = pos_ = 0;
}

bool IdxStream::refill() {
  uint32_t n = count_ - pos_;
  if (n > MCU_READ_SAMPLES) n = MCU_READ_SAMPLES;
  if (!read_exact(images_, pixels_, size_t{n} * dim_)) return false;
  pixels_at_ = pos_;
  pixels_n_ = n;
  return true;
}

bool IdxStream::next(float* x, uint32_t* label) {
  if (pos_ >= count_) return false;
  if (pos_ >= pixels_at_ + pixels_n_ && !refill()) return false;
  if (pos_ >= labels_at_ + labels_n_) {
    uint32_t n = count_ - pos_;
    if (n > kLabelChunk) n = kLabelChunk;
    if (!read_exact(labels_, labels_buf_, n)) return false;
    labels_at_ = pos_;
    labels_n_ = n;
  }
  const uint8_t* px = pixels_ + size_t{pos_ - pixels_at_} * dim_;
  for (uint32_t i = 0; i < dim_; ++i) x[i] = static_cast<float>(px[i]) / 255.0f;
  *label = labels_buf_[pos_ - labels_at_];
  ++pos_;
  return true;
}

bool IdxStream::rewind() {
  if (tp_port_seek(images_, kImagesHeader) != 0 || tp_port_seek(labels_, kLabelsHeader) != 0) {
    return false;
  }
  pos_ = pixels_at_ = pixels_n_ = labels_at_ = labels_n_ = 0;
  return true;
}

}  // namespace mcu
