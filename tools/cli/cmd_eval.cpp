// tinyprop eval: accuracy and loss of a model file on a dataset.
#include <memory>

#include "cli_common.h"
#include "util/error.h"
#include "formats/model_file.h"
#include "experiments/report.h"
#include "experiments/train_loop.h"

namespace tinyprop::cli {
namespace {

struct EvalFlags {
  std::string model_in;
  DataFlags data;
  std::string part = "test";
  OutputFlags output;
};

int run_eval(const EvalFlags& f) {
  require(f.part == "train" || f.part == "test", "--part '" + f.part + "': expected train or test");
  const host::ModelFile file = host::load_model(f.model_in);
  const host::Dataset data = f.data.load(f.part);
  const std::string name = f.data.describe(f.part);
  host::check_fits(file.spec, data, name);

  // The model's own memory only: no training state (and a model with every layer frozen works).
  auto inference = std::make_unique<host::InferenceModel>(file.spec);
  host::copy_params_into(file, inference->model());
  Model& model = inference->model();
  const host::EvalResult r = host::evaluate(model, data);

  const uint32_t classes = model.output_size();
  const std::vector<size_t>& count = r.class_samples;
  const std::vector<size_t>& hits = r.class_hits;
  nlohmann::json per_class = nlohmann::json::array();
  std::string class_text;
  for (uint32_t c = 0; c < classes; ++c) {
    if (count[c] == 0) continue;
    const double acc = static_cast<double>(hits[c]) / static_cast<double>(count[c]);
    per_class.push_back({{"class", c}, {"samples", count[c]}, {"accuracy", acc}});
    class_text += " " + std::to_string(c) + ":" + host::fixed(100.0 * acc, 1);
  }

  nlohmann::json j;
  j["model_in"] = f.model_in;
  j["model"] = host::describe_model_spec(file.spec);
  j["data"] = name;
  j["samples"] = r.samples;
  j["accuracy"] = r.accuracy;
  j["loss"] = r.loss;
  j["per_class"] = per_class;
  const std::string text = f.model_in + " on " + name + " (" + std::to_string(r.samples) +
                           " samples): accuracy " + host::fixed(100.0 * r.accuracy, 2) +
                           "%, loss " + host::fixed(r.loss, 4) + "\n  per class %:" + class_text;
  emit(f.output, j, text);
  return 0;
}

}  // namespace

Action add_eval(CLI::App& app, const Invocation&) {
  auto f = std::make_shared<EvalFlags>();
  CLI::App* cmd = app.add_subcommand("eval", "Accuracy and loss of a model on a dataset");
  cmd->add_option("--model-in", f->model_in, "Model file (.tpm)")->required();
  f->data.add_to(cmd, true);
  cmd->add_option("--part", f->part, "Part of a named dataset: train | test");
  f->output.add_to(cmd);
  return [f]() { return run_eval(*f); };
}

}  // namespace tinyprop::cli
