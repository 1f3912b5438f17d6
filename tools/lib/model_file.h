// The .tpm model file: a versioned, little-endian binary format with a CRC32, written
// atomically. See docs/MODEL_FORMAT.md for the byte layout.
#pragma once
#include <stdint.h>

#include <string>
#include <vector>

#include "tinyprop/model.h"
#include "tinyprop/spec.h"
#include "tinyprop/train_config.h"

namespace tinyprop::host {

struct ModelFile {
  ModelSpec spec;
  std::vector<float> params;         // spec.param_count() floats, Model::params() order
  // Optional optimizer state (for resuming): kind and the moment buffers, concatenated in
  // layer order (m_w, m_b[, v_w, v_b] per trainable layer). Empty when absent.
  bool has_optimizer_state = false;
  OptimizerKind optimizer = OptimizerKind::kSgd;
  uint64_t optimizer_steps = 0;
  std::vector<float> optimizer_state;
  std::string metadata;              // free text (JSON by convention): provenance, accuracy
};

// Writes to path + ".tmp", fsyncs, then renames over path: a crash never leaves a half-written
// model where a good one was. Throws host::Error.
void save_model(const std::string& path, const ModelFile& file);
// Reads and validates everything (magic, version, sizes, spec, CRC32). Throws host::Error with
// a one-line message ("model.tpm: CRC mismatch (file damaged)", ...).
ModelFile load_model(const std::string& path);

// Copies a loaded file into a model bound from file.spec (parameter counts must match).
void copy_params_into(const ModelFile& file, Model& model);

// Text model specs: "mlp:784-128-64-10" (ReLU between dense layers, softmax cross-entropy).
// Optional activation suffix: "mlp:784-128-10:tanh" (relu|leaky_relu|sigmoid|tanh).
// Throws host::Error naming what is wrong.
ModelSpec parse_model_spec(const std::string& text);
// The canonical text of a spec where it has one (MLPs); otherwise a readable layer list.
std::string describe_model_spec(const ModelSpec& spec);

// A C header for firmware: architecture constants and `static const float` arrays, guarded,
// with a comment naming the source file. symbol: a C identifier prefix, e.g. "mnist_mlp".
void export_c_header(const std::string& path, const ModelFile& file, const std::string& symbol);

}  // namespace tinyprop::host
