// Fuzz target "spec_text": model spec text ("mlp:784-128-10", "cnn:28x28x1-c8k3-m2-d10:tanh")
// through host::parse_model_spec, as given to --model.
// Properties:
//   * a refusal is a one-line host::Error quoting the text (several lines only if the text has);
//   * a spec that parses is valid, counts its parameters without wrap-around, plans, and when
//     small binds and runs (model_checks.h);
//   * its description (describe_model_spec) parses back to the same spec, bit for bit, and
//     describes back to the same text.
#include "model_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tinyprop;
  const std::string text(reinterpret_cast<const char*>(data), size);
  ModelSpec spec;
  try {
    spec = host::parse_model_spec(text);
  } catch (const host::Error& e) {
    // The message quotes the text; a NUL byte would end it early on a terminal, so the check
    // compares up to the first NUL.
    fuzz::require_clear_error(e, text.substr(0, text.find('\0')));
    return 0;
  }
  fuzz::check_valid_spec(spec, nullptr);
  const std::string described = host::describe_model_spec(spec);
  ModelSpec again;
  try {
    again = host::parse_model_spec(described);
  } catch (const host::Error& e) {
    FUZZ_REQUIRE_MSG(false, "'" + text + "' describes as '" + described + "', which is refused: " +
                                e.what());
  }
  FUZZ_REQUIRE_MSG(host::same_model_spec(spec, again), "'" + text + "' -> '" + described + "'");
  FUZZ_REQUIRE(host::describe_model_spec(again) == described);
  fuzz::outcome("accepted");
  return 0;
}
