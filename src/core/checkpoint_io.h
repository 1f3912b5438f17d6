// Little-endian byte streams for checkpoints (internal): a writer that stages bytes and hands
// them to a sink in chunks, and a sequential reader over a random-access source; both keep a
// running CRC-32 of the bytes they pass. Float values are copied bit for bit.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "tinyprop/checkpoint.h"
#include "tinyprop/crc32.h"

namespace tinyprop {

inline uint32_t float_bits(float v) {
  uint32_t u;
  __builtin_memcpy(&u, &v, sizeof u);
  return u;
}
inline float bits_float(uint32_t u) {
  float v;
  __builtin_memcpy(&v, &u, sizeof v);
  return v;
}

// CRC-32 over little-endian values, for the spec and configuration hashes.
struct Hasher {
  uint32_t crc = 0;
  void u32(uint32_t v) {
    const uint8_t b[4] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8),
                          static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 24)};
    crc = crc32_update(crc, b, 4);
  }
  void f32(float v) { u32(float_bits(v)); }
};

class CheckpointWriter {
 public:
  explicit CheckpointWriter(CheckpointSink sink) : sink_(sink) {}
  void u8(uint8_t v) {
    buf_[fill_++] = v;
    if (fill_ == kChunk) drain();
  }
  void u16(uint16_t v) { for (int i = 0; i < 2; ++i) u8(static_cast<uint8_t>(v >> (8 * i))); }
  void u32(uint32_t v) { for (int i = 0; i < 4; ++i) u8(static_cast<uint8_t>(v >> (8 * i))); }
  void u64(uint64_t v) { for (int i = 0; i < 8; ++i) u8(static_cast<uint8_t>(v >> (8 * i))); }
  void f32(float v) { u32(float_bits(v)); }
  void floats(const float* p, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) f32(p[i]);
  }
  void bytes(const uint8_t* p, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) u8(p[i]);
  }
  // Appends the CRC of everything written so far and drains. False if the sink failed.
  bool finish() {
    drain();
    const uint32_t crc = crc_;
    u32(crc);
    drain();
    return ok_;
  }
  uint32_t written() const { return count_ + fill_; }

 private:
  static constexpr uint32_t kChunk = 64;
  void drain() {
    if (fill_ == 0) return;
    crc_ = crc32_update(crc_, buf_, fill_);
    if (ok_) ok_ = sink_.write(sink_.context, buf_, fill_);
    count_ += fill_;
    fill_ = 0;
  }
  CheckpointSink sink_;
  uint8_t buf_[kChunk] = {};
  uint32_t fill_ = 0, count_ = 0, crc_ = 0;
  bool ok_ = true;
};

class CheckpointReader {
 public:
  // Reads [offset, end) of the source, in chunks.
  CheckpointReader(CheckpointSource source, uint32_t offset, uint32_t end)
      : src_(source), offset_(offset), end_(end) {}
  uint8_t u8() {
    if (pos_ == avail_) refill();
    return pos_ < avail_ ? buf_[pos_++] : 0;
  }
  uint16_t u16() {
    const uint32_t lo = u8();  // two statements: the operands of | are not sequenced
    return static_cast<uint16_t>(lo | (static_cast<uint32_t>(u8()) << 8));
  }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(u8()) << (8 * i);
    return v;
  }
  uint64_t u64() {
    const uint64_t lo = u32();
    return lo | (static_cast<uint64_t>(u32()) << 32);
  }
  float f32() { return bits_float(u32()); }
  void floats(float* p, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) p[i] = f32();
  }
  void bytes(uint8_t* p, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) p[i] = u8();
  }
  bool ok() const { return ok_; }

 private:
  static constexpr uint32_t kChunk = 64;
  void refill() {
    pos_ = avail_ = 0;
    const uint32_t n = end_ - offset_ < kChunk ? end_ - offset_ : kChunk;
    if (!ok_ || n == 0) {
      ok_ = false;  // read past the end
      return;
    }
    ok_ = src_.read(src_.context, offset_, buf_, n);
    if (ok_) {
      avail_ = n;
      offset_ += n;
    }
  }
  CheckpointSource src_;
  uint32_t offset_, end_;
  uint8_t buf_[kChunk] = {};
  uint32_t pos_ = 0, avail_ = 0;
  bool ok_ = true;
};

}  // namespace tinyprop
