// Reports of the host tools: counters and memory plans as JSON, and checks that an output can be
// written before hours of work are spent on it. (write_text_file and float_value, which the
// reports use, are util/'s; included here for the reports' callers.)
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "tinyprop/tinyprop.h"
#include "util/atomic_file.h"  // write_text_file
#include "util/float_value.h"

namespace tinyprop::host {

// Sums of a training run: MACs, comparisons, ratios, skip rate, and per parameter layer its
// shape and mean k/N ("layers": [{"layer": 0, "shape": "784x128", "mean_k_over_n": 0.03}, ...]).
nlohmann::json counters_json(const RunCounters& c, const Model& model);
// Bytes per region and the total.
nlohmann::json memory_plan_json(const MemoryPlan& plan);
// The training configuration (optimizer and sparsity parameters that apply to its method).
nlohmann::json train_config_json(const TrainConfig& cfg);

// An input of a command: its flag and path ("--model-in", "m.tpm"); empty paths are ignored.
struct NamedPath {
  std::string flag, path;
};
// Throws host::Error ("--out: directory 'x' does not exist") unless path's directory exists and
// is writable and path is nothing or a regular file (not a directory, device, FIFO, socket or
// symbolic link), and is not the same file (device and inode) as one of `inputs`. Does not
// create or touch path.
void check_output_path(const std::string& path, const std::string& flag,
                       const std::vector<NamedPath>& inputs = {});
// Creates a directory (and its parents) if missing; throws host::Error if it cannot.
void make_directories(const std::string& dir);

// The command line, shell-quoted where needed (for provenance in metadata and reports).
std::string command_line(int argc, const char* const* argv);


// Number formatting for tables: fixed decimals.
std::string fixed(double v, int decimals);

}  // namespace tinyprop::host
