// Golden tests of the convolution and pooling layers against PyTorch (refgen/make_golden_conv.py):
// per-layer forward and backward through the kernels, the layer geometry through ModelSpec, and
// whole CNNs through Model / Trainer (one-sample gradients, 10-step trajectories).
//
// Tolerances: a conv output sums up to k_h k_w c_in products in a different order than torch's
// im2col + GEMM, which costs a few float32 ulps of the largest partial sum; |got - want| <=
// 1e-5 + 1e-5 |want| covers that with room, and still catches any wrong tap (errors of O(0.1)).
// Trajectories compound rounding over 10 optimizer steps: 1e-4 relative, 2e-5 absolute.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "golden_fixture.h"
#include "tinyprop/kernels/conv.h"
#include "tinyprop/kernels/pool.h"

namespace tinyprop::golden {
namespace {

constexpr Tolerance kLayerTol{1e-5, 1e-5};
constexpr Tolerance kTrajectoryTol{1e-4, 2e-5};

const Json& layers() {
  static const Json j = load_fixture("conv_layers.json");
  return j;
}

// A LayerSpec carrying a fixture case's window ("pad" is [pad_h, pad_w] or "same").
LayerSpec window_spec(LayerKind kind, const Json& c) {
  LayerSpec l;
  l.kind = kind;
  l.kernel_h = c.at("kernel").at(0).get<uint16_t>();
  l.kernel_w = c.at("kernel").at(1).get<uint16_t>();
  l.stride_h = c.at("stride").at(0).get<uint16_t>();
  l.stride_w = c.at("stride").at(1).get<uint16_t>();
  if (c.at("pad").is_string()) {
    l.pad_same = true;
  } else {
    l.pad_h = c.at("pad").at(0).get<uint16_t>();
    l.pad_w = c.at("pad").at(1).get<uint16_t>();
  }
  if (c.contains("filters")) l.filters = c.at("filters").get<uint32_t>();
  return l;
}

// The kernels' geometry from our own spec code; checked against the fixture's (torch's) sizes.
WindowGeometry geometry_of(LayerKind kind, const Json& c) {
  const LayerSpec l = window_spec(kind, c);
  WindowGeometry g;
  g.in_h = c.at("in_h");
  g.in_w = c.at("in_w");
  g.in_c = c.at("in_c");
  g.out_c = c.at("out_c");
  g.k_h = l.kernel_h;
  g.k_w = l.kernel_w;
  g.stride_h = l.stride_h;
  g.stride_w = l.stride_w;
  const WindowAxis rows = window_rows(l, g.in_h), cols = window_cols(l, g.in_w);
  g.out_h = rows.out;
  g.out_w = cols.out;
  g.pad_top = rows.pad_before;
  g.pad_left = cols.pad_before;
  EXPECT_EQ(g.out_h, c.at("out_h").get<uint32_t>());
  EXPECT_EQ(g.out_w, c.at("out_w").get<uint32_t>());
  EXPECT_EQ(g.pad_top, c.at("pad_top").get<uint32_t>());
  EXPECT_EQ(g.pad_left, c.at("pad_left").get<uint32_t>());
  return g;
}

std::string describe(const Json& c) {
  return std::to_string(c.at("in_h").get<int>()) + "x" + std::to_string(c.at("in_w").get<int>()) +
         "x" + std::to_string(c.at("in_c").get<int>()) + " k" + c.at("kernel").dump() + " s" +
         c.at("stride").dump() + " p" + c.at("pad").dump();
}

TEST(ConvGolden, FixtureRecordsItsOrigin) {
  const Json& meta = layers().at("meta");
  EXPECT_EQ(meta.at("generator").get<std::string>(), "refgen/make_golden_conv.py");
  EXPECT_FALSE(meta.at("torch").get<std::string>().empty());
}

void check_conv_case(const Json& c, bool depthwise) {
  SCOPED_TRACE(describe(c));
  const WindowGeometry g = geometry_of(depthwise ? LayerKind::kDepthwiseConv2D
                                                 : LayerKind::kConv2D, c);
  const std::vector<float> x = floats(c.at("x")), w = floats(c.at("w")), b = floats(c.at("b"));
  const std::vector<float> dy = floats(c.at("dy"));
  const size_t n_out = static_cast<size_t>(g.out_h) * g.out_w * g.out_c;
  ASSERT_EQ(dy.size(), n_out);
  std::vector<float> y(n_out), dx(x.size()), dw(w.size(), 0.0f), db(b.size(), 0.0f);
  if (depthwise) {
    depthwise_conv2d_forward(y.data(), x.data(), w.data(), b.data(), g);
    depthwise_conv2d_backward_input(dx.data(), w.data(), dy.data(), nullptr,
                                    static_cast<uint32_t>(n_out), g);
    depthwise_conv2d_accumulate_weight_grad(dw.data(), x.data(), dy.data(), nullptr,
                                            static_cast<uint32_t>(n_out), g);
  } else {
    conv2d_forward(y.data(), x.data(), w.data(), b.data(), g);
    conv2d_backward_input(dx.data(), w.data(), dy.data(), nullptr, static_cast<uint32_t>(n_out),
                          g);
    conv2d_accumulate_weight_grad(dw.data(), x.data(), dy.data(), nullptr,
                                  static_cast<uint32_t>(n_out), g);
  }
  conv_accumulate_bias_grad(db.data(), dy.data(), nullptr, static_cast<uint32_t>(n_out), g.out_c);
  EXPECT_TRUE(all_close(y, floats(c.at("y")), kLayerTol, "y"));
  EXPECT_TRUE(all_close(dx, floats(c.at("dx")), kLayerTol, "dx"));
  EXPECT_TRUE(all_close(dw, floats(c.at("dw")), kLayerTol, "dW"));
  EXPECT_TRUE(all_close(db, floats(c.at("db")), kLayerTol, "db"));
}

TEST(ConvGolden, Conv2DForwardAndBackward) {
  for (const Json& c : layers().at("conv2d")) check_conv_case(c, false);
}

TEST(ConvGolden, DepthwiseConv2DForwardAndBackward) {
  for (const Json& c : layers().at("depthwise_conv2d")) check_conv_case(c, true);
}

TEST(ConvGolden, PoolingForwardAndBackward) {
  size_t seen_max = 0, seen_avg = 0;
  for (const Json& c : layers().at("pool")) {
    const bool is_max = c.at("kind").get<std::string>() == "max";
    SCOPED_TRACE((is_max ? "max " : "avg ") + describe(c));
    const WindowGeometry g = geometry_of(is_max ? LayerKind::kMaxPool2D : LayerKind::kAvgPool2D,
                                         c);
    const std::vector<float> x = floats(c.at("x")), dy = floats(c.at("dy"));
    std::vector<float> y(dy.size()), dx(x.size());
    if (is_max) {
      max_pool2d_forward(y.data(), x.data(), g);
      max_pool2d_backward_input(dx.data(), x.data(), dy.data(), g);
      ++seen_max;
    } else {
      avg_pool2d_forward(y.data(), x.data(), g);
      avg_pool2d_backward_input(dx.data(), dy.data(), g);
      ++seen_avg;
    }
    EXPECT_TRUE(all_close(y, floats(c.at("y")), kLayerTol, "y"));
    EXPECT_TRUE(all_close(dx, floats(c.at("dx")), kLayerTol, "dx"));
  }
  EXPECT_GE(seen_max, 4u);
  EXPECT_GE(seen_avg, 4u);
}

TEST(ConvGolden, GlobalAvgPoolForwardAndBackward) {
  for (const Json& c : layers().at("global_avg_pool")) {
    const uint32_t hw = c.at("in_h").get<uint32_t>() * c.at("in_w").get<uint32_t>();
    const uint32_t ch = c.at("in_c");
    const std::vector<float> x = floats(c.at("x")), dy = floats(c.at("dy"));
    std::vector<float> y(ch), dx(x.size());
    global_avg_pool_forward(y.data(), x.data(), hw, ch);
    global_avg_pool_backward_input(dx.data(), dy.data(), hw, ch);
    EXPECT_TRUE(all_close(y, floats(c.at("y")), kLayerTol, "y"));
    EXPECT_TRUE(all_close(dx, floats(c.at("dx")), kLayerTol, "dx"));
  }
}

// ---- whole CNNs through Model and Trainer ---------------------------------------------------

LayerKind kind_of(const std::string& name) {
  if (name == "conv2d") return LayerKind::kConv2D;
  if (name == "depthwise_conv2d") return LayerKind::kDepthwiseConv2D;
  if (name == "max_pool2d") return LayerKind::kMaxPool2D;
  if (name == "avg_pool2d") return LayerKind::kAvgPool2D;
  if (name == "global_avg_pool") return LayerKind::kGlobalAvgPool;
  if (name == "flatten") return LayerKind::kFlatten;
  if (name == "dense") return LayerKind::kDense;
  if (name == "relu") return LayerKind::kReLU;
  if (name == "tanh") return LayerKind::kTanh;
  if (name == "sigmoid") return LayerKind::kSigmoid;
  ADD_FAILURE() << "unknown layer kind " << name;
  return LayerKind::kReLU;
}

ModelSpec cnn_spec(const Json& model) {
  ModelSpec s;
  s.input = Shape{model.at("input").at(0), model.at("input").at(1), model.at("input").at(2)};
  EXPECT_EQ(model.at("loss").get<std::string>(), "softmax_cross_entropy");
  for (const Json& l : model.at("layers")) {
    const LayerKind kind = kind_of(l.at("kind"));
    LayerSpec ls;
    if (layer_has_window(kind)) {
      ls = window_spec(kind, l);
    } else {
      ls.kind = kind;
      if (kind == LayerKind::kDense) ls.units = l.at("units");
    }
    ls.trainable = layer_has_params(kind);
    EXPECT_EQ(s.add(ls), Status::kOk);
  }
  EXPECT_EQ(s.validate(), Status::kOk);
  return s;
}

void set_cnn_params(Model& m, const Json& params) {
  for (const Json& p : params) {
    const Layer& l = m.layer(p.at("layer"));
    const std::vector<float> w = floats(p.at("w")), b = floats(p.at("b"));
    ASSERT_EQ(w.size(), l.n_weights);
    ASSERT_EQ(b.size(), l.n_bias);
    std::copy(w.begin(), w.end(), l.w);
    std::copy(b.begin(), b.end(), l.b);
  }
}

class CnnGolden : public ::testing::TestWithParam<const char*> {
 protected:
  const Json& fixture() {
    static std::map<std::string, Json> cache;
    const std::string name = GetParam();
    if (cache.count(name) == 0) cache[name] = load_fixture(name);
    return cache[name];
  }
};

TEST_P(CnnGolden, OneSampleOutputLossAndGradients) {
  const Json& f = fixture();
  const ModelSpec spec = cnn_spec(f.at("model"));
  TrainConfig cfg;
  cfg.batch_size = 1000;  // accumulate only: the gradients stay in the trainer's buffers
  std::unique_ptr<TrainingSetup> setup = bind(spec, cfg);
  ASSERT_NE(setup, nullptr);
  set_cnn_params(setup->model, f.at("initial"));
  const Json& single = f.at("single_sample");
  const size_t s = single.at("sample");
  const std::vector<float> x = floats(f.at("data").at("x").at(s));
  const uint32_t label = f.at("data").at("labels").at(s);
  const float* out = setup->model.forward(x.data());
  EXPECT_TRUE(all_close(out, floats(single.at("output")), kLayerTol, "output"));
  setup->trainer.train_sample(x.data(), Target::of_label(label), nullptr);
  EXPECT_TRUE(close(setup->trainer.last_loss(), single.at("loss").get<float>(), kLayerTol,
                    "loss"));
  for (const Json& g : single.at("grads")) {
    const uint32_t i = g.at("layer");
    SCOPED_TRACE("layer " + std::to_string(i));
    const LayerTrainState& st = setup->trainer.state(i);
    EXPECT_TRUE(all_close(st.dw, floats(g.at("dw")), kLayerTol, "dW"));
    EXPECT_TRUE(all_close(st.db, floats(g.at("db")), kLayerTol, "db"));
  }
}

TEST_P(CnnGolden, TenStepTrajectories) {
  const Json& f = fixture();
  const ModelSpec spec = cnn_spec(f.at("model"));
  const Json& data = f.at("data");
  size_t runs = 0;
  for (const Json& t : f.at("trajectories")) {
    SCOPED_TRACE(t.at("name").get<std::string>());
    const Json& o = t.at("optimizer");
    TrainConfig cfg;
    cfg.batch_size = t.at("batch_size");
    cfg.optimizer.learning_rate = o.at("lr");
    if (o.at("kind").get<std::string>() == "adam") {
      cfg.optimizer.kind = OptimizerKind::kAdam;
      cfg.optimizer.beta1 = o.at("beta1");
      cfg.optimizer.beta2 = o.at("beta2");
      cfg.optimizer.epsilon = o.at("epsilon");
    } else {
      cfg.optimizer.momentum = o.at("momentum");
    }
    std::unique_ptr<TrainingSetup> setup = bind(spec, cfg);
    ASSERT_NE(setup, nullptr);
    set_cnn_params(setup->model, f.at("initial"));
    const uint32_t steps = t.at("steps"), batch = cfg.batch_size;
    const std::vector<float> want_losses = floats(t.at("step_losses"));
    for (uint32_t s = 0; s < steps; ++s) {
      double loss = 0.0;
      for (uint32_t j = 0; j < batch; ++j) {
        const size_t i = static_cast<size_t>(s) * batch + j;
        const std::vector<float> x = floats(data.at("x").at(i));
        setup->trainer.train_sample(x.data(), Target::of_label(data.at("labels").at(i)),
                                    nullptr);
        loss += setup->trainer.last_loss();
      }
      EXPECT_TRUE(close(static_cast<float>(loss / batch), want_losses[s], kTrajectoryTol,
                        "loss of step " + std::to_string(s)));
    }
    EXPECT_EQ(setup->trainer.optimizer_steps(), steps);
    for (const Json& p : t.at("final")) {
      const Layer& l = setup->model.layer(p.at("layer"));
      const std::string where = "layer " + p.at("layer").dump();
      EXPECT_TRUE(all_close(l.w, floats(p.at("w")), kTrajectoryTol, where + " final W"));
      EXPECT_TRUE(all_close(l.b, floats(p.at("b")), kTrajectoryTol, where + " final b"));
    }
    ++runs;
  }
  EXPECT_EQ(runs, 6u);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CnnGolden, ::testing::Values("conv_cnn.json", "conv_gap.json"),
                         [](const auto& info) {
                           const std::string n = info.param;
                           return n.substr(0, n.find('.'));
                         });

}  // namespace
}  // namespace tinyprop::golden
