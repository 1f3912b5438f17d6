// A float for JSON and messages: the double with the float's shortest decimal text of up to 7
// significant digits (0.9f -> 0.9, not 0.8999999761), so that output shows the values the user
// typed. Not an exact round trip for every float: to store a float exactly, store
// static_cast<double>(f).
#pragma once
#include <cstdio>
#include <cstdlib>

namespace tinyprop::host {

inline double float_value(float f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", static_cast<double>(f));
  return std::strtod(buf, nullptr);
}

}  // namespace tinyprop::host
