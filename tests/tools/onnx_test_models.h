// Helpers of the ONNX tests: small ONNX models built with the protobuf classes (OnnxBuilder), a
// float64 reference forward pass that runs such a model as ONNX defines it, in NCHW (reference_
// forward), and tinyprop's forward of an imported model. The reference shares no code with the
// importer: it reads the same NodeProtos and computes in ONNX's own layout.
#pragma once
#include <math.h>
#include <stdint.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "experiments/train_loop.h"
#include "formats/onnx_model.h"
#include "onnx/onnx_pb.h"

namespace tinyprop::onnx_test {

class OnnxBuilder {
 public:
  // dims without the batch: {C, H, W} or {F}.
  explicit OnnxBuilder(const std::vector<int64_t>& dims, int64_t opset = 13, uint32_t seed = 7)
      : rng_(seed) {
    m_.set_ir_version(8);
    m_.set_producer_name("onnx_test_models");
    onnx::OperatorSetIdProto* o = m_.add_opset_import();
    o->set_domain("");
    o->set_version(opset);
    g_ = m_.mutable_graph();
    onnx::ValueInfoProto* in = g_->add_input();
    in->set_name("x");
    onnx::TypeProto_Tensor* t = in->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto_DataType_FLOAT);
    t->mutable_shape()->add_dim()->set_dim_param("N");
    for (int64_t d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
    dims_ = dims;
  }

  // An initializer of random values in [lo, hi].
  std::string weight(const std::string& name, const std::vector<int64_t>& dims, float lo = -1.0f,
                     float hi = 1.0f, bool raw = true) {
    size_t n = 1;
    for (int64_t d : dims) n *= static_cast<size_t>(d);
    std::uniform_real_distribution<float> u(lo, hi);
    std::vector<float> v(n);
    for (float& x : v) x = u(rng_);
    return constant(name, dims, v, raw);
  }
  std::string constant(const std::string& name, const std::vector<int64_t>& dims,
                       const std::vector<float>& v, bool raw = true) {
    onnx::TensorProto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto_DataType_FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    if (raw) {
      t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), 4 * v.size()));
    } else {
      for (float x : v) t->add_float_data(x);
    }
    return name;
  }
  std::string int64s(const std::string& name, const std::vector<int64_t>& v) {
    onnx::TensorProto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto_DataType_INT64);
    t->add_dims(static_cast<int64_t>(v.size()));
    for (int64_t x : v) t->add_int64_data(x);
    return name;
  }

  // A node on the running value: inputs (running value, extra...), one output.
  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& extra = {},
                        const std::string& name = "") {
    onnx::NodeProto* n = g_->add_node();
    n->set_op_type(op);
    n->set_name(name.empty() ? op + std::to_string(g_->node_size()) : name);
    n->add_input(value_);
    for (const std::string& e : extra) n->add_input(e);
    value_ = n->name() + "_y";
    n->add_output(value_);
    return n;
  }
  static void ints(onnx::NodeProto* n, const char* key, const std::vector<int64_t>& v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto_AttributeType_INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void integer(onnx::NodeProto* n, const char* key, int64_t v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto_AttributeType_INT);
    a->set_i(v);
  }
  static void real(onnx::NodeProto* n, const char* key, float v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto_AttributeType_FLOAT);
    a->set_f(v);
  }
  static void text(onnx::NodeProto* n, const char* key, const std::string& v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto_AttributeType_STRING);
    a->set_s(v);
  }
  // A BatchNormalization with random statistics (var > 0).
  onnx::NodeProto* batch_norm(int64_t channels, const std::string& name) {
    const std::string p = name + "_";
    return node("BatchNormalization",
                {weight(p + "scale", {channels}, 0.5f, 2.0f), weight(p + "B", {channels}),
                 weight(p + "mean", {channels}), weight(p + "var", {channels}, 0.1f, 3.0f)},
                name);
  }

  onnx::ModelProto& finish() {
    if (g_->output_size() == 0) g_->add_output()->set_name(value_);
    return m_;
  }
  std::vector<uint8_t> bytes() {
    std::string s;
    finish().SerializeToString(&s);
    return {s.begin(), s.end()};
  }
  const std::vector<int64_t>& input_dims() const { return dims_; }
  onnx::ModelProto& model() { return m_; }
  std::mt19937& rng() { return rng_; }

 private:
  onnx::ModelProto m_;
  onnx::GraphProto* g_ = nullptr;
  std::string value_ = "x";
  std::vector<int64_t> dims_;
  std::mt19937 rng_;
};

// ---- float64 reference, NCHW, batch 1 --------------------------------------------------------

struct Tensor {
  std::vector<int64_t> dims;  // without the batch
  std::vector<double> v;
};

std::vector<double> reference_floats(const onnx::TensorProto& t);
// Runs the graph's nodes in order (the builder's order is topological). stop_before_softmax:
// returns the logits a trailing Softmax/LogSoftmax would take.
Tensor reference_forward(const onnx::ModelProto& m, const std::vector<float>& x,
                         bool stop_before_softmax = true);

// tinyprop's forward of an imported model on x (HWC input from NCHW x).
std::vector<float> tinyprop_forward(const host::ModelFile& f, const std::vector<float>& x_nchw);
// x in NCHW -> HWC for a C x H x W input.
std::vector<float> nchw_to_hwc(const std::vector<float>& x, uint32_t c, uint32_t h, uint32_t w);

// Random input of the builder's shape.
std::vector<float> random_input(const std::vector<int64_t>& dims, uint32_t seed);

}  // namespace tinyprop::onnx_test
