// Shared pieces of the `tinyprop` subcommands: dataset flags, optimizer flags, output mode.
#pragma once
#include <stdint.h>

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "tinyprop/tinyprop.h"

namespace tinyprop::cli {

// The command line, for provenance (metadata, reports).
struct Invocation {
  int argc = 0;
  const char* const* argv = nullptr;
  std::string text() const;
};

// --json / --quiet, on every subcommand.
struct OutputFlags {
  bool json = false;
  bool quiet = false;
  void add_to(CLI::App* cmd);
  // Progress bars only on a terminal and without --quiet.
  bool progress() const;
};

// Where samples come from: a named dataset (train or test part) or a CSV file, optionally a
// subset: "N" (the first N samples) or "A:B" (samples A..B-1), counted in a seeded shuffle
// (--subset-order shuffled, the default) or in file order (--subset-order file).
struct DataFlags {
  std::string dataset = "mnist";
  std::string csv;
  int label_column = -1;
  std::string csv_shape;  // "HxWxC": CSV features as a feature map (for CNNs); "" = 1x1xN
  std::string data_dir;
  std::string subset;
  uint64_t subset_seed = 1;
  std::string subset_order = "shuffled";
  // prefix: "" for the main data, e.g. "eval-" for a second data set; part: default part.
  void add_to(CLI::App* cmd, bool with_subset);
  // Loads and applies the subset. part: "train" | "test" (ignored for CSV).
  host::Dataset load(const std::string& part) const;
  std::string describe(const std::string& part) const;
  std::string resolved_data_dir() const;
};

// The data accuracy is reported on: the test part of a named dataset, or --eval-csv for CSV
// data (empty name: none).
struct EvalData {
  host::Dataset data;
  std::string name;
};
EvalData load_eval_data(const DataFlags& data, const std::string& eval_csv);

// --optimizer / --lr / --momentum / --batch / --epochs with per-command defaults.
struct OptimizerFlags {
  std::string optimizer;
  float lr = 0.0f;        // 0: the optimizer's default (set by the command)
  float momentum = 0.0f;
  uint32_t batch = 1;
  uint32_t epochs = 1;
  bool allow_zero_epochs = false;  // train: 0 epochs writes the initialised, untrained model
  void add_to(CLI::App* cmd);
  // Validates and fills cfg.optimizer and cfg.batch_size. default_lr used when --lr is absent.
  void apply(TrainConfig* cfg, float default_lr_sgd, float default_lr_adam) const;
};

// Throws host::Error(message) unless cond.
void require(bool cond, const std::string& message);
// --conv-selection element|channel (docs/CONV.md); throws host::Error for anything else.
ConvSelection conv_selection_flag(const std::string& text);
// Parses a subset text against n samples into indices: of a shuffle with seed, or of the file
// order when in_file_order.
std::vector<uint32_t> subset_indices(const std::string& text, size_t n, uint64_t seed,
                                     bool in_file_order = false);

// Prints either the JSON document or the text (each followed by a newline) to stdout.
void emit(const OutputFlags& out, const nlohmann::json& json, const std::string& text);

// Subcommand registration: each adds its subcommand and returns the action to run if parsed.
using Action = std::function<int()>;
Action add_train(CLI::App& app, const Invocation& inv);
Action add_finetune(CLI::App& app, const Invocation& inv);
Action add_eval(CLI::App& app, const Invocation& inv);
Action add_info(CLI::App& app, const Invocation& inv);
Action add_export(CLI::App& app, const Invocation& inv);
Action add_import(CLI::App& app, const Invocation& inv);
Action add_compare(CLI::App& app, const Invocation& inv);

}  // namespace tinyprop::cli
