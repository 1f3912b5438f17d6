// tinyprop compare --scenario dcase-ae: pretrain the DCASE2020 baseline autoencoder per machine
// type on the host, fine-tune it per machine with every method, report AUC, pAUC and compute
// (docs/AUDIO.md). Table on stdout; compare.json, runs.csv, report.md and PNG plots
// (scripts/plot_dcase.py) in the output directory.
#include "cmd_compare_dcase.h"


#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <memory>
#include <mutex>
#include <sstream>

#include "experiments/dcase/scenario_dcase.h"
#include "data/dataset.h"
#include "util/error.h"
#include "util/progress.h"
#include "experiments/report.h"
#include "experiments/scenario_report.h"

namespace tinyprop::cli {
namespace {

namespace fs = std::filesystem;
using host::audio::DcaseMethodSummary;
using host::audio::DcaseScenarioConfig;
using host::audio::DcaseScenarioResult;

constexpr const char* kScenario = "dcase-ae";
constexpr const char* kPlotScript = "scripts/plot_dcase.py";
// Plots the script writes into the output directory. report.md links them as
// img/<out-dir name>-<name>.png (docs/img/dcase-ae-<name>.png for the default out/dcase-ae),
// where scripts/make-results.sh copies them.
const char* const kPlots[][2] = {
    {"auc_vs_backward", "dcase-ae: AUC against backward compute"},
    {"layer_ratio", "dcase-ae: mean k/N per layer"},
};

// scripts/plot_dcase.py (or $TINYPROP_DCASE_PLOT_SCRIPT) on DIR/compare.json; "" on success.
std::string make_dcase_plots(const std::string& dir) {
  return host::run_plot_script(kPlotScript, "TINYPROP_DCASE_PLOT_SCRIPT", dir);
}

std::string quoted_if_needed(const std::string& s) {
  if (s.find_first_of(" \t'\"$`\\*?;&|<>()") == std::string::npos && !s.empty()) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string joined(const std::vector<std::string>& items) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i) s += (i ? "," : "") + items[i];
  return s;
}

// The command that reproduces the results (flags that change them; not --threads, --out-dir).
std::string reproduce_command(const DcaseCompareFlags& d, const CompareCommonFlags& c) {
  std::string cmd = std::string("tinyprop compare --scenario ") + kScenario;
  if (c.quick) cmd += " --quick";
  cmd += " --seeds " + std::to_string(c.seeds);
  if (!d.root.empty()) cmd += " --dcase-root " + quoted_if_needed(d.root);
  if (!d.types.empty()) cmd += " --types " + quoted_if_needed(joined(d.types));
  if (d.max_ids > 0) cmd += " --max-ids " + std::to_string(d.max_ids);
  if (d.pretrain_pool != "all") cmd += " --pretrain-pool " + d.pretrain_pool;
  if (!d.methods.empty()) cmd += " --methods " + quoted_if_needed(joined(d.methods));
  if (d.pretrain_epochs > 0) cmd += " --pretrain-epochs " + std::to_string(d.pretrain_epochs);
  if (d.finetune_epochs > 0) cmd += " --finetune-epochs " + std::to_string(d.finetune_epochs);
  return cmd;
}

// A folder inside the working directory as a relative path (reports then read
// "data/dcase-synthetic", not the machine's absolute path); others unchanged.
std::string shown_path(const std::string& path) {
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec).lexically_normal();
  const fs::path cwd = fs::current_path(ec);
  if (ec) return path;
  const fs::path rel = abs.lexically_relative(cwd);
  if (rel.empty() || *rel.begin() == "..") return path;
  return rel.string();
}

// The output folder's own name ("dcase-ae" for out/dcase-ae), naming the plots in docs/img.
std::string image_prefix(std::string out_dir) {
  while (out_dir.size() > 1 && out_dir.back() == '/') out_dir.pop_back();
  const std::string name = fs::path(out_dir).lexically_normal().filename().string();
  return name.empty() || name == "." || name == ".." ? kScenario : name;
}

// The data folder, checked before anything runs (nothing is written when it is missing).
std::string resolve_root(const DcaseCompareFlags& d, const CompareCommonFlags& c) {
  if (!d.root.empty()) {
    std::error_code ec;
    if (!fs::is_directory(d.root, ec)) {
      throw host::Error("--dcase-root " + d.root +
                        ": not a folder (download and unzip the DCASE2020 Task 2 development set "
                        "there, see docs/AUDIO.md)");
    }
    return d.root;
  }
  const std::string data_dir = c.data_dir.empty() ? host::default_data_dir() : c.data_dir;
  const std::string root = data_dir + "/dcase-synthetic";
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    throw host::Error(root + ": no DCASE data (make the synthetic set with "
                      "scripts/make-synthetic-dcase.sh --out " + root +
                      ", or give --dcase-root with the real DCASE2020 Task 2 data, docs/AUDIO.md)");
  }
  return root;
}

DcaseScenarioConfig make_config(const DcaseCompareFlags& d, const CompareCommonFlags& c,
                                const std::string& root) {
  DcaseScenarioConfig cfg = c.quick ? host::audio::dcase_quick_config(root) : DcaseScenarioConfig{};
  cfg.data_root = root;
  cfg.seeds.clear();
  for (uint32_t s = 1; s <= c.seeds; ++s) cfg.seeds.push_back(s);
  cfg.threads = c.threads;
  if (!d.types.empty()) {
    cfg.machine_types = d.types;
    cfg.max_types = 0;  // the types asked for, even with --quick
  }
  if (d.max_ids > 0) cfg.max_ids_per_type = d.max_ids;
  cfg.pretrain_pool = d.pretrain_pool == "others" ? host::audio::DcasePretrainPool::kOtherIds
                                                  : host::audio::DcasePretrainPool::kAllIds;
  if (!d.methods.empty()) {
    cfg.methods.clear();
    bool has_full = false;
    for (const std::string& text : d.methods) {
      cfg.methods.push_back(host::audio::parse_dcase_method(text));
      has_full = has_full || cfg.methods.back().sparsity.method == Method::kFull;
    }
    // Every comparison is against full fine-tuning on the same machine and seed.
    if (!has_full) cfg.methods.insert(cfg.methods.begin(), host::audio::parse_dcase_method("full"));
  }
  if (d.pretrain_epochs > 0) cfg.pretrain_epochs = d.pretrain_epochs;
  if (d.finetune_epochs > 0) cfg.finetune_epochs = d.finetune_epochs;
  cfg.validate();
  return cfg;
}

// The stdout table: one row per method and the target lines.
std::string dcase_table(const DcaseScenarioResult& r, bool synthetic) {
  using host::fixed;
  std::ostringstream t;
  t << kScenario << (synthetic ? " (SYNTHETIC sound)" : "") << ": " << r.machines.size()
    << " machines, " << r.config.seeds.size() << " seed(s), pretrain pool "
    << (r.config.pretrain_pool == host::audio::DcasePretrainPool::kAllIds ? "all" : "others")
    << ", fine-tuning " << r.config.finetune_epochs << " epoch(s) at batch 1\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-30s %7s %7s %16s %7s %9s %7s %7s\n", "method", "AUC %",
                "seed sd", "dAUC vs full (sd)", "pAUC %", "backward", "total", "skipped");
  t << line;
  for (const DcaseMethodSummary& s : r.summary) {
    const bool trained = s.method != "pretrained";
    const std::string delta = (s.auc_delta_vs_full >= 0 ? "+" : "") +
                              fixed(100 * s.auc_delta_vs_full, 2) + " (" +
                              fixed(100 * s.auc_delta_sd, 2) + ")";
    std::snprintf(line, sizeof line, "%-30s %7s %7s %16s %7s %9s %7s %7s\n", s.method.c_str(),
                  fixed(100 * s.auc_mean, 2).c_str(), fixed(100 * s.auc_seed_sd, 2).c_str(),
                  delta.c_str(), fixed(100 * s.pauc_mean, 2).c_str(),
                  trained ? (fixed(100 * s.backward_ratio, 1) + "%").c_str() : "-",
                  trained ? (fixed(100 * s.total_ratio, 1) + "%").c_str() : "-",
                  trained ? (fixed(100 * s.skip_rate, 1) + "%").c_str() : "-");
    t << line;
  }
  t << "targets (backward <= 20% of full, AUC within 1 point of full):\n";
  for (const DcaseMethodSummary& s : r.summary) {
    if (s.method.rfind("tinyprop", 0) != 0) continue;
    t << "  " << s.method << ": backward " << fixed(100 * s.backward_ratio, 1) << "% "
      << (s.backward_ratio <= 0.20 ? "met" : "NOT met") << ", AUC "
      << (s.auc_delta_vs_full >= 0 ? "+" : "") << fixed(100 * s.auc_delta_vs_full, 2) << " points "
      << (s.auc_delta_vs_full >= -0.01 ? "met" : "NOT met") << "\n";
  }
  return t.str();
}

// A progress bar per phase ("features", then "training") on stderr.
class PhaseBars {
 public:
  explicit PhaseBars(bool enabled) : enabled_(enabled) {}
  void update(const char* phase, uint64_t done, uint64_t total) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!bar_ || phase_ != phase) {
      if (bar_) bar_->finish();
      phase_ = phase;
      bar_ = std::make_unique<host::Progress>(std::string(kScenario) + " " + phase, total, enabled_);
    }
    bar_->set(done);
  }
  void finish() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (bar_) bar_->finish();
  }

 private:
  bool enabled_;
  std::mutex mutex_;
  std::string phase_;
  std::unique_ptr<host::Progress> bar_;
};

}  // namespace

void add_dcase_options(CLI::App* cmd, DcaseCompareFlags* d) {
  const std::string group = "dcase-ae (with --scenario dcase-ae only)";
  std::vector<CLI::Option*> own;
  own.push_back(cmd->add_option("--dcase-root", d->root,
                                "DCASE2020 Task 2 layout (default <data-dir>/dcase-synthetic)")
                    ->group(group));
  own.push_back(cmd->add_option("--types", d->types, "Machine types, comma-separated (default all)")
                    ->delimiter(',')
                    ->group(group));
  own.push_back(cmd->add_option("--max-ids", d->max_ids, "Machine IDs per type (default all)")
                    ->check(CLI::Range(1u, 1000u))
                    ->group(group));
  own.push_back(cmd->add_option("--pretrain-pool", d->pretrain_pool,
                                "all: one model per type; others: per machine, without its clips")
                    ->check(CLI::IsMember({"all", "others"}))
                    ->group(group));
  // --methods serves every scenario: image scenarios keep the listed labels of their list.
  cmd->add_option("--methods", d->methods,
                  "Comma-separated labels of the scenario's list ('static r=0.1', 'budget 0.1'; "
                  "full is always run); dcase-ae also takes static:R, tinyprop:SMIN:SMAX:ZETA, "
                  "tinypropv2:SMIN:SMAX:ZETA:SKIP, budget:B")
      ->delimiter(',');
  own.push_back(cmd->add_option("--pretrain-epochs", d->pretrain_epochs, "Host pretraining epochs")
                    ->check(CLI::Range(1u, 10000u))
                    ->group(group));
  own.push_back(cmd->add_option("--finetune-epochs", d->finetune_epochs, "Device fine-tuning passes")
                    ->check(CLI::Range(1u, 10000u))
                    ->group(group));
  // A dcase option with another scenario would be ignored silently: refuse it instead.
  cmd->parse_complete_callback([cmd, own]() {
    const CLI::Option* scenario = cmd->get_option_no_throw("--scenario");
    if (scenario == nullptr || scenario->count() == 0 || scenario->as<std::string>() == kScenario) return;
    for (const CLI::Option* o : own) {
      if (o->count() > 0) {
        throw CLI::ValidationError(o->get_name() + " is only for --scenario " + kScenario);
      }
    }
  });
}

int run_compare_dcase(const DcaseCompareFlags& d, const CompareCommonFlags& c) {
  require(c.threads >= 1 && c.threads <= 256, "--threads must be in [1, 256]");
  require(c.seeds >= 1 && c.seeds <= 100, "--seeds must be in [1, 100]");
  const std::string out_dir = c.out_dir.empty() ? std::string("out/") + kScenario : c.out_dir;
  std::error_code ec;
  require(!fs::exists(out_dir, ec) || fs::is_directory(out_dir, ec),
          "--out-dir " + out_dir + ": exists and is not a folder");
  const std::string root = shown_path(resolve_root(d, c));
  const DcaseScenarioConfig cfg = make_config(d, c, root);
  const bool synthetic = fs::is_regular_file(root + "/SYNTHETIC.txt", ec);

  PhaseBars bars(c.output.progress());
  const DcaseScenarioResult result = host::audio::run_dcase_scenario(
      cfg, nullptr,
      [&bars](const char* phase, uint64_t done, uint64_t total) { bars.update(phase, done, total); });
  bars.finish();
  {  // warnings are shown with --quiet too: it only removes the progress bars
    const size_t shown = std::min<size_t>(result.warnings.size(), 5);
    for (size_t i = 0; i < shown; ++i) {
      std::fprintf(stderr, "tinyprop: warning: %s\n", result.warnings[i].c_str());
    }
    if (result.warnings.size() > shown) {
      std::fprintf(stderr, "tinyprop: warning: ... %zu more in %s/compare.json\n",
                   result.warnings.size() - shown, out_dir.c_str());
    }
  }

  // Results first (they are never lost to a plot failure), then plots, then the report that
  // links them.
  const std::string command = reproduce_command(d, c);
  host::make_directories(out_dir);
  nlohmann::json doc = host::audio::dcase_report_json(result);
  doc["quick"] = c.quick;
  doc["command"] = command;
  host::write_text_file(out_dir + "/compare.json", doc.dump(1) + "\n");
  host::write_text_file(out_dir + "/runs.csv", host::audio::dcase_runs_csv(result));
  std::vector<host::audio::DcaseReportImage> images;
  std::string plot_note;
  if (!c.no_plots) {
    const std::string why = make_dcase_plots(out_dir);
    if (!why.empty()) {
      std::fprintf(stderr, "tinyprop: warning: no plots: %s\n", why.c_str());
      plot_note = "plots: not made (" + why + ")";
    } else {
      plot_note = "plots: " + out_dir + "/{";
      for (size_t i = 0; i < std::size(kPlots); ++i) {
        plot_note += std::string(i ? "," : "") + kPlots[i][0];
        // report.md is a section of docs/RESULTS.md: images are linked relative to docs/
        images.push_back({kPlots[i][1], "img/" + image_prefix(out_dir) + "-" + kPlots[i][0] + ".png"});
      }
      plot_note += "}.png";
    }
  }
  host::write_text_file(out_dir + "/report.md",
                        host::audio::dcase_report_markdown(result, images, command));

  if (c.output.json) {
    emit(c.output, doc, "");
  } else {
    std::string text = dcase_table(result, synthetic);
    text += "\nresults: " + out_dir + "/{compare.json,runs.csv,report.md}\n";
    if (!plot_note.empty()) text += plot_note + "\n";
    emit(c.output, nlohmann::json(), text);
  }
  return 0;
}

}  // namespace tinyprop::cli
