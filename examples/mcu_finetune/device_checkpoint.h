// The firmware's checkpoints: restoring at boot (from a checkpoint file of the host, or from the
// newest valid slot of the flash stand-in) and saving every N samples into the flash store.
// Each prints one line: "resumed from=<flash|file> position=P steps=S mode=full|weights" or
// "checkpoint position=P mode=... bytes=B sequence=Q".
#pragma once
#include <stdint.h>

#include "text_line.h"
#include "tinyprop/trainer.h"

namespace mcu {

struct CheckpointOptions {
  const char* flash = nullptr;        // host file standing in for the flash region, or null
  uint32_t flash_bytes = 0;
  uint32_t cut_after_bytes = 0;       // > 0: power cut after this many programmed bytes
  const char* resume_from = nullptr;  // checkpoint file written by the host, or null
};

// Opens the flash store (if any) and restores the newest state: the host file first when given,
// else the flash. *position = the samples of the run already trained (0 for a fresh start).
// Returns 0, or an exit status after printing why.
inline constexpr int kExitCheckpoint = 6;  // checkpoint error (exit status)

int restore_training(const CheckpointOptions& o, tinyprop::Trainer& trainer, uint64_t* position,
                     TextLine& line);
// Saves the whole training state (weights-only when it does not fit a slot). False on error.
bool save_training(const tinyprop::Trainer& trainer, uint64_t position, TextLine& line);

}  // namespace mcu
