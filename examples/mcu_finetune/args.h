// Command-line parsing for the firmware, without the C library's strtod (newlib's allocates).
#pragma once
#include <stdint.h>

namespace mcu {

// Decimal number such as "0.01", "5e-4", "-2", "1.5E3" into *out. Exact (one correctly rounded
// double operation, then rounding to float) for up to 15 significant digits and |exponent| <= 22,
// which covers every value a command line gives. Returns false on anything else.
bool parse_float(const char* s, float* out);
// Unsigned decimal integer (no sign, no spaces) into *out, false on overflow or junk.
bool parse_u32(const char* s, uint32_t* out);
bool equal(const char* a, const char* b);

}  // namespace mcu
