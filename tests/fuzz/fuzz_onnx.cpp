// Fuzz target "onnx": an ONNX model file through host::import_onnx, as `tinyprop import` reads it
// (protobuf parsing by Debian's libprotobuf, then the chain and operator checks).
// Properties:
//   * a refusal is a one-line host::Error naming the file;
//   * a model that imports has a valid spec whose parameter count matches its parameters, plans,
//     and when small binds and runs a forward pass (model_checks.h);
//   * its ONNX export imports back to the same spec and parameters, bit for bit, and exports
//     again to the same bytes.
#include <string.h>

#include "formats/onnx_model.h"
#include "model_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tinyprop;
  const std::string name = "fuzz.onnx";
  const std::vector<uint8_t> bytes(data, data + size);
  host::OnnxImport im;
  try {
    im = host::import_onnx(bytes, name, {});
  } catch (const host::Error& e) {
    fuzz::require_clear_error(e, name);
    return 0;
  }
  fuzz::check_valid_spec(im.file.spec, &im.file.params);
  const std::vector<uint8_t> exported = host::encode_onnx(im.file);
  const host::OnnxImport back = host::import_onnx(exported, name, {});
  FUZZ_REQUIRE(host::same_model_spec(back.file.spec, im.file.spec));
  FUZZ_REQUIRE(back.file.params.size() == im.file.params.size());
  FUZZ_REQUIRE(im.file.params.empty() ||
               memcmp(back.file.params.data(), im.file.params.data(), 4 * im.file.params.size()) == 0);
  FUZZ_REQUIRE(host::encode_onnx(back.file) == exported);
  fuzz::outcome("accepted");
  return 0;
}
