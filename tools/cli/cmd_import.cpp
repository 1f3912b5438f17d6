// tinyprop import: an ONNX model as a .tpm file (operators and layouts in docs/MODEL_FORMAT.md,
// "ONNX"), optionally with only some layers trainable (a frozen backbone, a trainable head).
#include <memory>

#include "cli_common.h"
#include "formats/model_file.h"
#include "formats/onnx_model.h"
#include "experiments/report.h"
#include "util/error.h"

namespace tinyprop::cli {
namespace {

struct ImportFlags {
  std::string model;
  std::string out;
  std::string trainable;
  OutputFlags output;
};

int run_import(const ImportFlags& f) {
  host::check_output_path(f.out, "--out", {{"model", f.model}});
  host::OnnxImportOptions options;
  options.trainable = f.trainable;
  const host::OnnxImport im = host::import_onnx_file(f.model, options);
  host::save_model(f.out, im.file);
  uint32_t frozen = 0;
  for (uint32_t i = 0; i < im.file.spec.n_layers; ++i) {
    const LayerSpec& l = im.file.spec.layers[i];
    frozen += layer_has_params(l.kind) && !l.trainable ? 1 : 0;
  }
  nlohmann::json j;
  j["model"] = f.model;
  j["out"] = f.out;
  j["spec"] = host::describe_model_spec(im.file.spec);
  j["parameters"] = im.file.params.size();
  j["frozen_layers"] = frozen;
  j["layers"] = im.layer_names;
  j["notes"] = im.notes;
  std::string text = "wrote " + f.out + " (" + host::describe_model_spec(im.file.spec) + ", " +
                     std::to_string(im.file.params.size()) + " parameters, " +
                     std::to_string(frozen) + " frozen layers)";
  for (const std::string& note : im.notes) text += "\n  " + note;
  emit(f.output, j, text);
  return 0;
}

}  // namespace

Action add_import(CLI::App& app, const Invocation&) {
  auto f = std::make_shared<ImportFlags>();
  CLI::App* cmd = app.add_subcommand("import", "Convert an ONNX model to a model file (.tpm)");
  cmd->add_option("model", f->model, "ONNX model (.onnx)")->required();
  cmd->add_option("--out", f->out, "Model file to write (.tpm)")->required();
  cmd->add_option("--trainable", f->trainable,
                  "Layers that train, the rest frozen: last:N (the last N layers with parameters) "
                  "or node names a,b (default: all)");
  f->output.add_to(cmd);
  return [f]() { return run_import(*f); };
}

}  // namespace tinyprop::cli
