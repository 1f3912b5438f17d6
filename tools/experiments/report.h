// Reports of the host tools: counters and memory plans as JSON, text files written atomically,
// and checks that an output can be written before hours of work are spent on it.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "tinyprop/tinyprop.h"

namespace tinyprop::host {

// Sums of a training run: MACs, comparisons, ratios, skip rate, and per parameter layer its
// shape and mean k/N ("layers": [{"layer": 0, "shape": "784x128", "mean_k_over_n": 0.03}, ...]).
nlohmann::json counters_json(const RunCounters& c, const Model& model);
// Bytes per region and the total.
nlohmann::json memory_plan_json(const MemoryPlan& plan);
// The training configuration (optimizer and sparsity parameters that apply to its method).
nlohmann::json train_config_json(const TrainConfig& cfg);

// Writes text to path atomically (temporary file + rename). Throws host::Error.
void write_text_file(const std::string& path, const std::string& text);
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

// A float as the double with the same shortest decimal text (0.9f -> 0.9, not 0.8999999761),
// so that JSON shows the values the user typed.
double float_value(float f);

// Number formatting for tables: fixed decimals.
std::string fixed(double v, int decimals);

}  // namespace tinyprop::host
