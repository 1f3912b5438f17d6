// Writes the seed corpus of the "onnx" fuzz target (tests/fuzz/corpus/onnx/seed-*): exports of a
// few models, models with the operators only the import knows (BatchNormalization, MatMul + Add,
// Reshape, Dropout, Softmax), and near-valid variants (cut short, an unsupported operator, a
// missing initializer). Re-running rewrites the same bytes.
//   cmake --build --preset release --target make_onnx_seeds
//   build/release/tests/fuzz/make_onnx_seeds tests/fuzz/corpus/onnx
#include <stdio.h>

#include <fstream>
#include <string>
#include <vector>

#include "../tools/onnx_test_models.h"
#include "formats/onnx_model.h"
#include "tinyprop/rng.h"

namespace {

using namespace tinyprop;
using onnx_test::OnnxBuilder;

void put(const std::string& dir, const std::string& name, const std::vector<uint8_t>& b) {
  std::ofstream f(dir + "/seed-" + name, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

std::vector<uint8_t> exported(const std::string& spec_text) {
  host::ModelFile f;
  f.spec = host::parse_model_spec(spec_text);
  host::InferenceModel net(f.spec);
  Rng rng(1);
  net.model().init_params(rng);
  f.params.assign(net.model().params(), net.model().params() + net.model().param_count());
  return host::encode_onnx(f);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: make_onnx_seeds <corpus/onnx>\n");
    return 2;
  }
  const std::string dir = argv[1];
  put(dir, "mlp", exported("mlp:6-4-3"));
  put(dir, "cnn", exported("cnn:6x5x2-c3k3+same-m2-dw3pad1-a2s1-d3:leaky_relu"));
  put(dir, "gap", exported("cnn:5x5x1-c2k3x2s2-gap-d2:tanh"));
  {
    OnnxBuilder b({2, 5, 4});
    OnnxBuilder::ints(b.node("Conv", {b.weight("w", {2, 2, 3, 3}), b.weight("b", {2})}, "c"), "pads", {1, 1, 1, 1});
    b.batch_norm(2, "bn");
    b.node("Relu");
    b.node("Reshape", {b.int64s("s", {1, -1})});
    b.node("MatMul", {b.weight("fw", {40, 3})}, "fc");
    b.node("Add", {b.weight("fb", {3})});
    b.node("Dropout");
    b.node("Softmax");
    const std::vector<uint8_t> good = b.bytes();
    put(dir, "bn-matmul-softmax", good);
    put(dir, "cut", std::vector<uint8_t>(good.begin(), good.begin() + static_cast<long>(good.size() / 2)));
    b.model().mutable_graph()->mutable_node(2)->set_op_type("Elu");
    put(dir, "unsupported-op", b.bytes());
    b.model().mutable_graph()->mutable_initializer()->DeleteSubrange(0, 1);
    put(dir, "missing-initializer", b.bytes());
  }
  return 0;
}
