// tinyprop info: architecture, parameter count, and the arena bytes per region that training
// needs with each optimizer, at batch size 1 and at a given batch size. With --checkpoint: what
// a checkpoint file or a device's flash image holds.
#include <cstdio>
#include <memory>
#include <sstream>

#include "formats/checkpoint_file.h"
#include "formats/run_record.h"
#include "cli_common.h"
#include "util/error.h"
#include "formats/model_file.h"
#include "experiments/report.h"
#include "experiments/train_loop.h"

namespace tinyprop::cli {
namespace {

struct InfoFlags {
  std::string model_in;
  std::string model;
  std::string checkpoint;
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

std::string hex32(uint32_t v) {
  char buf[16];
  snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

nlohmann::json checkpoint_json(const CheckpointInfo& c) {
  const bool adam = c.optimizer == static_cast<uint8_t>(OptimizerKind::kAdam);
  return {{"version", c.version},
          {"mode", c.full() ? "full" : "weights-only"},
          {"bytes", c.total_bytes},
          {"position", c.position},
          {"optimizer", adam ? "adam" : (c.state_per_param == 1 ? "sgd+momentum" : "sgd")},
          {"method", c.method <= 3 ? method_name(static_cast<Method>(c.method)) : "unknown"},
          {"batch", c.batch_size},
          {"pending_batch_samples", c.in_batch},
          {"optimizer_steps", c.optimizer_steps},
          {"beta1_pow", c.beta1_pow},
          {"beta2_pow", c.beta2_pow},
          {"learning_rate", c.learning_rate},
          {"last_loss", c.last_loss},
          {"trainable_layers", c.trainable_layers},
          {"trainable_params", c.trainable_params},
          {"spec_hash", hex32(c.spec_hash)},
          {"config_hash", hex32(c.config_hash)},
          {"frozen_crc", hex32(c.frozen_crc)}};
}

int run_checkpoint_info(const InfoFlags& f) {
  const host::CheckpointBytes ck = host::read_checkpoint(f.checkpoint);
  nlohmann::json j = checkpoint_json(ck.info);
  j["checkpoint"] = f.checkpoint;
  j["origin"] = ck.origin;
  std::ostringstream t;
  t << "checkpoint " << f.checkpoint << " (" << ck.origin << ")\n";
  for (const auto& [key, value] : j.items()) {
    if (key == "checkpoint" || key == "origin") continue;
    t << "  " << key << ": " << (value.is_string() ? value.get<std::string>() : value.dump()) << "\n";
  }
  if (!ck.slots.empty()) {
    nlohmann::json slots = nlohmann::json::array();
    for (const host::FlashSlotSummary& s : ck.slots) {
      slots.push_back({{"slot", s.index}, {"valid", s.state.valid}, {"sequence", s.state.sequence},
                       {"position", s.state.valid ? s.info.position : 0}});
      t << "  slot " << s.index << ": "
        << (s.state.valid ? "sequence " + std::to_string(s.state.sequence) + ", sample " +
                                std::to_string(s.info.position)
                          : std::string("empty or damaged"))
        << "\n";
    }
    j["slots"] = slots;
  }
  // The host's part of the run (seed, schedule, data), if `finetune` wrote it beside.
  host::RunRecord record;
  if (host::read_run_record(f.checkpoint, &record)) {
    j["run_record"] = host::run_record_json(record);
    j["run_record"]["path"] = host::run_record_path(f.checkpoint);
    t << "  run record " << host::run_record_path(f.checkpoint) << ": "
      << host::describe_run_record(record) << "\n";
  } else {
    j["run_record"] = nullptr;
  }
  if (!f.model_in.empty() || !f.model.empty()) {
    const ModelSpec spec = f.model_in.empty() ? host::parse_model_spec(f.model)
                                              : host::load_model(f.model_in).spec;
    const bool same = checkpoint_spec_hash(spec) == ck.info.spec_hash;
    j["matches_model"] = same;
    t << "  model " << host::describe_model_spec(spec) << ": "
      << (same ? "this checkpoint belongs to it" : "made for another model") << "\n";
  }
  emit(f.output, j, t.str());
  return 0;
}

int run_info(const InfoFlags& f) {
  if (!f.checkpoint.empty()) {
    require(f.model_in.empty() || f.model.empty(), "give at most one of --model-in and --model");
    return run_checkpoint_info(f);
  }
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
  t << "planned arena bytes (model + training state), then the bytes of a checkpoint (full state,\n"
       "weights only):\n"
    << pad("optimizer", 14) << pad("batch", 7);
  for (size_t r = 0; r < regions; ++r) t << pad(region_name(static_cast<Region>(r)), 16);
  t << pad("total", 12) << pad("checkpoint", 12) << pad("weights-only", 14) << "\n";
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
      // Checkpoint bytes (docs/CHECKPOINTS.md) of a trainer of this configuration.
      const uint32_t full = checkpoint_size(model, cfg, CheckpointMode::kFull);
      const uint32_t weights = checkpoint_size(model, cfg, CheckpointMode::kWeightsOnly);
      training.push_back({{"optimizer", o.name},
                          {"batch", b},
                          {"bytes", host::memory_plan_json(plan)},
                          {"checkpoint_bytes", {{"full", full}, {"weights_only", weights}}}});
      t << pad(o.name, 14) << pad(std::to_string(b), 7);
      for (size_t r = 0; r < regions; ++r) t << pad(std::to_string(plan.bytes[r]), 16);
      t << pad(std::to_string(plan.total()), 12) << pad(std::to_string(full), 12)
        << pad(std::to_string(weights), 14) << "\n";
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
  cmd->add_option("--checkpoint", f->checkpoint,
                  "Describe a checkpoint or a device's flash image instead (with --model-in or "
                  "--model: check that it belongs to that model)");
  f->output.add_to(cmd);
  return [f]() { return run_info(*f); };
}

}  // namespace tinyprop::cli
