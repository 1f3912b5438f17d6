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

// "" for a valid spec, else one line naming the status and, where one layer is to blame,
// which and the size that does not fit: "invalid model spec (too large) at layer 2 (dense):
// 2147441940 parameters, 4294837480 with the layers before it (at most 2147483647 in a model)".
std::string spec_problem(const ModelSpec& spec);
// The part of spec_problem after the status: " at layer 2 (dense): ..." ("" when no single
// layer is to blame, e.g. only the loss objects).
std::string spec_blame(const ModelSpec& spec);

// Copies a loaded file into a model bound from file.spec (parameter counts must match).
void copy_params_into(const ModelFile& file, Model& model);

// Parameters of layer i of a valid spec, as a bound Model's layer(i).n_weights / n_bias:
// dense W [units, in], conv2d W [C_out, K_h, K_w, C_in], depthwise W [C, K_h, K_w], each with
// one bias per row; 0 and 0 for layers without parameters.
struct LayerParamCount {
  uint32_t weights = 0, bias = 0;
};
LayerParamCount layer_param_count(const ModelSpec& spec, uint32_t i);

// Text model specs (grammar in docs/MODEL_FORMAT.md, "Model specs as text"), softmax
// cross-entropy at the end:
//   "mlp:784-128-64-10"                MLP, ReLU between dense layers
//   "cnn:28x28x1-c8k3-p2-c16k3-p2-d10" CNN: input HxWxC, conv2d (c<F>k<K>[s<S>][pad<P>|+same]),
//                                      depthwise (dw<K>...), max / avg pooling (m<K>, a<K>; p<K>
//                                      = m<K>), gap, flat, dense (d<N>); ReLU after every layer
//                                      with parameters but the last, a flatten before the first
//                                      dense that follows a feature map.
// Optional activation suffix for both: ":tanh" (relu|leaky_relu|sigmoid|tanh).
// Throws host::Error naming what is wrong.
ModelSpec parse_model_spec(const std::string& text);
// The canonical text of a spec where it has one (parse_model_spec gives back the same spec);
// otherwise a readable layer list.
std::string describe_model_spec(const ModelSpec& spec);
// Every field of the two specs equal, bit for bit (alpha included): what "parses back to the
// same spec" means.
bool same_model_spec(const ModelSpec& a, const ModelSpec& b);

// A C header for firmware: architecture constants and `static const float` arrays, guarded,
// with a comment naming the source file. symbol: a C identifier prefix, e.g. "mnist_mlp".
void export_c_header(const std::string& path, const ModelFile& file, const std::string& symbol);
// The same, naming `source` (e.g. the .tpm path) in the header's provenance comment.
void export_c_header(const std::string& path, const ModelFile& file, const std::string& symbol,
                     const std::string& source);

}  // namespace tinyprop::host
