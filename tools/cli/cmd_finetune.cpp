// tinyprop finetune: load a model, fine-tune it with full, static, tinyprop, tinypropv2 or
// budget backpropagation, write the new model and (optionally) a JSON report. Checkpoints
// (docs/CHECKPOINTS.md): --checkpoint-out writes the whole training state (every
// --checkpoint-every samples and at the end), --resume continues a run from one (or from a
// device's flash image) bit for bit, --load-optimizer-state takes the moments that
// `train --save-optimizer-state` stored in the model file.
#include <cmath>
#include <cstdio>
#include <memory>

#include "formats/checkpoint_file.h"
#include "formats/run_record.h"
#include "cli_common.h"
#include "util/error.h"
#include "formats/model_file.h"
#include "util/progress.h"
#include "experiments/report.h"
#include "experiments/train_loop.h"

namespace tinyprop::cli {
namespace {

struct FinetuneFlags {
  std::string model_in;
  std::string method = "tinyprop";
  float ratio = 0.1f;
  float s_min = 0.1f, s_max = 0.9f, zeta = 0.5f;
  float skip_threshold = 0.1f;
  float budget = 0.1f;
  uint64_t max_backward_macs = 0;
  float lr_end = 1.0f;
  std::string conv_selection = "element";
  DataFlags data;
  std::string eval_csv;
  OptimizerFlags opt;
  uint64_t seed = 1;
  std::string out;
  std::string report;
  std::string resume;
  std::string checkpoint_out;
  uint64_t checkpoint_every = 0;
  uint64_t stop_after = 0;
  bool load_optimizer_state = false;
  OutputFlags output;
};

// Optimizer moments of the model file (train --save-optimizer-state) into the trainer.
void load_optimizer_state(const host::ModelFile& in, const std::string& path, Trainer& trainer) {
  require(in.has_optimizer_state,
          "--load-optimizer-state: " + path + " has no optimizer state (train with --save-optimizer-state)");
  require(in.optimizer == trainer.config().optimizer.kind,
          "--load-optimizer-state: " + path + " holds " +
              (in.optimizer == OptimizerKind::kAdam ? "Adam" : "SGD") +
              " state but this run uses another optimizer");
  const Status s = trainer_load_optimizer_state(trainer, in.optimizer_state.data(),
                                                in.optimizer_state.size(), in.optimizer_steps);
  require(ok(s), "--load-optimizer-state: the optimizer state of " + path + " (" +
                     std::to_string(in.optimizer_state.size()) +
                     " values) does not fit this optimizer (momentum on or off?)");
}

bool in_range(float x, float lo, float hi) { return std::isfinite(x) && x >= lo && x <= hi; }

SparsityConfig sparsity_from(const FinetuneFlags& f) {
  SparsityConfig s;
  require(parse_method(f.method.c_str(), &s.method),
          "--method '" + f.method + "': expected full, static, tinyprop, tinypropv2 or budget");
  require(in_range(f.ratio, 0.0f, 1.0f) && f.ratio > 0.0f,
          "--ratio " + host::fixed(f.ratio, 4) + ": must be in (0, 1]");
  require(in_range(f.s_min, 0.0f, 1.0f), "--s-min " + host::fixed(f.s_min, 4) + ": must be in [0, 1]");
  require(in_range(f.s_max, 0.0f, 1.0f), "--s-max " + host::fixed(f.s_max, 4) + ": must be in [0, 1]");
  require(f.s_min <= f.s_max, "--s-min " + host::fixed(f.s_min, 4) + " is larger than --s-max " +
                                  host::fixed(f.s_max, 4));
  require(in_range(f.zeta, 0.0f, 1.0f) && f.zeta > 0.0f,
          "--zeta " + host::fixed(f.zeta, 4) + ": must be in (0, 1]");
  require(in_range(f.skip_threshold, 0.0f, 1.0f),
          "--skip-threshold " + host::fixed(f.skip_threshold, 4) + ": must be in [0, 1]");
  require(in_range(f.budget, 0.0f, 1.0f) && f.budget > 0.0f,
          "--budget " + host::fixed(f.budget, 4) + ": must be in (0, 1]");
  s.budget = f.budget;
  s.max_backward_macs = f.max_backward_macs;
  s.ratio = f.ratio;
  s.s_min = f.s_min;
  s.s_max = f.s_max;
  s.zeta = f.zeta;
  s.skip_threshold = f.skip_threshold;
  s.conv_selection = conv_selection_flag(f.conv_selection);
  return s;
}

int run_finetune(const FinetuneFlags& f, const Invocation& inv) {
  TrainConfig cfg;
  cfg.sparsity = sparsity_from(f);
  f.opt.apply(&cfg, 0.01f, 1e-3f);
  require(in_range(f.lr_end, 0.0f, 1.0f), "--lr-end " + host::fixed(f.lr_end, 4) +
                                              ": must be in [0, 1]");
  const std::vector<host::NamedPath> data_inputs = {
      {"--model-in", f.model_in}, {"--csv", f.data.csv}, {"--eval-csv", f.eval_csv}};
  std::vector<host::NamedPath> inputs = data_inputs;
  inputs.push_back({"--resume", f.resume});
  host::check_output_path(f.out, "--out", inputs);
  if (!f.report.empty()) host::check_output_path(f.report, "--report", inputs);
  require(f.report.empty() || f.report != f.out, "--report and --out name the same file");
  require(f.checkpoint_every == 0 || !f.checkpoint_out.empty(),
          "--checkpoint-every needs --checkpoint-out");
  require(f.stop_after == 0 || !f.checkpoint_out.empty(), "--stop-after needs --checkpoint-out");
  require(f.resume.empty() || !f.load_optimizer_state,
          "give only one of --resume and --load-optimizer-state");
  if (!f.checkpoint_out.empty()) {
    // It may be the --resume file (a run continued in place): that is read in full before the
    // first checkpoint is written, and every write replaces the file atomically.
    host::check_output_path(f.checkpoint_out, "--checkpoint-out", data_inputs);
    require(f.checkpoint_out != f.out && f.checkpoint_out != f.report,
            "--checkpoint-out names the same file as --out or --report");
  }

  const host::ModelFile in = host::load_model(f.model_in);
  const host::Dataset train = f.data.load("train");
  host::check_fits(in.spec, train, f.data.describe("train"));
  EvalData eval = load_eval_data(f.data, f.eval_csv);
  if (eval.name.empty()) {  // CSV without --eval-csv: accuracy on the fine-tuning data itself
    eval.data = train;
    eval.name = f.data.describe("train") + " (the fine-tuning data)";
  }
  host::check_fits(in.spec, eval.data, eval.name);

  auto session = std::make_unique<host::Session>(in.spec, cfg);
  host::copy_params_into(in, session->model());
  host::FitOptions fo;
  fo.epochs = f.opt.epochs;
  fo.order_seed = f.seed * 1000 + 500;
  fo.lr_end_factor = f.lr_end;
  fo.lr_base = cfg.optimizer.learning_rate;
  const uint64_t total = uint64_t{train.size()} * f.opt.epochs;
  std::string resumed_from;
  bool resume_checked = false;
  // Only a run that resumes or writes checkpoints needs it (the CRC reads every training value).
  const host::RunRecord record =
      f.resume.empty() && f.checkpoint_out.empty()
          ? host::RunRecord{}
          : host::make_run_record(train, f.seed, f.opt.epochs, cfg.optimizer.learning_rate, f.lr_end);
  if (!f.resume.empty()) {
    const host::CheckpointBytes ck = host::read_checkpoint(f.resume);
    const CheckpointInfo info = host::restore_checkpoint(session->trainer(), ck, f.resume);
    resume_checked = host::check_run_record(f.resume, record);
    require(info.position <= total, f.resume + ": at sample " + std::to_string(info.position) +
                                        ", beyond the " + std::to_string(total) +
                                        " samples of this run");
    fo.start_position = info.position;
    fo.keep_state = true;
    resumed_from = ck.origin;
  } else if (f.load_optimizer_state) {
    load_optimizer_state(in, f.model_in, session->trainer());
    fo.keep_state = true;
  }
  if (f.stop_after > 0) fo.stop_at = f.stop_after;
  // A checkpoint, with the run record beside it written before the first one (it does not
  // change during the run).
  bool record_written = false;
  auto save_checkpoint = [&](uint64_t done) {
    if (!record_written) host::write_run_record(f.checkpoint_out, record);
    record_written = true;
    host::write_checkpoint(f.checkpoint_out, session->trainer(), done);
  };
  if (!f.checkpoint_out.empty()) {
    fo.checkpoint_every = f.checkpoint_every;
    fo.checkpoint = save_checkpoint;
  }
  const host::EvalResult before = host::evaluate(session->model(), eval.data);

  host::Progress bar("finetune " + f.method, train.size() * f.opt.epochs, f.output.progress());
  fo.progress = [&](uint64_t done, uint64_t) { bar.set(done); };
  const host::FitResult fr = host::fit(*session, train, fo);
  bar.finish();
  if (!f.checkpoint_out.empty()) save_checkpoint(fr.position);
  const host::EvalResult after = host::evaluate(session->model(), eval.data);

  nlohmann::json report;
  report["tool"] = "tinyprop finetune";
  report["model_in"] = f.model_in;
  report["out"] = f.out;
  report["model"] = host::describe_model_spec(in.spec);
  report["dataset"] = f.data.describe("train");
  report["train_samples"] = train.size();
  report["epochs"] = f.opt.epochs;
  report["seed"] = f.seed;
  report["config"] = host::train_config_json(cfg);
  report["lr_end_factor"] = f.lr_end;
  report["eval"] = {{"data", eval.name},
                    {"samples", after.samples},
                    {"accuracy_before", before.accuracy},
                    {"accuracy_after", after.accuracy},
                    {"loss_before", before.loss},
                    {"loss_after", after.loss}};
  report["train_loss"] = fr.mean_loss;
  report["counters"] = host::counters_json(fr.counters, session->model());
  report["backward_ratio"] = fr.counters.backward_ratio();
  report["total_ratio"] = fr.counters.total_ratio();
  report["skip_rate"] = report["counters"]["skip_rate"];
  report["wall_seconds"] = fr.train_seconds;
  report["cpu_seconds"] = fr.train_cpu_seconds;
  report["command"] = inv.text();
  if (!f.resume.empty()) {
    report["resumed"] = {{"from", f.resume},
                         {"origin", resumed_from},
                         {"position", fo.start_position},
                         {"run_record_checked", resume_checked}};
  }
  if (!f.checkpoint_out.empty()) report["checkpoint_out"] = f.checkpoint_out;
  report["position"] = fr.position;
  report["run_samples"] = total;
  report["optimizer_state_loaded"] = f.load_optimizer_state;

  nlohmann::json meta;
  meta["tool"] = "tinyprop finetune";
  meta["from"] = f.model_in;
  meta["dataset"] = report["dataset"];
  meta["config"] = report["config"];
  meta["seed"] = f.seed;
  meta["accuracy"] = {{"eval", after.accuracy}, {"eval_data", eval.name}};
  meta["backward_ratio"] = report["backward_ratio"];
  meta["command"] = inv.text();

  host::ModelFile out;
  out.spec = in.spec;
  out.params.assign(session->model().params(),
                    session->model().params() + session->model().param_count());
  out.metadata = meta.dump();
  // Both files or neither: the report goes to a pending file first, the model is written
  // atomically, and only then the report is renamed into place. On any error the pending
  // file is removed and existing files keep their old contents.
  const std::string pending = f.report + ".pending";
  if (!f.report.empty()) host::write_text_file(pending, report.dump(2) + "\n");
  try {
    host::save_model(f.out, out);
  } catch (...) {
    if (!f.report.empty()) std::remove(pending.c_str());
    throw;
  }
  if (!f.report.empty() && std::rename(pending.c_str(), f.report.c_str()) != 0) {
    std::remove(pending.c_str());
    throw host::Error("--report: cannot rename " + pending + " to " + f.report);
  }

  std::string text = "fine-tuned " + f.model_in + " with " + f.method + " on " +
                     f.data.describe("train") + " (" + std::to_string(train.size()) +
                     " samples, " + host::fixed(fr.train_seconds, 2) + " s)\n";
  if (!f.resume.empty()) {
    text += "  resumed from " + f.resume + " (" + resumed_from + ") at sample " +
            std::to_string(fo.start_position) + " of " + std::to_string(total) +
            (resume_checked ? "" : "; no run record beside it, so --seed, --epochs, --lr, "
                                   "--lr-end and the data were not checked") +
            "\n";
  }
  if (f.load_optimizer_state) text += "  optimizer state loaded from " + f.model_in + "\n";
  if (fr.position < total) {
    text += "  stopped at sample " + std::to_string(fr.position) + " of " + std::to_string(total) +
            " (continue with --resume " + f.checkpoint_out + ")\n";
  }
  text += "  accuracy on " + eval.name + ": " + host::fixed(100.0 * before.accuracy, 2) +
          "% -> " + host::fixed(100.0 * after.accuracy, 2) + "%\n";
  text += "  backward MACs " + host::fixed(100.0 * fr.counters.backward_ratio(), 1) +
          "% of full, forward + backward " + host::fixed(100.0 * fr.counters.total_ratio(), 1) +
          "% of full";
  const RunCounters& rc = fr.counters;
  if (rc.forward_macs > 0 && rc.backward_macs > 0) {
    text += "\n  MACs executed (exact-zero inputs skipped): forward " +
            host::fixed(100.0 * static_cast<double>(rc.forward_macs_done) /
                            static_cast<double>(rc.forward_macs), 1) +
            "%, backward " +
            host::fixed(100.0 * static_cast<double>(rc.backward_macs_done) /
                            static_cast<double>(rc.backward_macs), 1) +
            "% of the dense counts";
  }
  const double skip = report["skip_rate"].get<double>();
  if (cfg.sparsity.method == Method::kTinyPropV2) text += ", skip rate " + host::fixed(skip, 3);
  text += "\n  mean k/N per layer:";
  for (uint32_t l : host::param_layers(in.spec)) {
    text += " " + host::layer_label(session->model(), l) + " " +
            host::fixed(fr.counters.mean_ratio(l), 3);
  }
  text += "\nwrote " + f.out + (f.report.empty() ? "" : " and " + f.report) +
          (f.checkpoint_out.empty() ? "" : " and the checkpoint " + f.checkpoint_out);
  emit(f.output, report, text);
  return 0;
}

}  // namespace

Action add_finetune(CLI::App& app, const Invocation& inv) {
  auto f = std::make_shared<FinetuneFlags>();
  f->opt.optimizer = "sgd";
  f->opt.batch = 1;
  f->opt.epochs = 1;
  CLI::App* cmd = app.add_subcommand("finetune", "Fine-tune a model with sparse backprop");
  cmd->add_option("--model-in", f->model_in, "Model file to start from (.tpm)")->required();
  cmd->add_option("--method", f->method, "full | static | tinyprop | tinypropv2 | budget");
  cmd->add_option("--ratio", f->ratio, "static: backpropagation ratio in (0, 1]");
  cmd->add_option("--s-min", f->s_min, "tinyprop: lower bound of the ratio");
  cmd->add_option("--s-max", f->s_max, "tinyprop: upper bound of the ratio");
  cmd->add_option("--zeta", f->zeta, "tinyprop: damping per layer away from the output, (0, 1]");
  cmd->add_option("--skip-threshold", f->skip_threshold,
                  "tinypropv2: skip a sample when Y_L / Y_max,L is below this");
  cmd->add_option("--budget", f->budget,
                  "budget: backward MACs per step as a fraction of full backprop's, (0, 1]");
  cmd->add_option("--max-backward-macs", f->max_backward_macs,
                  "Hard bound on the backward MACs of every step, any method (0 = none)");
  cmd->add_option("--conv-selection", f->conv_selection,
                  "Convolutions: top-k over output elements, or whole channels (element | channel)");
  cmd->add_option("--lr-end", f->lr_end,
                  "Learning rate at the end as a fraction of --lr (linear decay; 1 = constant)");
  f->data.add_to(cmd, true);
  cmd->add_option("--eval-csv", f->eval_csv, "CSV test data (with --csv)");
  f->opt.add_to(cmd);
  cmd->add_option("--seed", f->seed, "Seed of the sample order");
  cmd->add_option("--out", f->out, "Model file to write (.tpm)")->required();
  cmd->add_option("--report", f->report, "JSON report to write");
  cmd->add_option("--resume", f->resume,
                  "Continue the run of a checkpoint (or of a device's flash image) bit for bit; "
                  "give the flags the run started with (checked against the <checkpoint>.run.json "
                  "that --checkpoint-out writes beside it)");
  cmd->add_option("--checkpoint-out", f->checkpoint_out,
                  "Checkpoint of the whole training state to write at the end (and see --checkpoint-every)");
  cmd->add_option("--checkpoint-every", f->checkpoint_every,
                  "Also write --checkpoint-out every N samples");
  cmd->add_option("--stop-after", f->stop_after,
                  "Stop once N samples of the run are done (continue later with --resume)");
  cmd->add_flag("--load-optimizer-state", f->load_optimizer_state,
                "Start from the optimizer state --model-in holds (train --save-optimizer-state)");
  f->output.add_to(cmd);
  return [f, &inv]() { return run_finetune(*f, inv); };
}

}  // namespace tinyprop::cli
