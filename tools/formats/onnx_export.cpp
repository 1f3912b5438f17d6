// ModelFile -> ONNX (onnx_model.h), NCHW: dense -> Gemm (transB = 1, W [units, in]), conv2d ->
// Conv (W [C_out, C_in, K_h, K_w]), depthwise -> Conv with group = C (W [C, 1, K_h, K_w]), the
// poolings, activations, Flatten. The exact inverse of the import: a dense layer after a flatten
// of an H x W x C map gets its columns back in (c, h, w) order, "same" padding is SAME_UPPER, and
// the loss and the frozen layers go into metadata_props, so the file imports to the same spec.
#include <string.h>

#include "formats/onnx_layout.h"
#include "formats/onnx_model.h"
#include "onnx/onnx_pb.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace tinyprop::host {
namespace {

void add_initializer(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims,
                     const float* v, size_t n) {
  onnx::TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto_DataType_FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  t->set_raw_data(std::string(reinterpret_cast<const char*>(v), 4 * n));  // little-endian host
}

void add_ints(onnx::NodeProto* n, const char* key, const std::vector<int64_t>& v) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(key);
  a->set_type(onnx::AttributeProto_AttributeType_INTS);
  for (int64_t x : v) a->add_ints(x);
}

void add_int(onnx::NodeProto* n, const char* key, int64_t v) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(key);
  a->set_type(onnx::AttributeProto_AttributeType_INT);
  a->set_i(v);
}

void set_value_info(onnx::ValueInfoProto* v, const std::string& name, const std::vector<int64_t>& dims) {
  v->set_name(name);
  onnx::TypeProto_Tensor* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto_DataType_FLOAT);
  onnx::TensorShapeProto* s = t->mutable_shape();
  s->add_dim()->set_dim_param("N");
  for (int64_t d : dims) s->add_dim()->set_dim_value(d);
}

void add_window(onnx::NodeProto* n, const LayerSpec& l) {
  add_ints(n, "kernel_shape", {l.kernel_h, l.kernel_w});
  add_ints(n, "strides", {l.stride_h, l.stride_w});
  if (l.pad_same) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name("auto_pad");
    a->set_type(onnx::AttributeProto_AttributeType_STRING);
    a->set_s("SAME_UPPER");
  } else {
    add_ints(n, "pads", {l.pad_h, l.pad_w, l.pad_h, l.pad_w});
  }
}

// The ONNX input is [N, F] when the first layer that is not an activation is a dense layer.
bool flat_input(const ModelSpec& spec) {
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    if (!layer_is_activation(spec.layers[i].kind)) return spec.layers[i].kind == LayerKind::kDense;
  }
  return spec.input.h == 1 && spec.input.w == 1;
}

}  // namespace

std::vector<uint8_t> encode_onnx(const ModelFile& file) {
  const ModelSpec& spec = file.spec;
  const std::string problem = spec_problem(spec);
  if (!problem.empty()) throw Error("ONNX export: " + problem);
  if (file.params.size() != spec.param_count()) throw Error("ONNX export: parameter count does not match the spec");
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("tinyprop");
  m.set_producer_version("0.1.0");
  onnx::OperatorSetIdProto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("tinyprop");
  bool flat = flat_input(spec);
  if (flat) {
    set_value_info(g->add_input(), "input", {spec.input.size()});
  } else {
    set_value_info(g->add_input(), "input", {spec.input.c, spec.input.h, spec.input.w});
  }
  std::string value = "input", trainable;
  const float* p = file.params.data();
  bool reorder = false;
  Shape flattened;
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    const LayerSpec& l = spec.layers[i];
    const Shape in = i == 0 ? spec.input : spec.output_shape(i - 1);
    const Shape out = spec.output_shape(i);
    const std::string name = std::string(layer_kind_name(l.kind)) + "_" + std::to_string(i);
    if (l.kind == LayerKind::kDense && !flat) {  // a dense layer straight on a 1 x 1 x C map
      onnx::NodeProto* f = g->add_node();
      f->set_op_type("Flatten");
      f->set_name(name + "_flatten");
      f->add_input(value);
      value = name + "_flat";
      f->add_output(value);
      flat = true;
    }
    onnx::NodeProto* n = g->add_node();
    n->set_name(name);
    n->add_input(value);
    value = name + "_out";
    n->add_output(value);
    if (layer_has_params(l.kind)) trainable += l.trainable ? '1' : '0';
    switch (l.kind) {
      case LayerKind::kDense: {
        const uint32_t units = l.units, n_in = in.size();
        std::vector<float> w(p, p + static_cast<size_t>(units) * n_in);
        if (reorder) {  // (h, w, c) columns back to the (c, h, w) of an NCHW Flatten
          w = onnx_io::permute_rows(p, units, flattened.c, flattened.h, flattened.w, false);
          reorder = false;
        }
        n->set_op_type("Gemm");
        add_int(n, "transB", 1);
        add_initializer(g, name + "_W", {units, n_in}, w.data(), w.size());
        add_initializer(g, name + "_b", {units}, p + w.size(), units);
        n->add_input(name + "_W");
        n->add_input(name + "_b");
        p += w.size() + units;
        break;
      }
      case LayerKind::kConv2D:
      case LayerKind::kDepthwiseConv2D: {
        const bool dw = l.kind == LayerKind::kDepthwiseConv2D;
        const uint32_t co = out.c, ci = dw ? 1 : in.c, kh = l.kernel_h, kw = l.kernel_w;
        const std::vector<float> w = onnx_io::permute_rows(p, co, ci, kh, kw, false);
        n->set_op_type("Conv");
        add_window(n, l);
        if (dw) add_int(n, "group", in.c);
        add_initializer(g, name + "_W", {co, ci, kh, kw}, w.data(), w.size());
        add_initializer(g, name + "_b", {co}, p + w.size(), co);
        n->add_input(name + "_W");
        n->add_input(name + "_b");
        p += w.size() + co;
        break;
      }
      case LayerKind::kMaxPool2D:
      case LayerKind::kAvgPool2D:
        n->set_op_type(l.kind == LayerKind::kMaxPool2D ? "MaxPool" : "AveragePool");
        add_window(n, l);
        if (l.kind == LayerKind::kAvgPool2D) add_int(n, "count_include_pad", 0);
        break;
      case LayerKind::kGlobalAvgPool:
        n->set_op_type("GlobalAveragePool");
        break;
      case LayerKind::kFlatten:
        n->set_op_type("Flatten");
        if (!flat && in.h * in.w > 1) {
          reorder = true;
          flattened = in;
        }
        flat = true;
        break;
      case LayerKind::kReLU: n->set_op_type("Relu"); break;
      case LayerKind::kSigmoid: n->set_op_type("Sigmoid"); break;
      case LayerKind::kTanh: n->set_op_type("Tanh"); break;
      case LayerKind::kLeakyReLU: {
        n->set_op_type("LeakyRelu");
        onnx::AttributeProto* a = n->add_attribute();
        a->set_name("alpha");
        a->set_type(onnx::AttributeProto_AttributeType_FLOAT);
        a->set_f(l.alpha);
        break;
      }
    }
  }
  const Shape out = spec.output_shape();
  if (flat) {
    set_value_info(g->add_output(), value, {out.size()});
  } else {
    set_value_info(g->add_output(), value, {out.c, out.h, out.w});
  }
  onnx::StringStringEntryProto* loss = m.add_metadata_props();
  loss->set_key("tinyprop.loss");
  loss->set_value(loss_kind_name(spec.loss));
  onnx::StringStringEntryProto* train = m.add_metadata_props();
  train->set_key("tinyprop.trainable");
  train->set_value(trainable);
  std::string bytes;
  if (!m.SerializeToString(&bytes)) throw Error("ONNX export: the model does not serialise");
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

void save_onnx(const std::string& path, const ModelFile& file) {
  write_file_atomic(path, encode_onnx(file));
}

}  // namespace tinyprop::host
