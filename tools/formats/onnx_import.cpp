// ONNX -> ModelSpec + parameters (onnx_model.h). Each supported operator maps to one core layer,
// or folds into one, exactly; anything else is refused with the node and the reason.
// Layouts: ONNX is NCHW, the core channels-last (HWC). Conv weights [C_out, C_in, K_h, K_w] become
// [C_out, K_h, K_w, C_in]; after a Flatten of a C x H x W map the next dense layer's columns are
// reordered from (c, h, w) to (h, w, c), so that it reads the same input values.
#include <math.h>

#include <nlohmann/json.hpp>

#include "data/file_bytes.h"
#include "formats/onnx_graph.h"
#include "formats/onnx_import_layers.h"
#include "formats/onnx_model.h"
#include "util/error.h"

namespace tinyprop::host {
namespace {

using onnx_io::ChainNode;

// --trainable: "" keeps what the file says (all trainable unless a tinyprop export recorded
// frozen layers), "last:N" or a list of node names.
void apply_trainable(const std::string& option, const std::string& name, const onnx_io::Chain& chain,
                     const std::vector<std::string>& layer_names, ModelSpec* spec) {
  std::vector<uint32_t> with_params;
  for (uint32_t i = 0; i < spec->n_layers; ++i) {
    if (layer_has_params(spec->layers[i].kind)) with_params.push_back(i);
  }
  std::vector<bool> train(with_params.size(), true);
  if (option.empty()) {
    auto recorded = chain.metadata.find("tinyprop.trainable");
    if (recorded != chain.metadata.end()) {
      const std::string& s = recorded->second;
      if (s.size() != with_params.size() || s.find_first_not_of("01") != std::string::npos) {
        throw Error(name + ": metadata tinyprop.trainable '" + onnx_io::printable(s) + "' does not match the " +
                    std::to_string(with_params.size()) + " layers with parameters");
      }
      for (size_t k = 0; k < s.size(); ++k) train[k] = s[k] == '1';
    }
  } else if (option.rfind("last:", 0) == 0) {
    const std::string n_text = option.substr(5);
    if (n_text.empty() || n_text.find_first_not_of("0123456789") != std::string::npos ||
        n_text.size() > 6 || std::stoul(n_text) > with_params.size()) {
      throw Error("--trainable " + option + ": expected last:N with N from 0 to " +
                  std::to_string(with_params.size()) + " (the layers with parameters)");
    }
    const size_t n = std::stoul(n_text);
    for (size_t k = 0; k < train.size(); ++k) train[k] = k + n >= train.size();
  } else {
    std::vector<bool> named(train.size(), false);
    std::string known;
    for (uint32_t i : with_params) known += (known.empty() ? "" : ", ") + layer_names[i];
    size_t start = 0;
    while (start <= option.size()) {
      const size_t comma = option.find(',', start);
      const std::string item = option.substr(start, comma == std::string::npos ? comma : comma - start);
      bool found = false;
      for (size_t k = 0; k < with_params.size(); ++k) {
        if (layer_names[with_params[k]] == item) named[k] = found = true;
      }
      if (!found) {
        throw Error("--trainable: no layer with parameters is named '" + item + "' (these are: " +
                    known + ")");
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    train = named;
  }
  for (size_t k = 0; k < with_params.size(); ++k) spec->layers[with_params[k]].trainable = train[k];
}

LossKind loss_from_metadata(const onnx_io::Chain& chain, const std::string& name) {
  auto it = chain.metadata.find("tinyprop.loss");
  if (it == chain.metadata.end()) return LossKind::kSoftmaxCrossEntropy;
  for (LossKind k : {LossKind::kSoftmaxCrossEntropy, LossKind::kBinaryCrossEntropy,
                     LossKind::kMeanSquaredError}) {
    if (it->second == loss_kind_name(k)) return k;
  }
  throw Error(name + ": metadata tinyprop.loss '" + onnx_io::printable(it->second) + "' is not a loss of the core");
}

}  // namespace

OnnxImport import_onnx(const std::vector<uint8_t>& bytes, const std::string& name,
                       const OnnxImportOptions& options) {
  onnx::ModelProto model;
  if (bytes.size() > (1u << 30) ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    throw Error(name + ": not an ONNX model (the protobuf message does not parse: truncated, "
                       "damaged or another kind of file)");
  }
  const onnx_io::Chain chain = onnx_io::read_chain(model, name);
  onnx_io::LayerBuilder builder(name, chain.input_dims);
  for (size_t i = 0; i < chain.nodes.size(); ++i) {
    builder.add(chain.nodes[i], chain.opset, i + 1 == chain.nodes.size());
  }
  OnnxImport out;
  out.file.spec = builder.finish(&out.file.params);
  out.file.spec.loss = loss_from_metadata(chain, name);
  out.layer_names = builder.layer_names();
  out.notes = builder.notes();
  apply_trainable(options.trainable, name, chain, out.layer_names, &out.file.spec);
  const std::string problem = spec_problem(out.file.spec);
  if (!problem.empty()) throw Error(name + ": the imported model is not valid: " + problem);
  nlohmann::json meta;
  meta["source"] = "onnx";
  meta["file"] = name;
  meta["producer"] = onnx_io::printable(model.producer_name() + " " + model.producer_version());
  meta["opset"] = chain.opset;
  meta["layers"] = out.layer_names;
  out.file.metadata = meta.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return out;
}

OnnxImport import_onnx_file(const std::string& path, const OnnxImportOptions& options) {
  return import_onnx(read_file_bytes(path, 1u << 30), path, options);
}

}  // namespace tinyprop::host
