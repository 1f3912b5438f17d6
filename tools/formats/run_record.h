// What a host fine-tuning run needs beside the core's checkpoint to continue bit for bit: the
// data (a fingerprint), their order (the seed of the per-epoch shuffle) and the learning-rate
// schedule (epochs, base rate, end factor). The checkpoint holds the training state and a hash
// of the training configuration, but none of these, so `tinyprop finetune` writes them beside
// every checkpoint it writes, as <checkpoint>.run.json, and --resume checks them: a resumed run
// never silently takes another course. A checkpoint without the file (a device's flash image,
// a copied checkpoint) resumes unchecked. docs/CHECKPOINTS.md.
#pragma once
#include <stdint.h>

#include <string>

#include <nlohmann/json.hpp>

#include "data/dataset.h"

namespace tinyprop::host {

struct RunRecord {
  uint64_t seed = 0;      // --seed: the sample order
  uint32_t epochs = 0;    // --epochs
  float lr = 0.0f;        // the base learning rate (--lr)
  float lr_end = 0.0f;    // --lr-end
  uint64_t samples = 0;   // training samples per epoch
  uint32_t data_crc = 0;  // CRC-32 of the samples' features and labels as loaded
};

RunRecord make_run_record(const Dataset& train, uint64_t seed, uint32_t epochs, float lr,
                          float lr_end);

// <checkpoint>.run.json
std::string run_record_path(const std::string& checkpoint);

// Its fields as JSON (the file's content, and `info --checkpoint`'s "run_record").
nlohmann::json run_record_json(const RunRecord& r);

// Written atomically; throws host::Error.
void write_run_record(const std::string& checkpoint, const RunRecord& r);

// Reads the record beside `checkpoint` into *out. Returns false when there is none; throws
// host::Error on a file that is not a run record.
bool read_run_record(const std::string& checkpoint, RunRecord* out);

// "seed 7, epochs 2, lr 0.001, lr-end 0.5, 100 training samples (CRC-32 1a2b3c4d)"
std::string describe_run_record(const RunRecord& r);

// Compares the record beside `checkpoint` with `now`. Returns false when there is none; throws
// host::Error "<checkpoint>: the run was started with --seed 7, this one has --seed 1 (...)" on
// the first difference, and on a record that cannot be read.
bool check_run_record(const std::string& checkpoint, const RunRecord& now);

}  // namespace tinyprop::host
