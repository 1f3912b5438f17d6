// A fixed-size text line for the console, with just the number formats the firmware prints.
// newlib's printf needs the heap (its float formatting allocates), so the firmware formats its
// own output; the host build uses the same code, so both print the same text.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace mcu {

class TextLine {
 public:
  TextLine& str(const char* s);
  TextLine& u64(uint64_t v);
  TextLine& i64(int64_t v);
  // v with `decimals` digits after the point, rounded half away from zero (|v| < 9e18).
  TextLine& fixed(double v, int decimals);
  TextLine& hex64(uint64_t v);  // 0x followed by 16 hex digits
  TextLine& key(const char* k) { return str(" ").str(k).str("="); }
  // Writes the line and a newline to the console, then clears it.
  void print();

 private:
  char buf_[512];
  size_t len_ = 0;
};

}  // namespace mcu
