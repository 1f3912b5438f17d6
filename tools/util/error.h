// Host-tool errors: one exception type whose message is the one-line text the user sees.
#pragma once
#include <stdexcept>
#include <string>

namespace tinyprop::host {

struct Error : std::runtime_error {
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace tinyprop::host
