#include "tinyprop/flash_store.h"

#include "tinyprop/crc32.h"

namespace tinyprop {
namespace {

constexpr uint32_t kSlotMagic = 0x4C535054u;  // "TPSL" little-endian
constexpr uint32_t kHeaderCrcOffset = 28;

uint32_t get_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

Status failed(CheckpointError e, CheckpointError* why, Status s = Status::kInvalidArgument) {
  if (why != nullptr) *why = e;
  return s;
}

bool is_power_of_two(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Programs a byte stream in whole write units, padding the last unit with 0xFF (erased bytes
// stay erased), and keeps the CRC-32 of the bytes given.
struct UnitProgrammer {
  const FlashDevice* dev;
  uint32_t address;  // next unit's address
  uint8_t unit[32];
  uint32_t fill = 0;
  uint32_t crc = 0;
  uint32_t bytes = 0;
  bool ok = true;

  void push(const uint8_t* data, uint32_t n) {
    crc = crc32_update(crc, data, n);
    bytes += n;
    for (uint32_t i = 0; i < n; ++i) {
      unit[fill++] = data[i];
      if (fill == dev->write_unit) flush_unit();
    }
  }
  void flush_unit() {
    if (fill == 0) return;
    for (uint32_t i = fill; i < dev->write_unit; ++i) unit[i] = 0xFF;
    if (ok) ok = dev->program(dev->context, address, unit, dev->write_unit);
    address += dev->write_unit;
    fill = 0;
  }
};

bool program_sink(void* ctx, const uint8_t* data, uint32_t n) {
  UnitProgrammer* p = static_cast<UnitProgrammer*>(ctx);
  p->push(data, n);
  return p->ok;
}

// The slot's payload as a checkpoint source.
struct SlotSource {
  const FlashDevice* dev;
  uint32_t base;
};
bool slot_read(void* ctx, uint32_t offset, uint8_t* data, uint32_t n) {
  const SlotSource* s = static_cast<const SlotSource*>(ctx);
  return s->dev->read(s->dev->context, s->base + offset, data, n);
}

// CRC-32 of n bytes of flash at address (false when a read fails).
bool flash_crc(const FlashDevice& dev, uint32_t address, uint32_t n, uint32_t* crc) {
  uint8_t chunk[64];
  uint32_t c = 0;
  for (uint32_t at = 0; at < n;) {
    const uint32_t k = n - at < sizeof chunk ? n - at : static_cast<uint32_t>(sizeof chunk);
    if (!dev.read(dev.context, address + at, chunk, k)) return false;
    c = crc32_update(c, chunk, k);
    at += k;
  }
  *crc = c;
  return true;
}

}  // namespace

Status FlashStore::init(const FlashDevice& device, uint32_t n_slots, CheckpointError* why) {
  n_slots_ = 0;
  if (device.read == nullptr || device.erase == nullptr || device.program == nullptr) {
    return failed(CheckpointError::kIo, why);
  }
  if (n_slots < 2 || n_slots > kFlashMaxSlots || !is_power_of_two(device.write_unit) ||
      device.write_unit > 32 || device.sector_size == 0 ||
      device.sector_size % device.write_unit != 0) {
    return failed(CheckpointError::kBadLayout, why);
  }
  const uint32_t sectors_per_slot = device.size / device.sector_size / n_slots;
  if (sectors_per_slot == 0 ||
      sectors_per_slot * device.sector_size <= kFlashSlotHeaderBytes + kCheckpointHeaderBytes) {
    return failed(CheckpointError::kBadLayout, why);
  }
  dev_ = device;
  n_slots_ = n_slots;
  slot_bytes_ = sectors_per_slot * device.sector_size;
  if (why != nullptr) *why = CheckpointError::kNone;
  return scan();
}

bool FlashStore::scan_slot(uint32_t i) {
  FlashSlotState& s = slots_[i];
  s = FlashSlotState{};
  uint8_t h[kFlashSlotHeaderBytes];
  if (!dev_.read(dev_.context, slot_address(i), h, kFlashSlotHeaderBytes)) return false;
  if (get_u32(h) != kSlotMagic || get_u32(h + kHeaderCrcOffset) != crc32_update(0, h, kHeaderCrcOffset)) {
    return true;  // erased, half-written or damaged header: an empty slot
  }
  const uint32_t length = get_u32(h + 8), mode = get_u32(h + 16);
  uint32_t crc = 0;
  if (length > slot_capacity() || mode > 1) return true;
  if (!flash_crc(dev_, slot_address(i) + kFlashSlotHeaderBytes, length, &crc)) return false;
  if (crc != get_u32(h + 12)) return true;
  s.valid = true;
  s.sequence = get_u32(h + 4);
  s.payload_bytes = length;
  s.mode = mode == 0 ? CheckpointMode::kFull : CheckpointMode::kWeightsOnly;
  return true;
}

Status FlashStore::scan() {
  if (n_slots_ == 0) return Status::kNotBound;
  bool io = true;
  for (uint32_t i = 0; i < n_slots_; ++i) io = scan_slot(i) && io;
  return io ? Status::kOk : Status::kInvalidArgument;
}

Status FlashStore::save(const Trainer& trainer, uint64_t position, CheckpointMode* used,
                        CheckpointError* why) {
  CheckpointMode mode = CheckpointMode::kFull;
  if (checkpoint_size(trainer, mode) > slot_capacity()) mode = CheckpointMode::kWeightsOnly;
  if (used != nullptr) *used = mode;
  return save_mode(trainer, mode, position, why);
}

Status FlashStore::save_mode(const Trainer& trainer, CheckpointMode mode, uint64_t position,
                             CheckpointError* why) {
  if (why != nullptr) *why = CheckpointError::kNone;
  if (n_slots_ == 0) return failed(CheckpointError::kNotBound, why, Status::kNotBound);
  // A diverged state is refused before anything is erased: the slots keep what they hold.
  const Status state = checkpoint_check_state(trainer, why);
  if (!ok(state)) return state;
  const uint32_t size = checkpoint_size(trainer, mode);
  if (size > slot_capacity()) return failed(CheckpointError::kDoesNotFit, why);

  // Target: an invalid slot if there is one, else the oldest; never the newest valid slot.
  uint32_t target = 0, newest_seq = 0;
  bool any_valid = false, target_invalid = false;
  for (uint32_t i = 0; i < n_slots_; ++i) {
    const FlashSlotState& s = slots_[i];
    if (s.valid && (!any_valid || s.sequence > newest_seq)) newest_seq = s.sequence;
    any_valid = any_valid || s.valid;
  }
  for (uint32_t i = 0; i < n_slots_; ++i) {
    const FlashSlotState& s = slots_[i];
    if (!s.valid) {
      if (!target_invalid) target = i;
      target_invalid = true;
    } else if (!target_invalid && s.sequence < slots_[target].sequence) {
      target = i;
    }
  }
  const uint32_t base = slot_address(target);
  slots_[target] = FlashSlotState{};  // whatever happens now, its old content is gone

  // 1. Erase the sectors the checkpoint will cover, header sector first: from its first erase
  // on, the slot no longer validates. Sectors beyond keep stale bytes nobody reads.
  const uint32_t span = kFlashSlotHeaderBytes + size;
  for (uint32_t at = 0; at < span; at += dev_.sector_size) {
    if (!dev_.erase(dev_.context, base + at)) return failed(CheckpointError::kIo, why);
  }
  // 2. The checkpoint, streamed in write units behind the header area.
  UnitProgrammer prog{&dev_, base + kFlashSlotHeaderBytes, {}, 0, 0, 0, true};
  CheckpointSink sink;
  sink.context = &prog;
  sink.write = program_sink;
  CheckpointError ck = CheckpointError::kNone;
  Status s = checkpoint_write(trainer, mode, position, sink, &ck);
  prog.flush_unit();
  if (!ok(s) || !prog.ok) return failed(ok(s) ? CheckpointError::kIo : ck, why);
  // 3. Verify what the flash holds before declaring it a checkpoint.
  uint32_t crc = 0;
  if (!flash_crc(dev_, base + kFlashSlotHeaderBytes, prog.bytes, &crc) || crc != prog.crc) {
    return failed(CheckpointError::kIo, why);
  }
  // 4. The header, last: until its final unit is programmed its CRC does not hold.
  uint8_t h[kFlashSlotHeaderBytes];
  put_u32(h, kSlotMagic);
  put_u32(h + 4, any_valid ? newest_seq + 1 : 1);
  put_u32(h + 8, prog.bytes);
  put_u32(h + 12, prog.crc);
  put_u32(h + 16, mode == CheckpointMode::kFull ? 0u : 1u);
  put_u32(h + 20, 0xFFFFFFFFu);
  put_u32(h + 24, 0xFFFFFFFFu);
  put_u32(h + kHeaderCrcOffset, crc32_update(0, h, kHeaderCrcOffset));
  for (uint32_t at = 0; at < kFlashSlotHeaderBytes; at += dev_.write_unit) {
    if (!dev_.program(dev_.context, base + at, h + at, dev_.write_unit)) {
      return failed(CheckpointError::kIo, why);
    }
  }
  if (!scan_slot(target) || !slots_[target].valid) return failed(CheckpointError::kIo, why);
  return Status::kOk;
}

Status FlashStore::load(Trainer& trainer, CheckpointInfo* info, CheckpointError* why) {
  if (why != nullptr) *why = CheckpointError::kNone;
  if (n_slots_ == 0) return failed(CheckpointError::kNotBound, why, Status::kNotBound);
  bool tried[kFlashMaxSlots] = {};
  CheckpointError last = CheckpointError::kNoCheckpoint;
  // Newest first; a slot that does not restore (e.g. another model) yields to the next older.
  for (uint32_t round = 0; round < n_slots_; ++round) {
    int best = -1;
    for (uint32_t i = 0; i < n_slots_; ++i) {
      if (!slots_[i].valid || tried[i]) continue;
      if (best < 0 || slots_[i].sequence > slots_[best].sequence) best = static_cast<int>(i);
    }
    if (best < 0) break;
    const uint32_t i = static_cast<uint32_t>(best);
    tried[i] = true;
    SlotSource src{&dev_, slot_address(i) + kFlashSlotHeaderBytes};
    CheckpointSource source;
    source.context = &src;
    source.read = slot_read;
    CheckpointError ck = CheckpointError::kNone;
    if (ok(checkpoint_read(trainer, source, slots_[i].payload_bytes, info, &ck))) {
      return Status::kOk;
    }
    last = ck;
  }
  return failed(last, why);
}

}  // namespace tinyprop
