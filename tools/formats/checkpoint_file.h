// Checkpoint files on the host: the core's checkpoint bytes as a file (what
// `tinyprop finetune --checkpoint-out` writes and the firmware's --resume-from reads), or a
// device's flash image (the firmware's --flash file: a two-slot FlashStore of whole 4 KB
// sectors), from which the newest valid slot is taken. docs/CHECKPOINTS.md has the layouts.
#pragma once
#include <stdint.h>

#include <string>
#include <vector>

#include "tinyprop/checkpoint.h"
#include "tinyprop/flash_store.h"

namespace tinyprop::host {

// The flash geometry of the firmware's flash stand-in (examples/mcu_finetune/flash_file.h).
inline constexpr uint32_t kDeviceFlashSector = 4096;
inline constexpr uint32_t kDeviceFlashSlots = 2;

struct FlashSlotSummary {
  uint32_t index = 0;
  FlashSlotState state;
  CheckpointInfo info;  // valid when state.valid
};

struct CheckpointBytes {
  std::vector<uint8_t> bytes;  // exactly one checkpoint, CRC-checked
  CheckpointInfo info;
  std::string origin;  // "checkpoint file" or "flash image slot 1 (sequence 7)"
  std::vector<FlashSlotSummary> slots;  // for a flash image: every slot
};

// Reads a checkpoint file or a flash image (anything not starting with the checkpoint magic).
// Throws host::Error with the path and the reason (damaged, no valid slot, ...).
CheckpointBytes read_checkpoint(const std::string& path);

// The trainer's full checkpoint at `position`, written atomically. Throws host::Error.
void write_checkpoint(const std::string& path, const Trainer& trainer, uint64_t position);

// Restores bytes into the trainer; throws host::Error "<what>: <reason>" when they do not fit it.
CheckpointInfo restore_checkpoint(Trainer& trainer, const CheckpointBytes& ck,
                                  const std::string& what);

}  // namespace tinyprop::host
