// A NOR flash stand-in for the QEMU boards: a host file reached through semihosting (tp_port),
// behind the core's FlashDevice interface, so the firmware's checkpoints survive QEMU being
// killed and restarted on the same file. It keeps the NOR rules: an erase writes 0xFF over a
// sector, a program ANDs the new bytes into the old ones (bits are only cleared), programs are
// whole write units. Optionally the power is "cut" after a number of programmed bytes: the
// firmware then stops at once (exit status 5), half-way through a save.
#pragma once
#include <stdint.h>

#include "tinyprop/flash_store.h"

namespace mcu {

inline constexpr uint32_t kFlashSector = 4096;  // erase unit of the stand-in
inline constexpr uint32_t kFlashWriteUnit = 32; // program unit of the stand-in
inline constexpr int kExitPowerCut = 5;

class FileFlash {
 public:
  // Opens path (creating it erased, size bytes of 0xFF, when missing or shorter). False on error.
  bool open(const char* path, uint32_t size);
  // Stops the program (exit kExitPowerCut) once this many more bytes were programmed.
  void cut_after(uint64_t bytes) {
    cut_armed_ = true;
    budget_ = bytes;
  }
  tinyprop::FlashDevice device();

 private:
  static bool read(void* self, uint32_t address, uint8_t* data, uint32_t n);
  static bool erase(void* self, uint32_t address);
  static bool program(void* self, uint32_t address, const uint8_t* data, uint32_t n);

  int handle_ = -1;
  uint32_t size_ = 0;
  bool cut_armed_ = false;
  uint64_t budget_ = 0;
};

}  // namespace mcu
