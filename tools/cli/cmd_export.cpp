// tinyprop export: a C header with the architecture and the weights, for firmware builds.
#include <cctype>
#include <memory>

#include "cli_common.h"
#include "util/error.h"
#include "formats/model_file.h"
#include "experiments/report.h"

namespace tinyprop::cli {
namespace {

struct ExportFlags {
  std::string model_in;
  std::string out;
  std::string symbol;
  uint32_t freeze = 0;
  OutputFlags output;
};

// "models/mnist-mlp.tpm" -> "mnist_mlp": the file's stem with non-identifier characters
// replaced, prefixed with "m_" if it would start with a digit.
std::string symbol_from_path(const std::string& path) {
  std::string stem = path.substr(path.find_last_of('/') == std::string::npos
                                     ? 0
                                     : path.find_last_of('/') + 1);
  const size_t dot = stem.find('.');
  if (dot != std::string::npos) stem = stem.substr(0, dot);
  std::string s;
  for (char c : stem) s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) s = "m_" + s;
  return s;
}

bool is_c_identifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

int run_export(const ExportFlags& f) {
  const std::string symbol = f.symbol.empty() ? symbol_from_path(f.model_in) : f.symbol;
  require(is_c_identifier(symbol), "--symbol '" + symbol + "': not a C identifier");
  host::check_output_path(f.out, "--out", {{"--model-in", f.model_in}});
  host::ModelFile file = host::load_model(f.model_in);
  // --freeze N: the first N layers with parameters are exported frozen (the device fine-tunes
  // only the rest, and can leave the frozen weights in flash).
  uint32_t with_params = 0;
  for (uint32_t i = 0; i < file.spec.n_layers; ++i) {
    LayerSpec& l = file.spec.layers[i];
    if (!layer_has_params(l.kind)) continue;
    if (with_params < f.freeze) l.trainable = false;
    ++with_params;
  }
  require(f.freeze <= with_params, "--freeze " + std::to_string(f.freeze) + ": the model has only " +
                                        std::to_string(with_params) + " layers with parameters");
  host::export_c_header(f.out, file, symbol);
  nlohmann::json j;
  j["model_in"] = f.model_in;
  j["out"] = f.out;
  j["symbol"] = symbol;
  j["model"] = host::describe_model_spec(file.spec);
  j["parameters"] = file.params.size();
  j["frozen_layers"] = f.freeze;
  emit(f.output, j,
       "wrote " + f.out + " (" + host::describe_model_spec(file.spec) + ", " +
           std::to_string(file.params.size()) + " parameters, symbol prefix " + symbol + ")");
  return 0;
}

}  // namespace

Action add_export(CLI::App& app, const Invocation&) {
  auto f = std::make_shared<ExportFlags>();
  CLI::App* cmd = app.add_subcommand("export", "Write a model as a C header for firmware");
  cmd->add_option("--model-in", f->model_in, "Model file (.tpm)")->required();
  cmd->add_option("--out", f->out, "Header file to write (.h)")->required();
  cmd->add_option("--symbol", f->symbol, "C identifier prefix (default: from the file name)");
  cmd->add_option("--freeze", f->freeze,
                  "Export the first N layers with parameters frozen (their weights can stay in "
                  "flash)");
  f->output.add_to(cmd);
  return [f]() { return run_export(*f); };
}

}  // namespace tinyprop::cli
