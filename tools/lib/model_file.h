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

// load_model on bytes already in memory; `name` stands for the file in messages. For tests and
// fuzzing: every check of load_model happens here.
ModelFile load_model_from_bytes(const std::vector<uint8_t>& bytes, const std::string& name);
// The exact bytes save_model writes (after the same validation).
std::vector<uint8_t> encode_model(const ModelFile& file, const std::string& name);

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
// The same, naming `source` (e.g. the .tpm path) in the header's provenance comment.
void export_c_header(const std::string& path, const ModelFile& file, const std::string& symbol,
                     const std::string& source);

}  // namespace tinyprop::host
