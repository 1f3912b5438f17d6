#include "text_line.h"

#include "tp_port.h"

namespace mcu {

TextLine& TextLine::str(const char* s) {
  while (*s != '\0' && len_ + 1 < sizeof buf_) buf_[len_++] = *s++;
  return *this;
}

TextLine& TextLine::u64(uint64_t v) {
  char digits[21];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10u);
    v /= 10u;
  } while (v != 0u);
  while (n > 0 && len_ + 1 < sizeof buf_) buf_[len_++] = digits[--n];
  return *this;
}

TextLine& TextLine::i64(int64_t v) {
  if (v < 0) {
    str("-");
    return u64(static_cast<uint64_t>(-(v + 1)) + 1u);
  }
  return u64(static_cast<uint64_t>(v));
}

TextLine& TextLine::fixed(double v, int decimals) {
  if (v != v) return str("nan");
  if (v < 0.0) {
    str("-");
    v = -v;
  }
  uint64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10u;
  const uint64_t scaled = static_cast<uint64_t>(v * static_cast<double>(scale) + 0.5);
  u64(scaled / scale);
  if (decimals > 0) {
    str(".");
    uint64_t frac = scaled % scale;
    for (uint64_t d = scale / 10u; d > 0; d /= 10u) {
      const char c[2] = {static_cast<char>('0' + frac / d), '\0'};
      str(c);
      frac %= d;
    }
  }
  return *this;
}

TextLine& TextLine::hex64(uint64_t v) {
  str("0x");
  for (int i = 15; i >= 0; --i) {
    const char c[2] = {"0123456789abcdef"[(v >> (4 * i)) & 0xFu], '\0'};
    str(c);
  }
  return *this;
}

void TextLine::print() {
  buf_[len_++] = '\n';
  tp_port_write(buf_, len_);
  len_ = 0;
}

}  // namespace mcu
