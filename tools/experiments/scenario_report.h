// Output of `compare`: the table on stdout, JSON and CSV files, the targets (backward compute and
// accuracy loss against full, docs/SCENARIOS.md), and the
// PNG plots (scripts/plot_compare.py, run with /usr/bin/python3).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "experiments/scenario.h"

namespace tinyprop::host {

// The targets (backward compute and accuracy loss against full, docs/SCENARIOS.md), evaluated
// on TinyProp at its default parameters.
struct TargetCheck {
  bool available = false;       // the protocol ran tinyprop default, full and static-matched
  double backward_rel = 0.0;    // tinyprop default backward MACs / full's
  double accuracy_loss_pp = 0.0;
  double tinyprop_accuracy = 0.0, matched_static_accuracy = 0.0, matched_ratio = 0.0;
  bool compute_met = false;     // backward_rel <= 0.20
  bool accuracy_met = false;    // accuracy_loss_pp <= 1.0
  bool beats_static = false;    // tinyprop accuracy > static at the same mean ratio
  // The most accurate tinyprop / tinypropv2 variant that meets both the compute and the
  // accuracy target ("" if none).
  std::string best_label;
  double best_backward_rel = 0.0, best_loss_pp = 0.0;
};
TargetCheck check_targets(const CompareResult& r);

// The budget rule's targets, checked on its default (Protocol::budget_target_*).
struct BudgetTargetCheck {
  bool available = false;        // the protocol ran the budget default and full
  std::string label;
  double backward_rel = 0.0, accuracy_loss_pp = 0.0;
  double min_gain_pp = 0.0;      // smallest (after - before) over seeds, percentage points
  bool compute_met = false, accuracy_met = false, above_pretrained = false;
  bool has_tinyprop = false;     // the paper's default ran too
  double tinyprop_backward_rel = 0.0, tinyprop_loss_pp = 0.0;
  // A budget of the rule (its curve) more accurate at equal or lower backward compute.
  bool beats_tinyprop = false;
  std::string beating_label;
  double beating_backward_rel = 0.0, beating_loss_pp = 0.0;
};
BudgetTargetCheck check_budget_targets(const CompareResult& r);
std::string budget_targets_text(const CompareResult& r);

// Everything: protocol, per-method summaries, per-run results with traces and curves, targets.
nlohmann::json compare_json(const CompareResult& r);
// One row per method (summary.csv) and one row per run (runs.csv).
std::string summary_csv(const CompareResult& r);
std::string runs_csv(const CompareResult& r);
// The human-readable table and target lines.
std::string compare_table(const CompareResult& r);

// Writes compare.json, summary.csv and runs.csv into dir (created if missing).
void write_compare_files(const CompareResult& r, const std::string& dir);

// Runs the plot script on dir/compare.json, writing PNGs into dir. Returns "" on success, else
// a one-line reason (the caller warns; results are already saved). The script is found through
// $TINYPROP_PLOT_SCRIPT, else scripts/plot_compare.py in the repository.
std::string make_plots(const std::string& dir);
std::string find_plot_script();
// The same for any plot script: `rel` (e.g. "scripts/plot_dcase.py") is found through the
// environment variable env_var, else in the working directory or an ancestor, else in the source
// tree; it runs as /usr/bin/python3 SCRIPT DIR/compare.json DIR with its stdout on our stderr.
std::string find_script(const std::string& rel, const char* env_var);
std::string run_plot_script(const std::string& rel, const char* env_var, const std::string& dir);

}  // namespace tinyprop::host
