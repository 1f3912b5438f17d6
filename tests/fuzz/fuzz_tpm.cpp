// Fuzz target "tpm": a .tpm model file through host::load_model_from_bytes, every check of
// host::load_model (magic, version, size, CRC, layer records, spec, counts) without the disk.
// Properties:
//   * a refusal is a one-line host::Error naming the file;
//   * a model that loads has a valid spec whose parameter count is the sum of its layers' (no
//     wrap-around) and matches its bytes: re-encoded, the file is exactly header + architecture
//     + layer records + 4 bytes per parameter (+ optimizer state) + metadata + CRC long;
//   * it plans, and when small binds and runs a forward pass with its parameters
//     (model_checks.h);
//   * the re-encoded file loads to the same model, bit for bit, and re-encodes to the same bytes.
// Every input is tried as it is and, when it starts like a .tpm file, once more with its size
// field and CRC made to match: a mutated file almost never keeps a valid CRC, so without the
// second try the fuzzer would hardly get past the CRC check to the layer records and counts.
#include <zlib.h>

#include "model_checks.h"
#include "formats/model_file_format.h"

namespace {

using namespace tinyprop;

// The size encode_model must produce for f, from the format's layout (docs/MODEL_FORMAT.md).
uint64_t expected_file_size(const host::ModelFile& f) {
  uint64_t n = host::tpm::kHeaderBytes + host::tpm::kArchitectureBytes;
  for (uint32_t i = 0; i < f.spec.n_layers; ++i) {
    n += host::tpm::kLayerRecordHeadBytes +
         4u * host::tpm::fields_of_kind(static_cast<uint8_t>(f.spec.layers[i].kind));
  }
  n += 4 + 4 * static_cast<uint64_t>(f.params.size());
  if (f.has_optimizer_state) n += 4 + 8 + 4 + 4 * static_cast<uint64_t>(f.optimizer_state.size());
  return n + 4 + f.metadata.size() + host::tpm::kCrcBytes;
}

bool same_floats(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!fuzz::same_bits(a[i], b[i])) return false;
  }
  return true;
}

// The bytes with the header's file size and the trailing CRC32 rewritten to match them.
std::vector<uint8_t> with_valid_size_and_crc(std::vector<uint8_t> b) {
  const uint64_t size = b.size();
  for (size_t i = 0; i < 8; ++i) b[host::tpm::kFileSizeOffset + i] = static_cast<uint8_t>(size >> (8 * i));
  const size_t body = b.size() - host::tpm::kCrcBytes;
  const uint32_t crc = static_cast<uint32_t>(crc32_z(crc32_z(0L, Z_NULL, 0), b.data(), body));
  for (size_t i = 0; i < 4; ++i) b[body + i] = static_cast<uint8_t>(crc >> (8 * i));
  return b;
}

void check_model_bytes(const std::vector<uint8_t>& bytes) {
  const std::string name = "fuzz.tpm";
  host::ModelFile f;
  try {
    f = host::load_model_from_bytes(bytes, name);
  } catch (const host::Error& e) {
    fuzz::require_clear_error(e, name);
    return;
  }
  fuzz::check_valid_spec(f.spec, &f.params);
  FUZZ_REQUIRE(4 * static_cast<uint64_t>(f.params.size()) <= bytes.size());

  const std::vector<uint8_t> encoded = host::encode_model(f, name);
  FUZZ_REQUIRE(encoded.size() == expected_file_size(f) && encoded.size() <= bytes.size());
  const host::ModelFile g = host::load_model_from_bytes(encoded, name);
  FUZZ_REQUIRE(host::same_model_spec(f.spec, g.spec));
  FUZZ_REQUIRE(same_floats(f.params, g.params) && same_floats(f.optimizer_state, g.optimizer_state));
  FUZZ_REQUIRE(f.has_optimizer_state == g.has_optimizer_state && f.optimizer == g.optimizer &&
               f.optimizer_steps == g.optimizer_steps && f.metadata == g.metadata);
  FUZZ_REQUIRE(host::encode_model(g, name) == encoded);
  fuzz::outcome("accepted");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  check_model_bytes(bytes);
  const size_t min_size = host::tpm::kHeaderBytes + host::tpm::kCrcBytes;
  if (size >= min_size && memcmp(data, host::tpm::kMagic, sizeof(host::tpm::kMagic)) == 0) {
    const std::vector<uint8_t> fixed = with_valid_size_and_crc(bytes);
    if (fixed != bytes) check_model_bytes(fixed);
  }
  return 0;
}
