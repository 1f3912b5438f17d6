// Reading an ONNX graph as one chain of nodes (onnx_graph.h). The core runs a sequence of layers,
// so the graph must be one: a value used by two nodes (a branch, a skip connection) or a node off
// the path from the input to the output is refused, never guessed around.
#include "formats/onnx_graph.h"

#include <string.h>

#include <set>

#include "util/error.h"

namespace tinyprop::host::onnx_io {
namespace {

// Far above any layer a microcontroller holds; keeps a damaged dim from exhausting memory.
constexpr uint64_t kMaxElements = (1ull << 31) - 1;

std::string quoted(const std::string& s) { return "'" + printable(s) + "'"; }

std::string node_where(const onnx::NodeProto& n, size_t index) {
  const std::string name = n.name().empty() ? "#" + std::to_string(index) : quoted(n.name());
  return "node " + name + " (" + printable(n.op_type()) + ")";
}

const onnx::AttributeProto* find_attr(const ChainNode& n, const char* key) {
  for (const onnx::AttributeProto& a : n.proto->attribute()) {
    if (a.name() == key) return &a;
  }
  return nullptr;
}

[[noreturn]] void wrong_attr_type(const ChainNode& n, const char* key, const char* expected) {
  throw Error(n.file + ": " + n.where + ": attribute " + key + " is not " + expected);
}

// The graph input's dims without the batch dim (its first, which may be symbolic).
std::vector<int64_t> input_dims(const onnx::ValueInfoProto& v, const std::string& name) {
  const std::string head = name + ": graph input " + quoted(v.name());
  if (!v.type().has_tensor_type()) throw Error(head + " is not a tensor");
  const onnx::TypeProto_Tensor& t = v.type().tensor_type();
  if (t.elem_type() != onnx::TensorProto_DataType_FLOAT) {
    throw Error(head + " has element type " + std::to_string(t.elem_type()) +
                ", not FLOAT (the core computes in float32)");
  }
  if (!t.has_shape()) throw Error(head + " has no shape (needed to size the layers)");
  const int rank = t.shape().dim_size();
  if (rank != 2 && rank != 4) {
    throw Error(head + " has rank " + std::to_string(rank) +
                " (supported: [N, features] or [N, C, H, W])");
  }
  std::vector<int64_t> dims;
  for (int i = 1; i < rank; ++i) {
    const onnx::TensorShapeProto_Dimension& d = t.shape().dim(i);
    if (!d.has_dim_value() || d.dim_value() <= 0 || d.dim_value() > (1 << 24)) {
      throw Error(head + ": dim " + std::to_string(i) +
                  " must be a fixed size from 1 to 16777216 (only the batch dim may be symbolic)");
    }
    dims.push_back(d.dim_value());
  }
  uint64_t n = 1;
  for (int64_t d : dims) n *= static_cast<uint64_t>(d);  // at most 2^72: check each step
  if (dims.size() == 3 && (static_cast<uint64_t>(dims[0]) * static_cast<uint64_t>(dims[1]) > kMaxElements ||
                           n > kMaxElements)) {
    throw Error(head + ": more than " + std::to_string(kMaxElements) + " values per sample");
  }
  return dims;
}

}  // namespace

std::string printable(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size() && out.size() < 200;) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    // Length of the UTF-8 sequence c starts (0: not a start byte).
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool valid = len > 0 && i + len <= s.size();
    for (size_t k = 1; valid && k < len; ++k) valid = (static_cast<unsigned char>(s[i + k]) >> 6) == 0x2;
    if (len == 1 && (c < 0x20 || c == 0x7F)) valid = false;
    out += valid ? s.substr(i, len) : "?";
    i += valid ? len : 1;
  }
  return out.size() < s.size() && out.size() >= 200 ? out + "..." : out;
}

uint64_t element_count(const onnx::TensorProto& t, const std::string& what) {
  uint64_t n = 1;
  for (int64_t d : t.dims()) {
    if (d < 0) throw Error(what + ": negative dim " + std::to_string(d));
    if (d == 0) return 0;
    if (static_cast<uint64_t>(d) > kMaxElements || n * static_cast<uint64_t>(d) > kMaxElements) {
      throw Error(what + ": more than " + std::to_string(kMaxElements) + " elements");
    }
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

std::vector<float> tensor_floats(const onnx::TensorProto& t, const std::string& what) {
  if (t.data_type() != onnx::TensorProto_DataType_FLOAT) {
    throw Error(what + ": element type " + std::to_string(t.data_type()) +
                " is not FLOAT (export the model in float32)");
  }
  if (t.data_location() == onnx::TensorProto_DataLocation_EXTERNAL) {
    throw Error(what + ": data in an external file is not supported (save the model in one file)");
  }
  const uint64_t n = element_count(t, what);
  std::vector<float> out;
  if (t.has_raw_data()) {
    if (t.raw_data().size() != 4 * n) {
      throw Error(what + ": raw_data holds " + std::to_string(t.raw_data().size()) +
                  " bytes, its dims need " + std::to_string(4 * n));
    }
    out.resize(n);
    // ONNX stores raw_data little-endian, as the host is (x86-64, AArch64).
    if (n > 0) memcpy(out.data(), t.raw_data().data(), 4 * n);
    return out;
  }
  if (static_cast<uint64_t>(t.float_data_size()) != n) {
    throw Error(what + ": " + std::to_string(t.float_data_size()) + " values, its dims need " +
                std::to_string(n));
  }
  out.assign(t.float_data().begin(), t.float_data().end());
  return out;
}

std::vector<int64_t> tensor_int64s(const onnx::TensorProto& t, const std::string& what) {
  if (t.data_type() != onnx::TensorProto_DataType_INT64) {
    throw Error(what + ": element type " + std::to_string(t.data_type()) + " is not INT64");
  }
  const uint64_t n = element_count(t, what);
  if (n > 64) throw Error(what + ": " + std::to_string(n) + " values where a few are expected");
  std::vector<int64_t> out(n);
  if (t.has_raw_data()) {
    if (t.raw_data().size() != 8 * n) throw Error(what + ": raw_data does not match its dims");
    if (n > 0) memcpy(out.data(), t.raw_data().data(), 8 * n);
    return out;
  }
  if (static_cast<uint64_t>(t.int64_data_size()) != n) {
    throw Error(what + ": the value count does not match its dims");
  }
  out.assign(t.int64_data().begin(), t.int64_data().end());
  return out;
}

int64_t attr_int(const ChainNode& n, const char* key, int64_t fallback) {
  const onnx::AttributeProto* a = find_attr(n, key);
  if (a == nullptr) return fallback;
  if (a->type() != onnx::AttributeProto_AttributeType_INT) wrong_attr_type(n, key, "an int");
  return a->i();
}

float attr_float(const ChainNode& n, const char* key, float fallback) {
  const onnx::AttributeProto* a = find_attr(n, key);
  if (a == nullptr) return fallback;
  if (a->type() != onnx::AttributeProto_AttributeType_FLOAT) wrong_attr_type(n, key, "a float");
  return a->f();
}

std::string attr_string(const ChainNode& n, const char* key, const std::string& fallback) {
  const onnx::AttributeProto* a = find_attr(n, key);
  if (a == nullptr) return fallback;
  if (a->type() != onnx::AttributeProto_AttributeType_STRING) wrong_attr_type(n, key, "a string");
  return a->s();
}

std::vector<int64_t> attr_ints(const ChainNode& n, const char* key) {
  const onnx::AttributeProto* a = find_attr(n, key);
  if (a == nullptr) return {};
  if (a->type() != onnx::AttributeProto_AttributeType_INTS) wrong_attr_type(n, key, "a list of ints");
  return {a->ints().begin(), a->ints().end()};
}

Chain read_chain(const onnx::ModelProto& model, const std::string& name) {
  Chain chain;
  if (model.ir_version() < 3) {
    throw Error(name + ": no ONNX IR version " + std::to_string(model.ir_version()) +
                " (not an ONNX model, or one older than ONNX 1.0)");
  }
  for (const onnx::OperatorSetIdProto& o : model.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx") chain.opset = o.version();
  }
  if (chain.opset < 7) {
    throw Error(name + ": the default operator set has version " + std::to_string(chain.opset) +
                " (supported: 7 and later)");
  }
  for (const onnx::StringStringEntryProto& p : model.metadata_props()) chain.metadata[p.key()] = p.value();
  if (!model.has_graph()) throw Error(name + ": the model has no graph");
  const onnx::GraphProto& g = model.graph();

  // Constants: initializers and the outputs of Constant nodes.
  std::map<std::string, const onnx::TensorProto*> constants;
  for (const onnx::TensorProto& t : g.initializer()) {
    if (t.name().empty()) throw Error(name + ": an initializer has no name");
    if (!constants.emplace(t.name(), &t).second) {
      throw Error(name + ": initializer " + quoted(t.name()) + " is defined twice");
    }
  }
  std::vector<const onnx::ValueInfoProto*> data_inputs;
  for (const onnx::ValueInfoProto& v : g.input()) {
    if (constants.count(v.name()) == 0) data_inputs.push_back(&v);
  }
  if (data_inputs.size() != 1) {
    throw Error(name + ": the graph has " + std::to_string(data_inputs.size()) +
                " inputs that are not initializers (supported: exactly one)");
  }
  if (g.output_size() != 1) {
    throw Error(name + ": the graph has " + std::to_string(g.output_size()) +
                " outputs (supported: exactly one)");
  }
  chain.input_dims = input_dims(*data_inputs[0], name);
  const std::string input = data_inputs[0]->name();
  const std::string output = g.output(0).name();

  // Who produces and who consumes each value. Every value is produced once (ONNX is in SSA form).
  std::set<std::string> produced = {input};
  for (const auto& c : constants) produced.insert(c.first);
  std::map<std::string, std::vector<int>> consumers;
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto& n = g.node(i);
    if (!n.domain().empty() && n.domain() != "ai.onnx") {
      throw Error(name + ": " + node_where(n, static_cast<size_t>(i)) + ": operator domain " +
                  quoted(n.domain()) + " is not supported (only the default ONNX operators)");
    }
    for (const std::string& out : n.output()) {
      if (out.empty()) continue;
      if (!produced.insert(out).second) {
        throw Error(name + ": " + node_where(n, static_cast<size_t>(i)) + ": value " + quoted(out) +
                    " is produced twice (not a valid ONNX graph)");
      }
    }
    if (n.op_type() == "Constant") {
      const onnx::AttributeProto* value = nullptr;
      for (const onnx::AttributeProto& a : n.attribute()) {
        if (a.name() == "value" && a.type() == onnx::AttributeProto_AttributeType_TENSOR) value = &a;
      }
      if (value == nullptr || n.output_size() != 1) {
        throw Error(name + ": " + node_where(n, static_cast<size_t>(i)) +
                    ": only a Constant with a tensor 'value' is supported");
      }
      constants[n.output(0)] = &value->t();
      continue;
    }
    for (const std::string& in : n.input()) {
      if (!in.empty()) consumers[in].push_back(i);
    }
  }

  // Cycles (Kahn's algorithm): a node whose inputs never all become available depends on its
  // own output, directly or through nodes before it.
  {
    std::map<std::string, int> producer;
    for (int i = 0; i < g.node_size(); ++i) {
      if (g.node(i).op_type() == "Constant") continue;
      for (const std::string& out : g.node(i).output()) producer[out] = i;
    }
    std::vector<int> waiting(static_cast<size_t>(g.node_size()), 0);
    std::vector<int> ready;
    for (int i = 0; i < g.node_size(); ++i) {
      if (g.node(i).op_type() == "Constant") continue;
      for (const std::string& in : g.node(i).input()) waiting[static_cast<size_t>(i)] += producer.count(in) ? 1 : 0;
      if (waiting[static_cast<size_t>(i)] == 0) ready.push_back(i);
    }
    while (!ready.empty()) {
      const int i = ready.back();
      ready.pop_back();
      for (const std::string& out : g.node(i).output()) {
        if (out.empty()) continue;
        for (int user : consumers[out]) {
          if (--waiting[static_cast<size_t>(user)] == 0) ready.push_back(user);
        }
      }
    }
    for (int i = 0; i < g.node_size(); ++i) {
      if (waiting[static_cast<size_t>(i)] > 0) {
        throw Error(name + ": " + node_where(g.node(i), static_cast<size_t>(i)) +
                    ": the graph has a cycle through or before this node (its inputs depend on its "
                    "own output)");
      }
    }
  }

  // Walk from the input: each value must feed exactly one node, until the output.
  std::vector<bool> visited(static_cast<size_t>(g.node_size()), false);
  std::string current = input;
  while (true) {
    const std::vector<int>& users = consumers[current];
    if (current == output) {
      if (!users.empty()) {
        throw Error(name + ": the graph output " + quoted(output) + " also feeds " +
                    node_where(g.node(users[0]), static_cast<size_t>(users[0])) +
                    " (supported: one chain of layers)");
      }
      break;
    }
    if (users.empty()) {
      throw Error(name + ": value " + quoted(current) + " feeds no node and is not the graph output " +
                  quoted(output) + " (a missing node or output?)");
    }
    if (users.size() > 1) {
      bool shape_of = false;  // x.view(x.size(0), -1) exports Shape -> ... -> Reshape
      for (int u : users) shape_of = shape_of || g.node(u).op_type() == "Shape";
      throw Error(name + ": value " + quoted(current) + " feeds " + std::to_string(users.size()) +
                  " nodes (" + node_where(g.node(users[0]), static_cast<size_t>(users[0])) + ", " +
                  node_where(g.node(users[1]), static_cast<size_t>(users[1])) +
                  "): branches and skip connections are not supported (one chain of layers)" +
                  (shape_of ? "; a shape computed from the data: flatten with nn.Flatten or a "
                              "constant shape instead"
                            : ""));
    }
    const int idx = users[0];
    const onnx::NodeProto& n = g.node(idx);
    ChainNode node;
    node.proto = &n;
    node.where = node_where(n, static_cast<size_t>(idx));
    node.file = name;
    if (visited[static_cast<size_t>(idx)]) throw Error(name + ": " + node.where + ": the graph has a cycle");
    visited[static_cast<size_t>(idx)] = true;
    // The running value comes first; an Add may take it second (bias + x).
    std::vector<std::string> ins(n.input().begin(), n.input().end());
    size_t at = 0;
    while (at < ins.size() && ins[at] != current) ++at;
    if (at != 0 && !(n.op_type() == "Add" && at == 1 && ins.size() == 2)) {
      throw Error(name + ": " + node.where + ": takes the previous layer's output as input " +
                  std::to_string(at) + " (supported: as its first input)");
    }
    if (at == 1) std::swap(ins[0], ins[1]);
    node.inputs.push_back(nullptr);
    for (size_t k = 1; k < ins.size(); ++k) {
      if (ins[k].empty()) {
        node.inputs.push_back(nullptr);
        continue;
      }
      auto c = constants.find(ins[k]);
      if (c == constants.end()) {
        throw Error(name + ": " + node.where + ": input " + quoted(ins[k]) +
                    (produced.count(ins[k]) ? " is computed by the graph, not a constant (supported: "
                                              "weights as initializers or Constant nodes)"
                                            : " is missing (no initializer, input or node makes it)"));
      }
      node.inputs.push_back(c->second);
    }
    if (n.output_size() < 1 || n.output(0).empty()) throw Error(name + ": " + node.where + ": has no output");
    // Extra outputs (a Dropout mask, MaxPool indices, batch statistics) must stay unused.
    for (int k = 1; k < n.output_size(); ++k) {
      const std::string& extra = n.output(k);
      if (!extra.empty() && (!consumers[extra].empty() || extra == output)) {
        throw Error(name + ": " + node.where + ": its output " + std::to_string(k) + " (" + quoted(extra) +
                    ") is used (supported: only the first output)");
      }
    }
    chain.nodes.push_back(node);
    current = n.output(0);
  }
  for (int i = 0; i < g.node_size(); ++i) {
    if (!visited[static_cast<size_t>(i)] && g.node(i).op_type() != "Constant") {
      throw Error(name + ": " + node_where(g.node(i), static_cast<size_t>(i)) +
                  " is not on the path from the graph input to its output (supported: one chain)");
    }
  }
  return chain;
}

}  // namespace tinyprop::host::onnx_io
