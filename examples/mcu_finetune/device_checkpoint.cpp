#include "device_checkpoint.h"

#include "flash_file.h"
#include "tinyprop/checkpoint.h"
#include "tinyprop/flash_store.h"
#include "tp_port.h"

using namespace tinyprop;

namespace mcu {
namespace {

FileFlash g_flash;
FlashStore g_store;
bool g_store_open = false;
constexpr int kExitData = 3;

// A host file as a checkpoint source.
bool file_read(void* ctx, uint32_t offset, uint8_t* data, uint32_t n) {
  const int h = *static_cast<int*>(ctx);
  return tp_port_seek(h, offset) == 0 && tp_port_read(h, data, n) == static_cast<long>(n);
}

const char* mode_name(bool full) { return full ? "full" : "weights"; }

void print_resumed(const char* from, const CheckpointInfo& info, TextLine& line) {
  line.str("resumed").key("from").str(from).key("position").u64(info.position)
      .key("steps").u64(info.optimizer_steps).key("mode").str(mode_name(info.full()));
  line.print();
}

int restore_from_file(const char* path, Trainer& trainer, uint64_t* position, TextLine& line) {
  int handle = tp_port_open(path);
  if (handle < 0) {
    line.str("mcu_finetune: cannot open checkpoint ").str(path).print();
    return kExitData;
  }
  CheckpointSource src;
  src.context = &handle;
  src.read = file_read;
  uint8_t head[16];  // the total size is the u32 at offset 12 of the header
  CheckpointError why = CheckpointError::kTruncated;
  CheckpointInfo info;
  bool restored = false;
  if (file_read(&handle, 0, head, sizeof head)) {
    const uint32_t total = static_cast<uint32_t>(head[12]) | (static_cast<uint32_t>(head[13]) << 8) |
                           (static_cast<uint32_t>(head[14]) << 16) |
                           (static_cast<uint32_t>(head[15]) << 24);
    restored = ok(checkpoint_read(trainer, src, total, &info, &why));
  }
  tp_port_close(handle);
  if (!restored) {
    line.str("mcu_finetune: checkpoint ").str(path).str(": ").str(checkpoint_error_name(why)).print();
    return kExitCheckpoint;
  }
  *position = info.position;
  print_resumed("file", info, line);
  return 0;
}

}  // namespace

int restore_training(const CheckpointOptions& o, Trainer& trainer, uint64_t* position,
                     TextLine& line) {
  *position = 0;
  if (o.flash != nullptr) {
    if (!g_flash.open(o.flash, o.flash_bytes)) {
      line.str("mcu_finetune: cannot open the flash file ").str(o.flash).print();
      return kExitData;
    }
    if (o.cut_after_bytes > 0) g_flash.cut_after(o.cut_after_bytes);
    CheckpointError why = CheckpointError::kNone;
    if (!ok(g_store.init(g_flash.device(), 2, &why))) {
      line.str("mcu_finetune: flash store: ").str(checkpoint_error_name(why)).print();
      return kExitCheckpoint;
    }
    g_store_open = true;
  }
  if (o.resume_from != nullptr) return restore_from_file(o.resume_from, trainer, position, line);
  if (!g_store_open) return 0;
  CheckpointInfo info;
  CheckpointError why = CheckpointError::kNone;
  if (ok(g_store.load(trainer, &info, &why))) {
    *position = info.position;
    print_resumed("flash", info, line);
  } else if (why != CheckpointError::kNoCheckpoint) {
    // Slots that belong to another model or configuration: start afresh, overwrite them later.
    line.str("mcu_finetune: flash checkpoint not used: ").str(checkpoint_error_name(why)).print();
  }
  return 0;
}

bool save_training(const Trainer& trainer, uint64_t position, TextLine& line) {
  if (!g_store_open) return false;
  CheckpointMode mode = CheckpointMode::kFull;
  CheckpointError why = CheckpointError::kNone;
  if (!ok(g_store.save(trainer, position, &mode, &why))) {
    line.str("mcu_finetune: checkpoint save failed: ").str(checkpoint_error_name(why)).print();
    return false;
  }
  uint32_t sequence = 0;
  for (uint32_t i = 0; i < g_store.slot_count(); ++i) {
    if (g_store.slot(i).valid && g_store.slot(i).sequence > sequence) sequence = g_store.slot(i).sequence;
  }
  line.str("checkpoint").key("position").u64(position)
      .key("mode").str(mode_name(mode == CheckpointMode::kFull))
      .key("bytes").u64(checkpoint_size(trainer, mode)).key("sequence").u64(sequence);
  line.print();
  return true;
}

}  // namespace mcu
