// ONNX models in and out (docs/MODEL_FORMAT.md, "ONNX"). Import maps a chain of ONNX operators to a
// ModelSpec with its parameters in the core's channels-last layout; export writes a ModelFile as an
// ONNX model in the conventional NCHW layout, which imports back to the same spec and parameters.
#pragma once
#include <stdint.h>

#include <string>
#include <vector>

#include "formats/model_file.h"

namespace tinyprop::host {

struct OnnxImportOptions {
  // Which layers with parameters train: "" (all, or what a tinyprop export recorded),
  // "last:N" (the last N, the rest frozen), or node names "fc1,fc2" (those, the rest frozen).
  std::string trainable;
};

struct OnnxImport {
  ModelFile file;                        // metadata: JSON naming the source and the layers
  std::vector<std::string> layer_names;  // per spec layer: the ONNX node it came from
  std::vector<std::string> notes;        // what was folded or dropped, one line each
};

// Throws host::Error("<name>: node 'x' (Op): <reason>") for anything it cannot map exactly.
OnnxImport import_onnx(const std::vector<uint8_t>& bytes, const std::string& name,
                       const OnnxImportOptions& options);
OnnxImport import_onnx_file(const std::string& path, const OnnxImportOptions& options);

// The ONNX model of a file (opset 13): Gemm, Conv, pools, activations, Flatten; the loss and the
// frozen layers recorded in metadata_props ("tinyprop.loss", "tinyprop.trainable").
std::vector<uint8_t> encode_onnx(const ModelFile& file);
// encode_onnx written atomically to path.
void save_onnx(const std::string& path, const ModelFile& file);

}  // namespace tinyprop::host
