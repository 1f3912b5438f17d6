// Per-layer golden tests: tinyprop's kernels and losses against torch.nn.functional (float32),
// fixture tests/fixtures/layers.json from refgen/make_golden.py.
//
// Tolerance: |got - want| <= 1e-7 + 1e-5 |want|. The kernels and torch round differently
// (summation order of dot products, expf/tanhf implementations), which costs a few float32 ulps
// (~1e-7 relative); the absolute floor covers results that are close to 0 by cancellation.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "golden_fixture.h"
#include "tinyprop/kernels/activation.h"
#include "tinyprop/kernels/dense.h"
#include "tinyprop/loss.h"

namespace tinyprop::golden {
namespace {

constexpr Tolerance kTol{1e-5, 1e-7};

const Json& layers_fixture() {
  static const Json j = load_fixture("layers.json");
  return j;
}

TEST(LayerGolden, FixtureRecordsItsOrigin) {
  const Json& meta = layers_fixture().at("meta");
  EXPECT_FALSE(meta.at("torch").get<std::string>().empty());
  EXPECT_FALSE(meta.at("command").get<std::string>().empty());
}

// y = W x + b per sample; dx = W^T dy per sample; dW = sum_s dy_s x_s^T over the samples.
TEST(LayerGolden, DenseForwardAndBackward) {
  for (const Json& c : layers_fixture().at("dense")) {
    const uint32_t n_in = c.at("n_in"), n_out = c.at("n_out"), batch = c.at("batch");
    SCOPED_TRACE("dense " + std::to_string(n_in) + "->" + std::to_string(n_out));
    const std::vector<float> w = floats(c.at("w"));  // [n_out, n_in]
    const std::vector<float> b = floats(c.at("b"));  // [n_out]
    std::vector<float> dw(static_cast<size_t>(n_out) * n_in, 0.0f);  // [n_out, n_in]
    for (uint32_t s = 0; s < batch; ++s) {
      const std::vector<float> x = floats(c.at("x").at(s));    // [n_in]
      const std::vector<float> dy = floats(c.at("dy").at(s));  // [n_out]
      std::vector<float> y(n_out), dx(n_in);
      dense_forward(y.data(), x.data(), w.data(), b.data(), n_in, n_out);
      EXPECT_TRUE(all_close(y, floats(c.at("y").at(s)), kTol, "y"));
      dense_backward_input(dx.data(), w.data(), dy.data(), nullptr, n_out, n_in);
      EXPECT_TRUE(all_close(dx, floats(c.at("dx").at(s)), kTol, "dx"));
      dense_accumulate_weight_grad(dw.data(), x.data(), dy.data(), nullptr, n_out, n_in);
    }
    EXPECT_TRUE(all_close(dw, floats(c.at("dw")), kTol, "dW"));
    // The kernels have no bias-gradient function (db = sum of dy is done by the trainer's
    // dense glue); db is checked end to end against torch in mlp_golden_test.cpp.
  }
}

TEST(LayerGolden, Activations) {
  for (const Json& c : layers_fixture().at("activations")) {
    const std::string name = c.at("kind");
    SCOPED_TRACE(name);
    const LayerKind kind = layer_kind(name);
    const float alpha = static_cast<float>(c.value("alpha", 0.01));
    const std::vector<float> x = floats(c.at("x"));
    const uint32_t n = static_cast<uint32_t>(x.size());
    std::vector<float> y(n);
    activation_forward(kind, alpha, y.data(), x.data(), n);
    EXPECT_TRUE(all_close(y, floats(c.at("y")), kTol, "y"));
    // In place (y == x), as the model runs activations.
    std::vector<float> in_place = x;
    activation_forward(kind, alpha, in_place.data(), in_place.data(), n);
    EXPECT_TRUE(all_close(in_place, floats(c.at("y")), kTol, "y in place"));
    // dx = dy * f'(x), computed from y.
    std::vector<float> d = floats(c.at("dy"));
    activation_backward(kind, alpha, d.data(), y.data(), n);
    EXPECT_TRUE(all_close(d, floats(c.at("dx")), kTol, "dx"));
  }
}

void check_loss(LossKind kind, const std::vector<float>& out, const float* target_values,
                uint32_t label, const Json& want_loss, const Json& want_delta) {
  std::vector<float> delta(out.size());
  const float loss = loss_forward_backward(kind, out.data(), static_cast<uint32_t>(out.size()),
                                           target_values, label, delta.data());
  EXPECT_TRUE(close(loss, want_loss.get<float>(), kTol, "loss"));
  EXPECT_TRUE(all_close(delta, floats(want_delta), kTol, "dloss/doutput"));
}

TEST(LayerGolden, SoftmaxCrossEntropy) {
  int i = 0;
  for (const Json& c : layers_fixture().at("softmax_cross_entropy")) {
    SCOPED_TRACE("case " + std::to_string(i++));
    const std::vector<float> z = floats(c.at("logits"));
    if (c.contains("label")) {
      check_loss(LossKind::kSoftmaxCrossEntropy, z, nullptr, c.at("label"), c.at("loss"),
                 c.at("dlogits"));
    } else {  // soft labels
      const std::vector<float> t = floats(c.at("target"));
      check_loss(LossKind::kSoftmaxCrossEntropy, z, t.data(), 0, c.at("loss"), c.at("dlogits"));
    }
  }
}

TEST(LayerGolden, BinaryCrossEntropyOnProbabilities) {
  int i = 0;
  for (const Json& c : layers_fixture().at("binary_cross_entropy")) {
    SCOPED_TRACE("case " + std::to_string(i++));
    const std::vector<float> t = floats(c.at("target"));
    check_loss(LossKind::kBinaryCrossEntropy, floats(c.at("p")), t.data(), 0, c.at("loss"),
               c.at("dp"));
  }
}

TEST(LayerGolden, MeanSquaredError) {
  int i = 0;
  for (const Json& c : layers_fixture().at("mean_squared_error")) {
    SCOPED_TRACE("case " + std::to_string(i++));
    const std::vector<float> t = floats(c.at("target"));
    check_loss(LossKind::kMeanSquaredError, floats(c.at("output")), t.data(), 0, c.at("loss"),
               c.at("doutput"));
  }
}

}  // namespace
}  // namespace tinyprop::golden
