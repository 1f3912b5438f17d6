// tinyprop compare --scenario NAME: the comparison of full, static, tinyprop and tinypropv2
// fine-tuning documented in docs/SCENARIOS.md. Table on stdout; JSON, CSV and PNG plots in the
// output directory.
#include <cstdio>
#include <memory>
#include <thread>

#include "cli_common.h"
#include "cmd_compare_dcase.h"
#include "util/error.h"
#include "experiments/report.h"
#include "experiments/scenario.h"
#include "experiments/scenario_report.h"

namespace tinyprop::cli {
namespace {

struct CompareFlags {
  std::string scenario;
  bool quick = false;
  uint32_t seeds = 3;
  std::string out_dir;
  uint32_t threads = 2;
  std::string data_dir;
  bool no_plots = false;
  std::string conv_selection = "element";
  OutputFlags output;
  DcaseCompareFlags dcase;  // --scenario dcase-ae (cmd_compare_dcase.cpp)
};

int run_compare(const CompareFlags& f) {
  if (f.scenario == "dcase-ae") {
    require(conv_selection_flag(f.conv_selection) == ConvSelection::kElement,
            "--conv-selection: scenario dcase-ae has no convolutions");
    return run_compare_dcase(f.dcase, {f.quick, f.seeds, f.out_dir, f.threads, f.data_dir, f.no_plots, f.output});
  }
  require(f.threads >= 1 && f.threads <= 256, "--threads must be in [1, 256]");
  require(f.seeds <= 100, "--seeds must be at most 100");
  const ConvSelection conv_selection = conv_selection_flag(f.conv_selection);
  host::Protocol protocol =
      host::make_protocol(f.scenario, f.quick, f.seeds, conv_selection);
  if (!f.dcase.methods.empty()) host::keep_methods(&protocol, f.dcase.methods);
  const std::string default_dir =
      "out/" + f.scenario + (conv_selection == ConvSelection::kChannel ? "-channel" : "");
  const std::string out_dir = f.out_dir.empty() ? default_dir : f.out_dir;

  host::CompareOptions opt;
  opt.data_dir = f.data_dir.empty() ? host::default_data_dir() : f.data_dir;
  opt.threads = f.threads;
  opt.progress = f.output.progress();
  const host::CompareResult r = host::run_compare(protocol, opt);

  host::write_compare_files(r, out_dir);
  std::string plot_note;
  if (!f.no_plots) {
    const std::string why = host::make_plots(out_dir);
    if (!why.empty()) {
      std::fprintf(stderr, "tinyprop: warning: no plots: %s\n", why.c_str());
      plot_note = "plots: not made (" + why + ")";
    } else {
      plot_note = "plots: " + out_dir + "/{accuracy_vs_backward,ratio_trace,accuracy_curve}.png";
    }
  }
  if (f.output.json) {
    emit(f.output, host::compare_json(r), "");
  } else {
    std::string text = host::compare_table(r);
    text += "\nresults: " + out_dir + "/{compare.json,summary.csv,runs.csv}\n";
    if (!plot_note.empty()) text += plot_note + "\n";
    emit(f.output, nlohmann::json(), text);
  }
  return 0;
}

}  // namespace

Action add_compare(CLI::App& app, const Invocation&) {
  auto f = std::make_shared<CompareFlags>();
  CLI::App* cmd = app.add_subcommand("compare", "Compare fine-tuning methods on a scenario");
  cmd->add_option("--scenario", f->scenario,
                  "mnist-mlp | mnist-shift | mnist-drift | fmnist-newclass | mnist-cnn | fmnist-cnn | "
                  "cifar10-cnn | dcase-ae | "
                  "mnist-scratch | mnist-scratch-wide")
      ->required();
  cmd->add_flag("--quick", f->quick, "Tiny subsets (tests, smoke runs)");
  cmd->add_option("--seeds", f->seeds, "Number of seeds (1..N)");
  cmd->add_option("--out-dir", f->out_dir, "Directory for JSON, CSV and plots (default out/<scenario>)");
  cmd->add_option("--threads", f->threads, "Fine-tuning runs in parallel");
  cmd->add_option("--data-dir", f->data_dir,
                  "Data directory (default: $TINYPROP_DATA_DIR, else <repo>/data)");
  cmd->add_flag("--no-plots", f->no_plots, "Do not draw the PNG plots (scripts/plot_compare.py, plot_dcase.py)");
  cmd->add_option("--conv-selection", f->conv_selection,
                  "CNN scenarios: top-k over output elements or whole channels (element | channel; "
                  "default out-dir out/<scenario>-channel for channel)");
  f->output.add_to(cmd);
  add_dcase_options(cmd, &f->dcase);
  return [f]() { return run_compare(*f); };
}

}  // namespace tinyprop::cli
