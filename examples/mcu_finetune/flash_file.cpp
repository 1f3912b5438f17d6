#include "flash_file.h"

#include "tp_port.h"

namespace mcu {
namespace {

uint8_t g_erased[256];  // a run of 0xFF bytes for erasing (filled on first use)

bool at(int handle, uint32_t address) { return tp_port_seek(handle, address) == 0; }

}  // namespace

bool FileFlash::open(const char* path, uint32_t size) {
  for (uint8_t& b : g_erased) b = 0xFF;
  int created = 0;
  handle_ = tp_port_open_rw(path, &created);
  if (handle_ < 0) return false;
  size_ = size;
  // A new (or short) file is a blank chip: erase what is missing. An existing file keeps its
  // bytes: that is the point.
  uint8_t probe = 0;
  if (!created && at(handle_, size - 1) && tp_port_read(handle_, &probe, 1) == 1) return true;
  for (uint32_t a = 0; a < size; a += kFlashSector) {
    if (!erase(this, a)) return false;
  }
  return true;
}

tinyprop::FlashDevice FileFlash::device() {
  tinyprop::FlashDevice d;
  d.context = this;
  d.size = size_;
  d.sector_size = kFlashSector;
  d.write_unit = kFlashWriteUnit;
  d.read = read;
  d.erase = erase;
  d.program = program;
  return d;
}

bool FileFlash::read(void* self, uint32_t address, uint8_t* data, uint32_t n) {
  FileFlash* f = static_cast<FileFlash*>(self);
  if (address > f->size_ || n > f->size_ - address || !at(f->handle_, address)) return false;
  return tp_port_read(f->handle_, data, n) == static_cast<long>(n);
}

bool FileFlash::erase(void* self, uint32_t address) {
  FileFlash* f = static_cast<FileFlash*>(self);
  if (address % kFlashSector != 0 || address >= f->size_ || !at(f->handle_, address)) return false;
  for (uint32_t done = 0; done < kFlashSector; done += sizeof g_erased) {
    if (tp_port_write_file(f->handle_, g_erased, sizeof g_erased) != 0) return false;
  }
  return true;
}

bool FileFlash::program(void* self, uint32_t address, const uint8_t* data, uint32_t n) {
  FileFlash* f = static_cast<FileFlash*>(self);
  if (address % kFlashWriteUnit != 0 || n % kFlashWriteUnit != 0 || address > f->size_ ||
      n > f->size_ - address) {
    return false;
  }
  for (uint32_t u = 0; u < n; u += kFlashWriteUnit) {
    uint8_t cell[kFlashWriteUnit];
    if (!read(self, address + u, cell, kFlashWriteUnit)) return false;
    uint32_t keep = kFlashWriteUnit;
    if (f->cut_armed_ && f->budget_ < keep) keep = static_cast<uint32_t>(f->budget_);
    for (uint32_t i = 0; i < keep; ++i) cell[i] &= data[u + i];  // NOR: only clears bits
    if (!at(f->handle_, address + u) || tp_port_write_file(f->handle_, cell, kFlashWriteUnit) != 0) {
      return false;
    }
    if (f->cut_armed_) {
      if (f->budget_ <= kFlashWriteUnit) {
        tp_port_write("power cut\n", 10);
        tp_port_exit(kExitPowerCut);
      }
      f->budget_ -= kFlashWriteUnit;
    }
  }
  return true;
}

}  // namespace mcu
