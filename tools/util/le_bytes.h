// Explicit little-endian encoding, byte by byte: the file bytes are the same whatever the host's
// endianness or struct layout (nothing is memcpy'd as a struct).
#pragma once
#include <stdint.h>
#include <string.h>

#include <string>
#include <vector>

#include "util/error.h"

namespace tinyprop::host {

class LeWriter {
 public:
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { for (int i = 0; i < 2; ++i) u8(static_cast<uint8_t>(v >> (8 * i))); }
  void u32(uint32_t v) { for (int i = 0; i < 4; ++i) u8(static_cast<uint8_t>(v >> (8 * i))); }
  void u64(uint64_t v) { for (int i = 0; i < 8; ++i) u8(static_cast<uint8_t>(v >> (8 * i))); }
  // IEEE-754 binary32 bit pattern, little-endian (copying one float into one uint32 is exact).
  void f32(float v) {
    uint32_t bits;
    memcpy(&bits, &v, sizeof(bits));
    u32(bits);
  }
  void bytes(const void* p, size_t n) {
    const uint8_t* b = static_cast<const uint8_t*>(p);
    out_.insert(out_.end(), b, b + n);
  }
  // Overwrites a u64 written earlier at `at` (for sizes known only at the end).
  void patch_u64(size_t at, uint64_t v) {
    for (int i = 0; i < 8; ++i) out_[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
  }
  size_t size() const { return out_.size(); }
  std::vector<uint8_t>& data() { return out_; }

 private:
  std::vector<uint8_t> out_;
};

// Bounds-checked reads; running past the end throws "<name>: truncated ...".
class LeReader {
 public:
  LeReader(const std::string& name, const uint8_t* data, size_t size)
      : name_(name), p_(data), size_(size) {}

  uint8_t u8() { need(1); return p_[pos_++]; }
  uint16_t u16() { return static_cast<uint16_t>(get(2)); }
  uint32_t u32() { return static_cast<uint32_t>(get(4)); }
  uint64_t u64() { return get(8); }
  float f32() {
    const uint32_t bits = u32();
    float v;
    memcpy(&v, &bits, sizeof(v));
    return v;
  }
  std::string str(size_t n) {
    need(n);
    std::string s(reinterpret_cast<const char*>(p_ + pos_), n);
    pos_ += n;
    return s;
  }
  size_t pos() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }
  // Throws unless n more bytes exist.
  void need(size_t n) const {
    if (n > size_ - pos_) {
      throw Error(name_ + ": truncated: needs " + std::to_string(n) + " more bytes at offset " +
                  std::to_string(pos_) + ", " + std::to_string(size_ - pos_) + " left");
    }
  }

 private:
  uint64_t get(int n) {
    need(static_cast<size_t>(n));
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(p_[pos_ + static_cast<size_t>(i)]) << (8 * i);
    pos_ += static_cast<size_t>(n);
    return v;
  }

  std::string name_;
  const uint8_t* p_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace tinyprop::host
