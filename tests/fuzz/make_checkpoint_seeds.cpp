// Writes the seed corpus of the checkpoint fuzz target (tests/fuzz/corpus/checkpoint/) from the
// fixture's trainer: full checkpoints with and without a pending batch, a weights-only one, a
// two-slot flash image as the firmware writes it, and damaged variants.
//   make_checkpoint_seeds OUT_DIR
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "formats/checkpoint_file.h"
#include "checkpoint_fixture.h"
#include "tinyprop/flash_store.h"

namespace {

using namespace tinyprop;

void write(const std::string& dir, const std::string& name, const std::vector<uint8_t>& b) {
  std::ofstream f(dir + "/" + name, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

std::vector<uint8_t> save(const Trainer& t, CheckpointMode mode, uint64_t position) {
  std::vector<uint8_t> b(checkpoint_size(t, mode));
  if (!ok(checkpoint_save(t, mode, position, b.data(), b.size(), nullptr))) b.clear();
  return b;
}

struct RamFlash {
  std::vector<uint8_t> bytes = std::vector<uint8_t>(2 * 4096, 0xFF);
  FlashDevice device() {
    FlashDevice d;
    d.context = this;
    d.size = static_cast<uint32_t>(bytes.size());
    d.sector_size = host::kDeviceFlashSector;
    d.write_unit = 32;
    d.read = [](void* c, uint32_t a, uint8_t* p, uint32_t n) {
      auto& m = static_cast<RamFlash*>(c)->bytes;
      for (uint32_t i = 0; i < n; ++i) p[i] = m[a + i];
      return true;
    };
    d.erase = [](void* c, uint32_t a) {
      auto& m = static_cast<RamFlash*>(c)->bytes;
      for (uint32_t i = 0; i < host::kDeviceFlashSector; ++i) m[a + i] = 0xFF;
      return true;
    };
    d.program = [](void* c, uint32_t a, const uint8_t* p, uint32_t n) {
      auto& m = static_cast<RamFlash*>(c)->bytes;
      for (uint32_t i = 0; i < n; ++i) m[a + i] &= p[i];
      return true;
    };
    return d;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: make_checkpoint_seeds OUT_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  auto even = fuzz::checkpoint_fixture(6);  // 3 batches, none pending
  auto odd = fuzz::checkpoint_fixture(7);   // a pending batch of 1
  write(dir, "seed-full-batch-boundary", save(even->trainer(), CheckpointMode::kFull, 6));
  const std::vector<uint8_t> pending = save(odd->trainer(), CheckpointMode::kFull, 7);
  write(dir, "seed-full-pending-batch", pending);
  write(dir, "seed-weights-only", save(odd->trainer(), CheckpointMode::kWeightsOnly, 7));
  std::vector<uint8_t> damaged = pending;
  damaged[damaged.size() / 2] ^= 0x20;
  write(dir, "seed-crc-mismatch", damaged);
  write(dir, "seed-truncated", std::vector<uint8_t>(pending.begin(), pending.begin() + 100));
  RamFlash flash;
  FlashStore store;
  if (!ok(store.init(flash.device(), 2)) || !ok(store.save(even->trainer(), 6)) ||
      !ok(store.save(odd->trainer(), 7))) {
    fprintf(stderr, "make_checkpoint_seeds: flash store failed\n");
    return 1;
  }
  write(dir, "seed-flash-image", flash.bytes);
  write(dir, "seed-empty", {});
  return 0;
}
