// An ONNX model read as what the core can run: one chain of nodes from the single graph input
// to the single graph output, every other node input a constant (an initializer or a Constant
// node). Internal to tools/formats (onnx_import.cpp); the protobuf classes are Debian's
// libonnx-dev ones (onnx/onnx_pb.h, ONNX_ML build, namespace onnx).
#pragma once
#include <stdint.h>

#include <map>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"

namespace tinyprop::host::onnx_io {

// One node of the chain. inputs[i] for i >= 1: the constant tensor of input i, or null where the
// input is absent (an empty name or fewer inputs). Input 0 is the chain's running value, except
// for an Add whose running value came second (then swapped: inputs[1] is the other one).
struct ChainNode {
  const onnx::NodeProto* proto = nullptr;
  std::vector<const onnx::TensorProto*> inputs;
  std::string where;  // "node 'conv1' (Conv)", for messages
  std::string file;   // the file's name, which every message starts with
};

struct Chain {
  std::vector<int64_t> input_dims;  // the graph input's dims without the batch: [C, H, W] or [F]
  std::vector<ChainNode> nodes;     // input to output, Constant nodes left out
  int64_t opset = 0;                // of the default domain
  std::map<std::string, std::string> metadata;  // metadata_props
};

// Parses and checks the structure; throws host::Error("<name>: ...") naming what is wrong.
// Keeps `model` alive: the chain points into it.
Chain read_chain(const onnx::ModelProto& model, const std::string& name);

// A name from the file as messages and the metadata show it: valid UTF-8 kept, control characters
// and invalid bytes as '?', at most 200 bytes (then "...").
std::string printable(const std::string& s);

// Attribute helpers: the value of attribute `key` of the node, or `fallback` when absent.
// A present attribute of another type is an error (the node's `where` in the message).
int64_t attr_int(const ChainNode& n, const char* key, int64_t fallback);
float attr_float(const ChainNode& n, const char* key, float fallback);
std::string attr_string(const ChainNode& n, const char* key, const std::string& fallback);
std::vector<int64_t> attr_ints(const ChainNode& n, const char* key);

// The floats of a FLOAT tensor (raw_data, little-endian, or float_data); anything else (another
// type, external data, a count that does not match the dims) is an error naming `what`.
std::vector<float> tensor_floats(const onnx::TensorProto& t, const std::string& what);
// The values of an INT64 tensor (raw_data or int64_data).
std::vector<int64_t> tensor_int64s(const onnx::TensorProto& t, const std::string& what);
// Element count of the dims, checked: every dim >= 0 and the count at most 2^31 - 1.
uint64_t element_count(const onnx::TensorProto& t, const std::string& what);

}  // namespace tinyprop::host::onnx_io
