// tinyprop train: pretrain a model on the host with full backpropagation and write a .tpm file.
#include <memory>

#include "cli_common.h"
#include "util/error.h"
#include "formats/model_file.h"
#include "util/progress.h"
#include "experiments/report.h"
#include "tinyprop/optimizer.h"
#include "experiments/train_loop.h"

namespace tinyprop::cli {
namespace {

struct TrainFlags {
  std::string model;
  DataFlags data;
  std::string eval_csv;
  OptimizerFlags opt;
  uint64_t seed = 1;
  std::string out;
  bool save_optimizer_state = false;
  OutputFlags output;
};

// The trainer's moment buffers in the file's order: per trainable layer m_w, m_b[, v_w, v_b].
void copy_optimizer_state(host::Session& s, host::ModelFile* file) {
  const TrainConfig& cfg = s.trainer().config();
  const uint32_t per_param = optimizer_state_per_param(cfg.optimizer);
  if (per_param == 0) return;
  file->has_optimizer_state = true;
  file->optimizer = cfg.optimizer.kind;
  file->optimizer_steps = s.trainer().optimizer_steps();
  for (uint32_t i = 0; i < s.model().n_layers(); ++i) {
    const LayerTrainState& st = s.trainer().state(i);
    if (!st.trainable) continue;
    const Layer& l = s.model().layer(i);
    auto append = [&](const float* p, uint32_t n) {
      file->optimizer_state.insert(file->optimizer_state.end(), p, p + n);
    };
    append(st.m_w, l.n_weights);
    append(st.m_b, l.n_bias);
    if (per_param >= 2) {
      append(st.v_w, l.n_weights);
      append(st.v_b, l.n_bias);
    }
  }
}

int run_train(const TrainFlags& f, const Invocation& inv) {
  const ModelSpec spec = host::parse_model_spec(f.model);
  TrainConfig cfg;
  f.opt.apply(&cfg, 0.01f, 1e-3f);
  host::check_output_path(f.out, "--out",
                          {{"--csv", f.data.csv}, {"--eval-csv", f.eval_csv}});

  const host::Dataset train = f.data.load("train");
  host::check_fits(spec, train, f.data.describe("train"));
  const EvalData test = load_eval_data(f.data, f.eval_csv);
  if (!test.name.empty()) host::check_fits(spec, test.data, test.name);

  auto session = std::make_unique<host::Session>(spec, cfg);
  Rng rng(f.seed);
  session->model().init_params(rng);
  host::FitOptions fo;
  fo.epochs = f.opt.epochs;
  fo.order_seed = f.seed * 1000 + 100;
  host::Progress bar("train", train.size() * f.opt.epochs, f.output.progress());
  fo.progress = [&](uint64_t done, uint64_t) { bar.set(done); };
  const host::FitResult fr = host::fit(*session, train, fo);
  bar.finish();

  const host::EvalResult on_train = host::evaluate(session->model(), train);
  host::EvalResult on_test;
  if (!test.name.empty()) on_test = host::evaluate(session->model(), test.data);

  nlohmann::json meta;
  meta["tool"] = "tinyprop train";
  meta["model"] = host::describe_model_spec(spec);
  meta["dataset"] = f.data.describe("train");
  meta["train_samples"] = train.size();
  meta["seed"] = f.seed;
  meta["config"] = host::train_config_json(cfg);
  meta["epochs"] = f.opt.epochs;
  meta["accuracy"] = {{"train", on_train.accuracy}};
  if (!test.name.empty()) {
    meta["accuracy"]["test"] = on_test.accuracy;
    meta["test_data"] = test.name;
  }
  meta["train_seconds"] = fr.train_seconds;
  meta["command"] = inv.text();

  host::ModelFile file;
  file.spec = spec;
  file.params.assign(session->model().params(),
                     session->model().params() + session->model().param_count());
  if (f.save_optimizer_state) copy_optimizer_state(*session, &file);
  file.metadata = meta.dump();
  host::save_model(f.out, file);

  nlohmann::json j = meta;
  j["out"] = f.out;
  j["train_loss"] = fr.mean_loss;
  j["parameters"] = spec.param_count();
  std::string text = "trained " + host::describe_model_spec(spec) + " on " +
                     f.data.describe("train") + " (" + std::to_string(train.size()) +
                     " samples, " + std::to_string(f.opt.epochs) + " epochs, " +
                     host::fixed(fr.train_seconds, 1) + " s): train accuracy " +
                     host::fixed(100.0 * on_train.accuracy, 2) + "%";
  if (!test.name.empty()) {
    text += ", " + test.name + " accuracy " + host::fixed(100.0 * on_test.accuracy, 2) + "%";
  }
  text += "\nwrote " + f.out;
  emit(f.output, j, text);
  return 0;
}

}  // namespace

Action add_train(CLI::App& app, const Invocation& inv) {
  auto f = std::make_shared<TrainFlags>();
  f->opt.optimizer = "adam";
  f->opt.batch = 32;
  f->opt.epochs = 5;
  f->opt.allow_zero_epochs = true;  // an initialised, untrained model (others' protocols)
  CLI::App* cmd = app.add_subcommand("train", "Pretrain a model on the host (full backprop)");
  cmd->add_option("--model", f->model, "Model spec, e.g. mlp:784-128-64-10")->required();
  f->data.add_to(cmd, true);
  cmd->add_option("--eval-csv", f->eval_csv, "CSV test data (with --csv)");
  f->opt.add_to(cmd);
  cmd->add_option("--seed", f->seed, "Seed of initialisation and sample order");
  cmd->add_option("--out", f->out, "Model file to write (.tpm)")->required();
  cmd->add_flag("--save-optimizer-state", f->save_optimizer_state,
                "Store the optimizer moments in the model file");
  f->output.add_to(cmd);
  return [f, &inv]() { return run_train(*f, inv); };
}

}  // namespace tinyprop::cli
