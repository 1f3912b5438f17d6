// tinyprop info: architecture, parameter count, and the arena bytes per region that training
// needs with each optimizer, at batch size 1 and at a given batch size.
#include <memory>
#include <sstream>

#include "cli_common.h"
#include "error.h"
#include "model_file.h"
#include "report.h"
#include "train_loop.h"

namespace tinyprop::cli {
namespace {

struct InfoFlags {
  std::string model_in;
  std::string model;
  uint32_t batch = 32;
  OutputFlags output;
};

struct OptimizerCase {
  const char* name;
  OptimizerKind kind;
  float momentum;
};
constexpr OptimizerCase kOptimizers[] = {
    {"sgd", OptimizerKind::kSgd, 0.0f},
    {"sgd+momentum", OptimizerKind::kSgd, 0.9f},
    {"adam", OptimizerKind::kAdam, 0.0f},
};

std::string pad(const std::string& s, size_t w) {
  return s.size() >= w ? s : std::string(w - s.size(), ' ') + s;
}

int run_info(const InfoFlags& f) {
  require(f.model_in.empty() != f.model.empty(), "give exactly one of --model-in and --model");
  require(f.batch >= 1, "--batch must be at least 1");
  host::ModelFile file;
  if (!f.model_in.empty()) {
    file = host::load_model(f.model_in);
  } else {
    file.spec = host::parse_model_spec(f.model);
  }
  const ModelSpec& spec = file.spec;
  // Layer shapes and counts from a planning arena: nothing is allocated for the parameters.
  Arena planning;
  Model model;
  const Status bs = model.bind(spec, planning);
  require(ok(bs), host::spec_problem(spec));

  nlohmann::json j;
  j["model"] = host::describe_model_spec(spec);
  if (!f.model_in.empty()) j["model_in"] = f.model_in;
  std::ostringstream t;
  t << "model " << host::describe_model_spec(spec)
    << (f.model_in.empty() ? "" : " (" + f.model_in + ")") << "\n";
  nlohmann::json layers = nlohmann::json::array();
  for (uint32_t i = 0; i < model.n_layers(); ++i) {
    const Layer& l = model.layer(i);
    const uint32_t params = l.n_weights + l.n_bias;
    layers.push_back({{"index", i},
                      {"kind", layer_kind_name(l.spec.kind)},
                      {"in", l.in_size},
                      {"out", l.out_size},
                      {"params", params},
                      {"trainable", layer_has_params(l.spec.kind) && l.spec.trainable}});
    t << "  " << i << " " << layer_kind_name(l.spec.kind) << " " << l.in_size << " -> "
      << l.out_size;
    if (params > 0) t << ", " << params << " parameters";
    t << "\n";
  }
  j["layers"] = layers;
  j["parameters"] = spec.param_count();
  j["forward_macs"] = model.forward_macs();
  t << "parameters: " << spec.param_count() << " (" << spec.param_count() * sizeof(float)
    << " bytes as float32); forward MACs per sample: " << model.forward_macs() << "\n";

  MemoryPlan inference;
  const Status s = Model::plan(spec, &inference);
  require(ok(s), std::string("cannot plan the model: ") + status_name(s));
  j["memory"]["inference"] = host::memory_plan_json(inference);

  // Table: one row per optimizer and batch size, one column per region.
  const size_t regions = static_cast<size_t>(Region::kCount);
  t << "planned arena bytes (model + training state):\n" << pad("optimizer", 14) << pad("batch", 7);
  for (size_t r = 0; r < regions; ++r) t << pad(region_name(static_cast<Region>(r)), 16);
  t << pad("total", 12) << "\n";
  t << pad("inference", 14) << pad("-", 7);
  for (size_t r = 0; r < regions; ++r) t << pad(std::to_string(inference.bytes[r]), 16);
  t << pad(std::to_string(inference.total()), 12) << "\n";
  nlohmann::json training = nlohmann::json::array();
  std::vector<uint32_t> batches{1};
  if (f.batch != 1) batches.push_back(f.batch);
  for (const OptimizerCase& o : kOptimizers) {
    for (uint32_t b : batches) {
      TrainConfig cfg;
      cfg.optimizer.kind = o.kind;
      cfg.optimizer.momentum = o.momentum;
      cfg.batch_size = b;
      MemoryPlan plan;
      const Status ps = Trainer::plan(spec, cfg, &plan);
      if (ps == Status::kNothingToTrain) continue;  // every layer frozen: inference only
      require(ok(ps), std::string("cannot plan training: ") + status_name(ps));
      training.push_back({{"optimizer", o.name}, {"batch", b}, {"bytes", host::memory_plan_json(plan)}});
      t << pad(o.name, 14) << pad(std::to_string(b), 7);
      for (size_t r = 0; r < regions; ++r) t << pad(std::to_string(plan.bytes[r]), 16);
      t << pad(std::to_string(plan.total()), 12) << "\n";
    }
  }
  j["memory"]["training"] = training;
  if (training.empty()) t << "(no trainable layer: the model can only be evaluated)\n";

  if (!f.model_in.empty()) {
    j["has_optimizer_state"] = file.has_optimizer_state;
    const nlohmann::json meta = nlohmann::json::parse(file.metadata, nullptr, false);
    j["metadata"] = meta.is_discarded() ? nlohmann::json(file.metadata) : meta;
    t << "metadata: " << (file.metadata.empty() ? "(none)" : file.metadata) << "\n";
  }
  emit(f.output, j, t.str());
  return 0;
}

}  // namespace

Action add_info(CLI::App& app, const Invocation&) {
  auto f = std::make_shared<InfoFlags>();
  CLI::App* cmd = app.add_subcommand("info", "Architecture, parameters and planned memory");
  cmd->add_option("--model-in", f->model_in, "Model file (.tpm)");
  cmd->add_option("--model", f->model, "Or a model spec, e.g. mlp:784-128-64-10");
  cmd->add_option("--batch", f->batch, "Batch size to plan for besides 1");
  f->output.add_to(cmd);
  return [f]() { return run_info(*f); };
}

}  // namespace tinyprop::cli
