// A simulated NOR flash for the storage tests: erased = 0xFF, programming only clears bits and
// may not touch a byte twice between erases, programs start on and cover whole write units,
// erases whole sectors. It can cut the power after a given number of programmed bytes (the next
// byte is left half-programmed) or in the middle of a given erase (half the sector erased, the
// rest as it was); after a cut every operation fails until reboot().
#pragma once
#include <stdint.h>

#include <vector>

#include "tinyprop/flash_store.h"

namespace tinyprop_test {

class SimFlash {
 public:
  SimFlash(uint32_t size, uint32_t sector, uint32_t unit)
      : mem_(size, 0xFF), written_(size, false), sector_(sector), unit_(unit) {}

  tinyprop::FlashDevice device() {
    tinyprop::FlashDevice d;
    d.context = this;
    d.size = static_cast<uint32_t>(mem_.size());
    d.sector_size = sector_;
    d.write_unit = unit_;
    d.read = [](void* c, uint32_t a, uint8_t* p, uint32_t n) {
      return static_cast<SimFlash*>(c)->read(a, p, n);
    };
    d.erase = [](void* c, uint32_t a) { return static_cast<SimFlash*>(c)->erase(a); };
    d.program = [](void* c, uint32_t a, const uint8_t* p, uint32_t n) {
      return static_cast<SimFlash*>(c)->program(a, p, n);
    };
    return d;
  }

  // Power fails once `bytes` more bytes have been programmed / during erase number `erases`
  // (0 = the next one). Negative: never.
  void cut_after_programmed(int64_t bytes) { program_budget_ = bytes; }
  void cut_during_erase(int64_t erases) { erase_budget_ = erases; }
  void reboot() {
    dead_ = false;
    program_budget_ = erase_budget_ = -1;
  }
  bool dead() const { return dead_; }
  // A rule of the flash was broken (misaligned program, programming a byte twice, ...).
  bool violated() const { return violated_; }
  uint64_t programmed() const { return programmed_; }
  uint64_t erases() const { return erases_; }
  std::vector<uint8_t>& bytes() { return mem_; }
  // A copy of the whole chip, e.g. to retry a save from the same starting point.
  SimFlash& operator=(const SimFlash&) = default;
  SimFlash(const SimFlash&) = default;

 private:
  bool in_range(uint32_t a, uint32_t n) const { return a <= mem_.size() && n <= mem_.size() - a; }

  bool read(uint32_t a, uint8_t* p, uint32_t n) {
    if (dead_ || !in_range(a, n)) return false;
    for (uint32_t i = 0; i < n; ++i) p[i] = mem_[a + i];
    return true;
  }
  bool erase(uint32_t a) {
    if (a % sector_ != 0 || !in_range(a, sector_)) violated_ = true;
    if (dead_ || violated_) return false;
    ++erases_;
    uint32_t n = sector_;
    if (erase_budget_ == 0) {  // cut: the first half erased, then garbage, then the old bytes
      n = sector_ / 2;
      mem_[a + n] ^= 0x5A;
      dead_ = true;
    }
    if (erase_budget_ > 0) --erase_budget_;
    for (uint32_t i = 0; i < n; ++i) {
      mem_[a + i] = 0xFF;
      written_[a + i] = false;
    }
    return !dead_;
  }
  bool program(uint32_t a, const uint8_t* p, uint32_t n) {
    if (a % unit_ != 0 || n % unit_ != 0 || !in_range(a, n)) violated_ = true;
    if (dead_ || violated_) return false;
    for (uint32_t i = 0; i < n; ++i) {
      if (written_[a + i]) {  // programmed twice without an erase
        violated_ = true;
        return false;
      }
      if (program_budget_ == 0) {  // cut: this byte only half programmed
        mem_[a + i] &= static_cast<uint8_t>(p[i] | 0xF0);
        written_[a + i] = true;
        dead_ = true;
        return false;
      }
      if (program_budget_ > 0) --program_budget_;
      mem_[a + i] &= p[i];  // NOR: programming clears bits, never sets them
      written_[a + i] = true;
      ++programmed_;
    }
    return true;
  }

  std::vector<uint8_t> mem_;
  std::vector<bool> written_;  // programmed since the last erase
  uint32_t sector_, unit_;
  int64_t program_budget_ = -1, erase_budget_ = -1;
  bool dead_ = false, violated_ = false;
  uint64_t programmed_ = 0, erases_ = 0;
};

}  // namespace tinyprop_test
