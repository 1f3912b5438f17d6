#include "cli_common.h"

#include <cmath>
#include <iostream>

#include "util/error.h"
#include "util/progress.h"
#include "experiments/report.h"

namespace tinyprop::cli {

std::string Invocation::text() const { return host::command_line(argc, argv); }

void OutputFlags::add_to(CLI::App* cmd) {
  cmd->add_flag("--json", json, "Machine-readable JSON on stdout");
  cmd->add_flag("-q,--quiet", quiet,
                "No progress bar on stderr (warnings and errors are still printed)");
}

bool OutputFlags::progress() const { return !quiet && host::stderr_is_tty(); }

void DataFlags::add_to(CLI::App* cmd, bool with_subset) {
  cmd->add_option("--dataset", dataset, "mnist | fashion-mnist | cifar10");
  cmd->add_option("--csv", csv, "CSV file instead of --dataset (numeric features, one label column)");
  cmd->add_option("--label-column", label_column, "CSV label column, 0-based (-1 = last)");
  cmd->add_option("--csv-shape", csv_shape,
                  "CSV features as an HxWxC feature map, channels last (for CNNs; default 1x1xN)");
  cmd->add_option("--data-dir", data_dir,
                  "Data directory (default: $TINYPROP_DATA_DIR, else <repo>/data)");
  if (with_subset) {
    cmd->add_option("--subset", subset,
                    "N: the first N samples; A:B: samples A..B-1 (in the --subset-order)");
    cmd->add_option("--subset-order", subset_order,
                    "shuffled: count in a shuffle seeded by --subset-seed (default); file: count "
                    "in the order of the data file");
    cmd->add_option("--subset-seed", subset_seed, "Seed of the subset shuffle");
  }
}

std::string DataFlags::resolved_data_dir() const {
  return data_dir.empty() ? host::default_data_dir() : data_dir;
}

std::string DataFlags::describe(const std::string& part) const {
  std::string d = csv.empty() ? dataset + "/" + part : csv;
  if (!subset.empty()) {
    d += " [subset " + subset +
         (subset_order == "file" ? ", file order" : ", seed " + std::to_string(subset_seed)) + "]";
  }
  return d;
}

namespace {

// "HxWxC" with positive decimal numbers; false for anything else.
bool parse_hwc(const std::string& text, Shape* out) {
  uint64_t v[3] = {0, 0, 0};
  size_t k = 0, digits = 0;
  for (char c : text) {
    if (c == 'x' && digits > 0 && k < 2) {
      ++k;
      digits = 0;
    } else if (c >= '0' && c <= '9' && digits < 8) {
      v[k] = v[k] * 10 + static_cast<uint64_t>(c - '0');
      ++digits;
    } else {
      return false;
    }
  }
  if (k != 2 || digits == 0 || v[0] == 0 || v[1] == 0 || v[2] == 0) return false;
  *out = Shape{static_cast<uint32_t>(v[0]), static_cast<uint32_t>(v[1]), static_cast<uint32_t>(v[2])};
  return true;
}

// Loads a CSV file, as a feature map of `shape_text` when it is given.
host::Dataset load_csv_shaped(const std::string& path, int label_column,
                              const std::string& shape_text) {
  host::Dataset d = host::load_csv(path, label_column);
  if (shape_text.empty()) return d;
  Shape shape;
  if (!parse_hwc(shape_text, &shape)) {
    throw host::Error("--csv-shape '" + shape_text + "': expected HxWxC, e.g. 12x12x1");
  }
  if (uint64_t{shape.h} * shape.w * shape.c != d.dim()) {
    throw host::Error("--csv-shape " + shape_text + " holds " +
                      std::to_string(uint64_t{shape.h} * shape.w * shape.c) + " values but " +
                      path + " has " + std::to_string(d.dim()) + " features per sample");
  }
  d.shape = shape;  // the features are already in HWC order, one row per sample
  return d;
}

}  // namespace

host::Dataset DataFlags::load(const std::string& part) const {
  host::Dataset d;
  if (!csv.empty()) {
    d = load_csv_shaped(csv, label_column, csv_shape);
  } else {
    d = host::load_named(resolved_data_dir(), dataset, part);
  }
  require(subset_order == "shuffled" || subset_order == "file",
          "--subset-order '" + subset_order + "': expected shuffled or file");
  if (!subset.empty()) {
    d = host::subset(d, subset_indices(subset, d.size(), subset_seed, subset_order == "file"));
  }
  if (d.size() == 0) throw host::Error(describe(part) + ": no samples");
  return d;
}

EvalData load_eval_data(const DataFlags& data, const std::string& eval_csv) {
  EvalData e;
  if (!eval_csv.empty()) {
    e.data = load_csv_shaped(eval_csv, data.label_column, data.csv_shape);
    e.name = eval_csv;
  } else if (data.csv.empty()) {
    e.data = host::load_named(data.resolved_data_dir(), data.dataset, "test");
    e.name = data.dataset + "/test";
  }
  return e;
}

namespace {

bool parse_count(const std::string& s, size_t* out) {
  if (s.empty() || s.size() > 12) return false;
  size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::vector<uint32_t> subset_indices(const std::string& text, size_t n, uint64_t seed,
                                     bool in_file_order) {
  size_t begin = 0, end = 0;
  const size_t colon = text.find(':');
  if (colon == std::string::npos) {
    require(parse_count(text, &end) && end > 0,
            "--subset '" + text + "': expected a positive count N or a range A:B");
  } else {
    require(parse_count(text.substr(0, colon), &begin) &&
                parse_count(text.substr(colon + 1), &end) && begin < end,
            "--subset '" + text + "': expected a range A:B with A < B");
  }
  require(end <= n, "--subset '" + text + "': the data has only " + std::to_string(n) +
                        " samples");
  std::vector<uint32_t> out;
  if (in_file_order) {
    for (size_t i = begin; i < end; ++i) out.push_back(static_cast<uint32_t>(i));
    return out;
  }
  const std::vector<uint32_t> order = host::shuffled_indices(n, seed);
  return std::vector<uint32_t>(order.begin() + static_cast<long>(begin),
                               order.begin() + static_cast<long>(end));
}

void OptimizerFlags::add_to(CLI::App* cmd) {
  cmd->add_option("--optimizer", optimizer, "sgd | adam");
  cmd->add_option("--lr", lr, "Learning rate (default: 0.01 for sgd, 0.001 for adam)");
  cmd->add_option("--momentum", momentum, "SGD momentum in [0, 1)");
  cmd->add_option("--batch", batch, "Batch size (1: fused per-sample updates)");
  cmd->add_option("--epochs", epochs,
                  allow_zero_epochs
                      ? "Passes over the data (0: write the initialised, untrained model)"
                      : "Passes over the data");
}

void OptimizerFlags::apply(TrainConfig* cfg, float default_lr_sgd, float default_lr_adam) const {
  require(optimizer == "sgd" || optimizer == "adam",
          "--optimizer '" + optimizer + "': expected sgd or adam");
  cfg->optimizer.kind = optimizer == "adam" ? OptimizerKind::kAdam : OptimizerKind::kSgd;
  const float rate = lr != 0.0f ? lr : (optimizer == "adam" ? default_lr_adam : default_lr_sgd);
  require(std::isfinite(rate) && rate > 0.0f, "--lr " + host::fixed(rate, 6) + ": must be > 0");
  cfg->optimizer.learning_rate = rate;
  require(std::isfinite(momentum) && momentum >= 0.0f && momentum < 1.0f,
          "--momentum " + host::fixed(momentum, 4) + ": must be in [0, 1)");
  require(momentum == 0.0f || optimizer == "sgd", "--momentum applies to sgd only");
  cfg->optimizer.momentum = momentum;
  require(batch >= 1, "--batch must be at least 1");
  require(epochs >= 1 || allow_zero_epochs, "--epochs must be at least 1");
  cfg->batch_size = batch;
}

void require(bool cond, const std::string& message) {
  if (!cond) throw host::Error(message);
}

ConvSelection conv_selection_flag(const std::string& text) {
  ConvSelection s = ConvSelection::kElement;
  require(parse_conv_selection(text.c_str(), &s),
          "--conv-selection '" + text + "': expected element or channel");
  return s;
}

void emit(const OutputFlags& out, const nlohmann::json& json, const std::string& text) {
  if (out.json) {
    std::cout << json.dump(2) << "\n";
  } else {
    std::cout << text;
    if (!text.empty() && text.back() != '\n') std::cout << "\n";
  }
  std::cout.flush();
}

}  // namespace tinyprop::cli
