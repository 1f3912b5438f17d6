// tinyprop compare --scenario dcase-ae: the DCASE2020-style machine-sound scenario
// (tools/experiments/dcase/scenario_dcase.h) behind the compare command. cmd_compare.cpp registers the
// dcase options on its subcommand and hands the run over when --scenario is dcase-ae.
#pragma once
#include <stdint.h>

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli_common.h"

namespace tinyprop::cli {

// The flags every compare scenario shares (owned by cmd_compare.cpp, passed through).
struct CompareCommonFlags {
  bool quick = false;
  uint32_t seeds = 3;
  std::string out_dir;   // "" = out/dcase-ae
  uint32_t threads = 2;
  std::string data_dir;  // "" = $TINYPROP_DATA_DIR, else <repo>/data
  bool no_plots = false;
  OutputFlags output;
};

// The dcase-ae options (ignored by the other scenarios; giving one with another scenario is a
// usage error).
struct DcaseCompareFlags {
  std::string root;                  // --dcase-root; "" = <data-dir>/dcase-synthetic
  std::vector<std::string> types;    // --types
  uint32_t max_ids = 0;              // --max-ids, 0 = all
  std::string pretrain_pool = "all"; // --pretrain-pool all|others
  std::vector<std::string> methods;  // --methods, empty = the scenario's list
  uint32_t pretrain_epochs = 0;      // 0 = the scenario's default
  uint32_t finetune_epochs = 0;
};

// Adds --dcase-root, --types, --max-ids, --pretrain-pool, --methods, --pretrain-epochs and
// --finetune-epochs to the compare subcommand, storing into *flags (which must outlive cmd).
void add_dcase_options(CLI::App* cmd, DcaseCompareFlags* flags);

// Runs the scenario: progress on stderr, table (or JSON) on stdout, and compare.json,
// runs.csv, report.md and the plots in the output directory. Returns the exit status; errors
// are thrown as host::Error (one line).
int run_compare_dcase(const DcaseCompareFlags& dcase, const CompareCommonFlags& common);

}  // namespace tinyprop::cli
