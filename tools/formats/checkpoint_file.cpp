#include "formats/checkpoint_file.h"

#include "util/atomic_file.h"
#include "data/file_bytes.h"
#include "util/error.h"

namespace tinyprop::host {
namespace {

constexpr uint64_t kMaxCheckpointFileBytes = 1ull << 31;

bool image_read(void* ctx, uint32_t address, uint8_t* data, uint32_t n) {
  const std::vector<uint8_t>& image = *static_cast<const std::vector<uint8_t>*>(ctx);
  if (address > image.size() || n > image.size() - address) return false;
  for (uint32_t i = 0; i < n; ++i) data[i] = image[address + i];
  return true;
}
bool read_only(void*, uint32_t) { return false; }
bool read_only_program(void*, uint32_t, const uint8_t*, uint32_t) { return false; }

bool has_checkpoint_magic(const std::vector<uint8_t>& b) {
  return b.size() >= 4 && b[0] == 'T' && b[1] == 'P' && b[2] == 'C' && b[3] == 'K';
}

CheckpointBytes from_flash_image(const std::string& path, std::vector<uint8_t> image) {
  if (image.size() > 0xFFFFFFFFull) throw Error(path + ": flash image larger than 4 GB");
  FlashDevice dev;
  dev.context = &image;
  dev.size = static_cast<uint32_t>(image.size());
  dev.sector_size = kDeviceFlashSector;
  dev.write_unit = 1;
  dev.read = image_read;
  dev.erase = read_only;
  dev.program = read_only_program;
  FlashStore store;
  CheckpointError why = CheckpointError::kNone;
  if (!ok(store.init(dev, kDeviceFlashSlots, &why))) {
    throw Error(path + ": neither a checkpoint nor a flash image of two 4 KB-sector slots (" +
                checkpoint_error_name(why) + ")");
  }
  CheckpointBytes out;
  int newest = -1;
  for (uint32_t i = 0; i < store.slot_count(); ++i) {
    FlashSlotSummary s;
    s.index = i;
    s.state = store.slot(i);
    if (s.state.valid) {
      const uint32_t at = store.slot_address(i) + kFlashSlotHeaderBytes;
      if (!ok(checkpoint_inspect_buffer(image.data() + at, s.state.payload_bytes, &s.info))) {
        s.state.valid = false;
      } else if (newest < 0 || s.state.sequence > out.slots[static_cast<size_t>(newest)].state.sequence) {
        newest = static_cast<int>(i);
      }
    }
    out.slots.push_back(s);
  }
  if (newest < 0) throw Error(path + ": flash image holds no valid checkpoint");
  const FlashSlotSummary& best = out.slots[static_cast<size_t>(newest)];
  const uint32_t at = store.slot_address(best.index) + kFlashSlotHeaderBytes;
  out.bytes.assign(image.begin() + at, image.begin() + at + best.state.payload_bytes);
  out.info = best.info;
  out.origin = "flash image slot " + std::to_string(best.index) + " (sequence " +
               std::to_string(best.state.sequence) + ")";
  return out;
}

}  // namespace

CheckpointBytes read_checkpoint(const std::string& path) {
  std::vector<uint8_t> bytes = read_file_bytes(path, kMaxCheckpointFileBytes);
  if (!has_checkpoint_magic(bytes)) return from_flash_image(path, std::move(bytes));
  CheckpointBytes out;
  CheckpointError why = CheckpointError::kNone;
  if (!ok(checkpoint_inspect_buffer(bytes.data(), bytes.size(), &out.info, &why))) {
    throw Error(path + ": " + checkpoint_error_name(why));
  }
  if (out.info.total_bytes != bytes.size()) {
    throw Error(path + ": " + std::to_string(bytes.size() - out.info.total_bytes) +
                " bytes after the checkpoint");
  }
  out.bytes = std::move(bytes);
  out.origin = "checkpoint file";
  return out;
}

void write_checkpoint(const std::string& path, const Trainer& trainer, uint64_t position) {
  std::vector<uint8_t> bytes(checkpoint_size(trainer, CheckpointMode::kFull));
  CheckpointError why = CheckpointError::kNone;
  if (!ok(checkpoint_save(trainer, CheckpointMode::kFull, position, bytes.data(), bytes.size(),
                          nullptr, &why))) {
    throw Error(path + ": cannot make a checkpoint: " + checkpoint_error_name(why));
  }
  write_file_atomic(path, bytes);
}

CheckpointInfo restore_checkpoint(Trainer& trainer, const CheckpointBytes& ck,
                                  const std::string& what) {
  CheckpointInfo info;
  CheckpointError why = CheckpointError::kNone;
  if (!ok(checkpoint_restore(trainer, ck.bytes.data(), ck.bytes.size(), &info, &why))) {
    std::string hint;
    if (why == CheckpointError::kConfigMismatch) {
      hint = " (resume with the same --method, --optimizer, --momentum, --batch and sparsity flags)";
    } else if (why == CheckpointError::kModelMismatch || why == CheckpointError::kFrozenMismatch) {
      hint = " (resume from the --model-in the run started with)";
    }
    throw Error(what + ": " + checkpoint_error_name(why) + hint);
  }
  return info;
}

}  // namespace tinyprop::host
