// Power-safe checkpoint storage on NOR flash: two or more slots that take turns, each with a
// header that is programmed last, a sequence number and CRC-32s, so that a power cut at any
// moment of a save leaves the last complete checkpoint loadable (docs/CHECKPOINTS.md).
//
// The flash is the caller's: FlashDevice describes its geometry and three callbacks with the
// rules of NOR flash. Erasing a sector sets every byte to 0xFF; programming can only clear bits
// (the store never programs a byte twice between erases); programs start on a multiple of the
// write unit and cover whole units. No heap; a FlashStore is about 100 bytes.
#pragma once
#include <stdint.h>

#include "tinyprop/checkpoint.h"

namespace tinyprop {

struct FlashDevice {
  void* context = nullptr;
  uint32_t size = 0;         // bytes of the region the store may use, from address 0
  uint32_t sector_size = 0;  // erase unit in bytes
  uint32_t write_unit = 0;   // program unit: 1, 2, 4, 8, 16 or 32 bytes
  // Each returns false on failure (a store operation then fails with kIo).
  bool (*read)(void* context, uint32_t address, uint8_t* data, uint32_t n) = nullptr;
  bool (*erase)(void* context, uint32_t sector_address) = nullptr;  // one sector -> 0xFF
  bool (*program)(void* context, uint32_t address, const uint8_t* data, uint32_t n) = nullptr;
};

// Slot header, the first kFlashSlotHeaderBytes of a slot (little-endian):
//   u32 magic "TPSL", u32 sequence, u32 payload bytes, u32 payload CRC-32, u32 mode (0 full,
//   1 weights-only), u32 reserved (0xFFFFFFFF), u32 reserved (0xFFFFFFFF), u32 CRC-32 of bytes 0-27.
// The checkpoint (the payload) follows at offset kFlashSlotHeaderBytes.
inline constexpr uint32_t kFlashSlotHeaderBytes = 32;
inline constexpr uint32_t kFlashMaxSlots = 4;

struct FlashSlotState {
  bool valid = false;     // header and payload CRCs hold
  uint32_t sequence = 0;  // higher = newer
  uint32_t payload_bytes = 0;
  CheckpointMode mode = CheckpointMode::kFull;
};

class FlashStore {
 public:
  // Splits the device into n_slots (2..kFlashMaxSlots) slots of equal whole sectors and scans
  // them. kInvalidArgument for an unusable geometry (why = kBadLayout) or callbacks missing.
  Status init(const FlashDevice& device, uint32_t n_slots, CheckpointError* why = nullptr);
  // Checkpoint bytes one slot holds.
  uint32_t slot_capacity() const { return slot_bytes_ - kFlashSlotHeaderBytes; }
  uint32_t slot_count() const { return n_slots_; }
  const FlashSlotState& slot(uint32_t i) const { return slots_[i]; }
  // First byte of slot i on the device; its checkpoint starts kFlashSlotHeaderBytes later.
  uint32_t slot_address(uint32_t i) const { return i * slot_bytes_; }

  // Saves a checkpoint into the oldest (or an invalid) slot, never over the newest valid one:
  // erase, program the checkpoint, verify it, then program and verify the header. save() writes
  // the full state if it fits a slot, else weights-only (why = kDoesNotFit when neither fits);
  // *used (may be null) receives the mode written. save_mode() writes the mode given.
  Status save(const Trainer& trainer, uint64_t position, CheckpointMode* used = nullptr,
              CheckpointError* why = nullptr);
  Status save_mode(const Trainer& trainer, CheckpointMode mode, uint64_t position,
                   CheckpointError* why = nullptr);
  // Restores the newest slot that validates and belongs to this trainer; falls back to older
  // slots. why = kNoCheckpoint when no slot holds a usable checkpoint (trainer unchanged).
  Status load(Trainer& trainer, CheckpointInfo* info = nullptr, CheckpointError* why = nullptr);
  // Re-reads every slot header and payload CRC (init does this).
  Status scan();

 private:
  bool scan_slot(uint32_t i);

  FlashDevice dev_;
  uint32_t n_slots_ = 0;
  uint32_t slot_bytes_ = 0;
  FlashSlotState slots_[kFlashMaxSlots];
};

}  // namespace tinyprop
