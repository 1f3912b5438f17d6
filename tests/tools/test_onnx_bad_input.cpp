// ONNX files the import must refuse, each with one line naming the file, the node (name and op
// type) where one is to blame, and the reason; never a crash and never a silently wrong model.
#include <gtest/gtest.h>

#include "formats/onnx_model.h"
#include "onnx_test_models.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

namespace tinyprop {
namespace {

using onnx_test::OnnxBuilder;

std::string import_error(const std::vector<uint8_t>& bytes) {
  try {
    host::import_onnx(bytes, "bad.onnx", {});
  } catch (const host::Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    EXPECT_EQ(m.rfind("bad.onnx: ", 0), 0u) << m;
    return m;
  }
  ADD_FAILURE() << "accepted";
  return "";
}

std::string import_error(OnnxBuilder& b) { return import_error(b.bytes()); }

OnnxBuilder small_cnn() {
  OnnxBuilder b({1, 6, 6});
  b.node("Conv", {b.weight("w", {2, 1, 3, 3}), b.weight("b", {2})}, "conv");
  b.node("Relu", {}, "relu");
  b.node("Flatten", {}, "flat");
  OnnxBuilder::integer(b.node("Gemm", {b.weight("fw", {3, 32}), b.weight("fb", {3})}, "fc"), "transB", 1);
  return b;
}

TEST(OnnxBadInput, EveryTruncationIsRefused) {
  OnnxBuilder b = small_cnn();
  const std::vector<uint8_t> bytes = b.bytes();
  ASSERT_NO_THROW(host::import_onnx(bytes, "good.onnx", {}));
  for (size_t n = 0; n < bytes.size(); n += 7) {
    const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(n));
    try {
      host::import_onnx(cut, "cut.onnx", {});
      ADD_FAILURE() << "a file cut at " << n << " of " << bytes.size() << " bytes was accepted";
    } catch (const host::Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("cut.onnx: ", 0), 0u) << e.what();
    }
  }
  EXPECT_EQ(import_error(std::vector<uint8_t>{'h', 'e', 'l', 'l', 'o'}),
            "bad.onnx: not an ONNX model (the protobuf message does not parse: truncated, damaged "
            "or another kind of file)");
}

TEST(OnnxBadInput, UnsupportedOperatorNamesNodeOpAndReason) {
  OnnxBuilder b({4});
  b.node("MatMul", {b.weight("w", {4, 4})}, "fc");
  b.node("Elu", {}, "act");
  EXPECT_EQ(import_error(b), "bad.onnx: node 'act' (Elu): operator Elu is not supported "
                             "(docs/MODEL_FORMAT.md lists the supported ones)");
}

// Names in the file are shown on one line and as valid UTF-8 (found by the fuzzer: a name with an
// invalid byte made the metadata's JSON writer throw).
TEST(OnnxBadInput, NamesWithControlCharactersAndInvalidUtf8) {
  OnnxBuilder b({4});
  b.node("MatMul", {b.weight("w", {4, 4})}, "fc\n\xff\xc3\xa9");
  const host::OnnxImport im = host::import_onnx(b.bytes(), "m.onnx", {});
  EXPECT_EQ(im.layer_names[0], "fc??\xc3\xa9");
  EXPECT_TRUE(nlohmann::json::accept(im.file.metadata));
  OnnxBuilder c({4});
  c.node("Elu", {}, "act\x01");
  EXPECT_EQ(import_error(c), "bad.onnx: node 'act?' (Elu): operator Elu is not supported "
                             "(docs/MODEL_FORMAT.md lists the supported ones)");
}

TEST(OnnxBadInput, UnsupportedAttributes) {
  {
    OnnxBuilder b({1, 6, 6});
    auto* c = b.node("Conv", {b.weight("w", {2, 1, 3, 3})}, "c");
    OnnxBuilder::ints(c, "dilations", {2, 2});
    EXPECT_EQ(import_error(b), "bad.onnx: node 'c' (Conv): dilation 2 (the core's windows have dilation 1)");
  }
  {
    OnnxBuilder b({4, 6, 6});
    OnnxBuilder::integer(b.node("Conv", {b.weight("w", {4, 2, 3, 3})}, "g"), "group", 2);
    EXPECT_NE(import_error(b).find("node 'g' (Conv): group 2"), std::string::npos);
  }
  {
    OnnxBuilder b({1, 6, 6});
    OnnxBuilder::ints(b.node("Conv", {b.weight("w", {2, 1, 3, 3})}, "p"), "pads", {0, 0, 1, 1});
    EXPECT_NE(import_error(b).find("node 'p' (Conv): pads [0, 0, 1, 1] differ"), std::string::npos);
  }
  {
    OnnxBuilder b({1, 6, 6});
    auto* m = b.node("MaxPool", {}, "m");
    OnnxBuilder::ints(m, "kernel_shape", {2, 2});
    OnnxBuilder::integer(m, "ceil_mode", 1);
    EXPECT_NE(import_error(b).find("node 'm' (MaxPool): ceil_mode = 1"), std::string::npos);
  }
  {
    OnnxBuilder b({1, 6, 6});
    auto* a = b.node("AveragePool", {}, "a");
    OnnxBuilder::ints(a, "kernel_shape", {3, 3});
    OnnxBuilder::ints(a, "pads", {1, 1, 1, 1});
    OnnxBuilder::integer(a, "count_include_pad", 1);
    EXPECT_NE(import_error(b).find("node 'a' (AveragePool): count_include_pad = 1"), std::string::npos);
  }
  {
    // An attribute of the wrong type (found by the fuzzer: the message lacked the file's name).
    OnnxBuilder b({1, 6, 6});
    OnnxBuilder::integer(b.node("Conv", {b.weight("w", {2, 1, 3, 3})}, "c"), "auto_pad", 1);
    EXPECT_EQ(import_error(b), "bad.onnx: node 'c' (Conv): attribute auto_pad is not a string");
  }
  {
    OnnxBuilder b({4});
    b.node("MatMul", {b.weight("w", {4, 4})}, "fc");
    b.node("Softmax", {}, "sm");
    b.node("Relu", {}, "after");
    EXPECT_EQ(import_error(b), "bad.onnx: node 'sm' (Softmax): is not the last node (the core has a "
                               "softmax only in its loss)");
  }
  {
    OnnxBuilder b({4});
    b.node("Relu", {}, "r");
    b.batch_norm(4, "bn");
    EXPECT_NE(import_error(b).find("node 'bn' (BatchNormalization): does not follow a Conv or Gemm"),
              std::string::npos);
  }
  {
    OnnxBuilder b({1, 6, 6});
    b.node("Reshape", {b.int64s("s", {1, 6, 6})}, "rs");
    EXPECT_NE(import_error(b).find("node 'rs' (Reshape): reshapes to [1, 6, 6]"), std::string::npos);
  }
  {
    OnnxBuilder b({1, 6, 6});
    OnnxBuilder::integer(b.node("Reshape", {b.int64s("s", {0, -1})}, "rz"), "allowzero", 1);
    EXPECT_EQ(import_error(b), "bad.onnx: node 'rz' (Reshape): allowzero = 1 makes the batch dim 0");
  }
}

TEST(OnnxBadInput, WrongTypesAndSizes) {
  {
    OnnxBuilder b = small_cnn();
    b.model().mutable_graph()->mutable_initializer(0)->set_data_type(onnx::TensorProto_DataType_DOUBLE);
    EXPECT_EQ(import_error(b), "bad.onnx: node 'conv' (Conv): weight W: element type 11 is not FLOAT "
                               "(export the model in float32)");
  }
  {
    OnnxBuilder b = small_cnn();
    b.model().mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->set_elem_type(
        onnx::TensorProto_DataType_INT64);
    EXPECT_NE(import_error(b).find("graph input 'x' has element type 7, not FLOAT"), std::string::npos);
  }
  {
    OnnxBuilder b = small_cnn();
    onnx::TensorProto* w = b.model().mutable_graph()->mutable_initializer(0);
    w->set_raw_data(w->raw_data().substr(0, 8));
    EXPECT_EQ(import_error(b), "bad.onnx: node 'conv' (Conv): weight W: raw_data holds 8 bytes, its "
                               "dims need 72");
  }
  {
    OnnxBuilder b = small_cnn();
    onnx::TensorProto* w = b.model().mutable_graph()->mutable_initializer(2);  // fw
    w->set_dims(1, 4000000000000LL);
    EXPECT_NE(import_error(b).find("node 'fc' (Gemm): weight B ["), std::string::npos);
  }
  {
    OnnxBuilder b = small_cnn();
    onnx::TensorProto* w = b.model().mutable_graph()->mutable_initializer(0);
    w->set_dims(0, 1LL << 40);
    EXPECT_NE(import_error(b).find("node 'conv' (Conv): weight W: more than 2147483647 elements"),
              std::string::npos);
  }
  {
    OnnxBuilder b = small_cnn();
    b.model().mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()
        ->mutable_dim(2)->set_dim_value(1LL << 40);
    EXPECT_NE(import_error(b).find("dim 2 must be a fixed size from 1 to 16777216"), std::string::npos);
  }
  {
    OnnxBuilder b = small_cnn();
    b.model().mutable_graph()->mutable_initializer(3)->set_data_location(onnx::TensorProto_DataLocation_EXTERNAL);
    EXPECT_NE(import_error(b).find("node 'fc' (Gemm): bias C: data in an external file"), std::string::npos);
  }
}

TEST(OnnxBadInput, GraphStructure) {
  {
    OnnxBuilder b = small_cnn();
    b.model().mutable_graph()->mutable_initializer()->DeleteSubrange(1, 1);  // the conv bias
    EXPECT_EQ(import_error(b), "bad.onnx: node 'conv' (Conv): input 'b' is missing (no initializer, "
                               "input or node makes it)");
  }
  {
    // A cycle: the Relu's output fed back into the Conv (its input 0 is the Relu's output).
    OnnxBuilder b = small_cnn();
    onnx::GraphProto* g = b.model().mutable_graph();
    g->mutable_node(0)->set_input(0, g->node(1).output(0));
    EXPECT_EQ(import_error(b), "bad.onnx: node 'conv' (Conv): the graph has a cycle through or "
                               "before this node (its inputs depend on its own output)");
  }
  {
    // A residual branch: the Conv's input also feeds an Add.
    OnnxBuilder b({4});
    b.node("MatMul", {b.weight("w", {4, 4})}, "fc");
    b.node("Add", {"x"}, "residual");
    EXPECT_NE(import_error(b).find("value 'x' feeds 2 nodes"), std::string::npos);
  }
  {
    // x.view(x.size(0), -1) as torch exports it with a dynamic batch: Shape(x) feeds the Reshape.
    OnnxBuilder b({2, 3, 3});
    b.node("Shape", {}, "shape");
    onnx::NodeProto* r = b.model().mutable_graph()->add_node();
    r->set_op_type("Reshape");
    r->set_name("reshape");
    r->add_input("x");
    r->add_input("shape_y");
    r->add_output("flat");
    b.model().mutable_graph()->add_output()->set_name("flat");
    EXPECT_NE(import_error(b).find("value 'x' feeds 2 nodes (node 'shape' (Shape), node 'reshape' "
                                   "(Reshape)): branches and skip connections are not supported (one "
                                   "chain of layers); a shape computed from the data: flatten with "
                                   "nn.Flatten or a constant shape instead"),
              std::string::npos);
  }
  {
    OnnxBuilder b = small_cnn();
    b.model().mutable_graph()->mutable_node(1)->set_output(0, "conv_y");  // produced twice
    EXPECT_NE(import_error(b).find("value 'conv_y' is produced twice"), std::string::npos);
  }
  {
    OnnxBuilder b = small_cnn();
    b.model().mutable_graph()->mutable_node(0)->set_domain("com.microsoft");
    EXPECT_NE(import_error(b).find("node 'conv' (Conv): operator domain 'com.microsoft'"), std::string::npos);
  }
  {
    OnnxBuilder b = small_cnn();
    b.model().mutable_opset_import(0)->set_version(5);
    EXPECT_NE(import_error(b).find("default operator set has version 5"), std::string::npos);
  }
}

}  // namespace
}  // namespace tinyprop
