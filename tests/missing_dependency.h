// A test that needs something outside the build (a Python package, a dataset, a compiler) skips
// with a message when it is missing, so that a developer's partial machine still runs the rest.
// `make test` sets TINYPROP_REQUIRE_ALL=1 after installing everything: there a missing
// dependency is a failure, so that a green `make test` means that every test really ran.
#pragma once
#include <cstdlib>
#include <cstring>

#include <gtest/gtest.h>

namespace tinyprop::test {

inline bool require_all_dependencies() {
  const char* v = std::getenv("TINYPROP_REQUIRE_ALL");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

}  // namespace tinyprop::test

// Use as a statement of its own: `if (!have_x) { TINYPROP_MISSING_DEPENDENCY("x not installed"); }`
#define TINYPROP_MISSING_DEPENDENCY(message)                                              \
  if (::tinyprop::test::require_all_dependencies())                                       \
    GTEST_FAIL() << message << " (TINYPROP_REQUIRE_ALL=1: make test installs it first)";  \
  else                                                                                    \
    GTEST_SKIP() << message
