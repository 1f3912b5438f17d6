// Fuzz target "checkpoint": a checkpoint file or a device's flash image through
// host::read_checkpoint, then the core's validated restore into a fixed trainer
// (checkpoint_fixture.h). Properties:
//   * read_checkpoint returns one CRC-checked checkpoint of exactly its header's size, or throws
//     a one-line host::Error naming the file;
//   * a restore that is refused leaves the trainer's whole state unchanged, bit for bit;
//   * a full checkpoint that restores is the trainer's state: saved again at its position it
//     gives back exactly the same bytes; a weights-only one gives back its parameters.
// Every input that starts like a checkpoint is tried once more with its size field and CRC made
// to match (a mutated checkpoint almost never keeps a valid CRC).
#include <algorithm>

#include "formats/checkpoint_file.h"
#include "checkpoint_fixture.h"
#include "fuzz_common.h"
#include "tinyprop/crc32.h"

namespace {

using namespace tinyprop;

constexpr uint32_t kTotalOffset = 12, kCrcBytes = 4;

std::vector<uint8_t> state_of(const Trainer& t, CheckpointMode mode, uint64_t position) {
  std::vector<uint8_t> b(checkpoint_size(t, mode));
  FUZZ_REQUIRE(ok(checkpoint_save(t, mode, position, b.data(), b.size(), nullptr)));
  return b;
}

std::vector<uint8_t> with_valid_size_and_crc(std::vector<uint8_t> b) {
  const uint32_t size = static_cast<uint32_t>(b.size());
  for (uint32_t i = 0; i < 4; ++i) b[kTotalOffset + i] = static_cast<uint8_t>(size >> (8 * i));
  const uint32_t crc = crc32_update(0, b.data(), b.size() - kCrcBytes);
  for (uint32_t i = 0; i < 4; ++i) b[b.size() - kCrcBytes + i] = static_cast<uint8_t>(crc >> (8 * i));
  return b;
}

void check_checkpoint_file(const std::vector<uint8_t>& bytes) {
  const std::string path = fuzz::ScratchDir::get().write("fuzz.ck", bytes);
  host::CheckpointBytes ck;
  try {
    ck = host::read_checkpoint(path);
  } catch (const host::Error& e) {
    fuzz::require_clear_error(e, path);
    return;
  }
  FUZZ_REQUIRE(ck.bytes.size() == ck.info.total_bytes && ck.bytes.size() <= bytes.size());
  FUZZ_REQUIRE(ok(checkpoint_inspect_buffer(ck.bytes.data(), ck.bytes.size(), nullptr)));

  static std::unique_ptr<host::Session> session = fuzz::checkpoint_fixture(5);
  Trainer& t = session->trainer();
  const std::vector<uint8_t> before = state_of(t, CheckpointMode::kFull, 0);
  CheckpointInfo info;
  CheckpointError why = CheckpointError::kNone;
  if (!ok(checkpoint_restore(t, ck.bytes.data(), ck.bytes.size(), &info, &why))) {
    FUZZ_REQUIRE_MSG(state_of(t, CheckpointMode::kFull, 0) == before, checkpoint_error_name(why));
    fuzz::outcome(std::string("not restored: ") + checkpoint_error_name(why));
    return;
  }
  if (info.full()) {
    FUZZ_REQUIRE(state_of(t, CheckpointMode::kFull, info.position) == ck.bytes);
  } else {  // the same parameters (and so the same parameter section)
    const std::vector<uint8_t> w = state_of(t, CheckpointMode::kWeightsOnly, info.position);
    const size_t from = kCheckpointHeaderBytes + 4u * info.trainable_layers;
    const size_t to = from + 4u * static_cast<size_t>(info.trainable_params);
    FUZZ_REQUIRE(w.size() == ck.bytes.size() && to <= w.size());
    FUZZ_REQUIRE(std::equal(w.begin() + static_cast<long>(from), w.begin() + static_cast<long>(to),
                            ck.bytes.begin() + static_cast<long>(from)));
  }
  // Back to the baseline for the next input.
  FUZZ_REQUIRE(ok(checkpoint_restore(t, before.data(), before.size())));
  fuzz::outcome(info.full() ? "restored (full)" : "restored (weights only)");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  check_checkpoint_file(bytes);
  if (size >= kCheckpointHeaderBytes + kCrcBytes && memcmp(data, "TPCK", 4) == 0 &&
      size <= 0xFFFFFFFFu) {
    const std::vector<uint8_t> fixed = with_valid_size_and_crc(bytes);
    if (fixed != bytes) check_checkpoint_file(fixed);
  }
  return 0;
}
