// Sparse backpropagation through convolutions: identities (ratio 1 is full, bit for bit, in
// element and channel mode; tinyprop with S_min = S_max = r is static r), the selection against
// a brute-force top-k, untouched filters and their optimizer state left alone, and counters.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "layers/conv_layer.h"
#include "test_conv_util.h"
#include "tinyprop/select.h"

namespace tinyprop_test {
namespace {


const TrainCase kOpts[] = {{"sgd_b1", OptimizerKind::kSgd, 0.02f, 0.0f, 1},
                         {"momentum_b1", OptimizerKind::kSgd, 0.01f, 0.9f, 1},
                         {"adam_b1", OptimizerKind::kAdam, 0.002f, 0.0f, 1},
                         {"sgd_b3", OptimizerKind::kSgd, 0.05f, 0.0f, 3},
                         {"adam_b3", OptimizerKind::kAdam, 0.002f, 0.0f, 3}};

struct Net {
  const char* name;
  ModelSpec spec;
};

const Net& net(int i) {
  static const Net nets[] = {{"small_cnn", small_cnn()}, {"all_kinds", all_kinds_cnn()},
                             {"strided_gap", strided_gap_cnn()}};
  return nets[i];
}

const Dataset& data_for(const ModelSpec& spec) {
  static const Dataset shapes = make_shapes(64, 3);
  static const Dataset blobs = make_blobs(64, 11 * 9 * 2, 4, 1.0f, 4);
  static const Dataset small = make_blobs(64, 7 * 8 * 3, 3, 1.0f, 5);
  if (spec.input.size() == 144) return shapes;
  return spec.input.size() == 198 ? blobs : small;
}

struct TrainRun {
  std::vector<float> params;
  std::vector<uint32_t> ks;
  RunCounters counters;
};

TrainRun train(const ModelSpec& spec, const TrainConfig& cfg, uint32_t steps) {
  Bound b(spec, cfg, 21);
  EXPECT_EQ(b.status, Status::kOk);
  TrainRun r;
  if (!ok(b.status)) return r;
  const Dataset& d = data_for(spec);
  StepCounters c;
  for (uint32_t s = 0; s < steps; ++s) {
    const uint32_t i = (s * 7) % d.size();
    b.trainer.train_sample(d.row(i), Target::of_label(d.y[i]), &c);
    r.counters.add(c);
    for (uint32_t l = 0; l < b.model.n_layers(); ++l) r.ks.push_back(c.k[l]);
  }
  b.trainer.flush(&c);
  r.params = copy_of(b.model.params(), b.model.param_count());
  return r;
}

TrainConfig config(const TrainCase& oc, Method m, ConvSelection sel) {
  TrainConfig c = oc.config(m);
  c.sparsity.conv_selection = sel;
  return c;
}

class ConvIdentity : public ::testing::TestWithParam<std::tuple<int, TrainCase>> {};

TEST_P(ConvIdentity, RatioOneIsFullBitForBit) {
  const ModelSpec& spec = net(std::get<0>(GetParam())).spec;
  const TrainCase& oc = std::get<1>(GetParam());
  const uint32_t steps = 60;
  const TrainRun full = train(spec, config(oc, Method::kFull, ConvSelection::kElement), steps);
  ASSERT_FALSE(full.params.empty());
  EXPECT_DOUBLE_EQ(full.counters.backward_ratio(), 1.0);
  for (ConvSelection sel : {ConvSelection::kElement, ConvSelection::kChannel}) {
    SCOPED_TRACE(conv_selection_name(sel));
    const TrainRun full_sel = train(spec, config(oc, Method::kFull, sel), steps);
    EXPECT_TRUE(same_bits(full.params.data(), full_sel.params.data(), full.params.size()));
    TrainConfig st = config(oc, Method::kStatic, sel);
    st.sparsity.ratio = 1.0f;
    const TrainRun r1 = train(spec, st, steps);
    EXPECT_TRUE(same_bits(full.params.data(), r1.params.data(), full.params.size()))
        << "static r = 1";
    EXPECT_EQ(r1.ks, full.ks);
    EXPECT_EQ(r1.counters.backward_macs, full.counters.backward_macs);
    TrainConfig tp = config(oc, Method::kTinyProp, sel);
    tp.sparsity.s_min = tp.sparsity.s_max = tp.sparsity.zeta = 1.0f;
    const TrainRun t1 = train(spec, tp, steps);
    EXPECT_TRUE(same_bits(full.params.data(), t1.params.data(), full.params.size()))
        << "tinyprop S_min = S_max = zeta = 1";
  }
}

// tinyprop with S_min = S_max = r and zeta = 1 decides the same k as static r everywhere, so it
// is the same computation.
TEST_P(ConvIdentity, TinyPropWithFixedBoundsIsStatic) {
  const ModelSpec& spec = net(std::get<0>(GetParam())).spec;
  const TrainCase& oc = std::get<1>(GetParam());
  for (ConvSelection sel : {ConvSelection::kElement, ConvSelection::kChannel}) {
    SCOPED_TRACE(conv_selection_name(sel));
    TrainConfig st = config(oc, Method::kStatic, sel);
    st.sparsity.ratio = 0.3f;
    TrainConfig tp = config(oc, Method::kTinyProp, sel);
    tp.sparsity.s_min = tp.sparsity.s_max = 0.3f;
    tp.sparsity.zeta = 1.0f;
    const TrainRun a = train(spec, st, 40), b = train(spec, tp, 40);
    ASSERT_FALSE(a.params.empty());
    EXPECT_TRUE(same_bits(a.params.data(), b.params.data(), a.params.size()));
    EXPECT_EQ(a.ks, b.ks);
    EXPECT_LT(a.counters.backward_ratio(), 0.6);
  }
}

INSTANTIATE_TEST_SUITE_P(NetsAndOptimizers, ConvIdentity,
                         ::testing::Combine(::testing::Values(0, 1, 2), ::testing::ValuesIn(kOpts)),
                         [](const auto& info) {
                           return std::string(net(std::get<0>(info.param)).name) + "_" +
                                  std::get<1>(info.param).name;
                         });

// ---- The conv glue against brute force, on a bound layer with a chosen output error ----------

struct GlueFixture {
  ModelSpec spec;
  std::unique_ptr<ArenaBuffer> arena;
  Model model;
  std::vector<float> x, dy, dw, db;
  std::vector<uint8_t> touched;
  std::vector<uint32_t> elems, channel_idx;
  std::vector<float> channel_error;
  LayerTrainState st;
  ConvScratch scratch;

  explicit GlueFixture(bool depthwise) {
    spec.input = Shape{7, 6, 3};
    if (depthwise) {
      (void)spec.add_depthwise_conv2d(3, 2, 1);
    } else {
      (void)spec.add_conv2d(5, 3, 1, kPadSame);
    }
    (void)spec.add_flatten();
    (void)spec.add_dense(2);
    MemoryPlan plan;
    EXPECT_EQ(Model::plan(spec, &plan), Status::kOk);
    arena.reset(new ArenaBuffer(plan.total()));
    Arena a(arena->data(), plan.total());
    EXPECT_EQ(model.bind(spec, a), Status::kOk);
    Rng rng(31);
    model.init_params(rng);
    const Layer& l = model.layer(0);
    x = random_vector(rng, l.in_size, -1.0f, 1.0f);
    dy = random_vector(rng, l.out_size, -1.0f, 1.0f);
    dw.assign(l.n_weights, 0.0f);
    db.assign(l.n_bias, 0.0f);
    touched.assign(l.n_bias, 0);
    elems.assign(l.out_size, 0);
    channel_idx.assign(l.n_bias, 0);
    channel_error.assign(l.n_bias, 0.0f);
    st.dw = dw.data();
    st.db = db.data();
    st.touched = touched.data();
    st.trainable = true;
    scratch.elems = elems.data();
    scratch.channel_idx = channel_idx.data();
    scratch.channel_error = channel_error.data();
  }
  const Layer& layer() const { return model.layer(0); }
  bool depthwise() const { return layer().spec.kind == LayerKind::kDepthwiseConv2D; }
  std::vector<float> weights() const {
    return copy_of(layer().w, layer().n_weights);
  }
};

class ConvGlue : public ::testing::TestWithParam<bool> {};

TEST_P(ConvGlue, ElementSelectionIsBruteForceTopK) {
  for (float ratio : {0.01f, 0.05f, 0.3f, 0.77f}) {  // 0.01: k = 2, the heap path
    GlueFixture f(GetParam());
    const Layer& l = f.layer();
    const WindowGeometry g = layer_window(l);
    const uint32_t n = l.out_size;
    RatioDecision d;
    d.k = k_for_ratio(ratio, n);
    d.ratio = ratio;
    SparsityConfig cfg;
    cfg.method = Method::kStatic;
    std::vector<float> dx(l.in_size, 0.0f);
    uint64_t cmps = 0, wgrad_done = 0;
    const uint32_t done = conv_backward(l, f.st, f.x.data(), f.dy.data(), dx.data(), d, cfg,
                                        f.scratch, &cmps, &wgrad_done);
    ASSERT_EQ(done, d.k);
    EXPECT_GT(cmps, 0u);
    const std::vector<uint32_t> brute = brute_top_k(f.dy.data(), n, d.k);
    std::vector<uint32_t> chosen(f.elems.begin(), f.elems.begin() + done);
    std::sort(chosen.begin(), chosen.end());
    EXPECT_EQ(chosen, brute) << "ratio " << ratio;
    const RefGrads ref = ref_conv_backward(g, f.depthwise(), f.x, f.weights(), f.dy, brute);
    EXPECT_EQ(count_far(dx, ref.dx, 1e-5, 1e-5), 0u);
    EXPECT_EQ(count_far(f.dw, ref.dw, 1e-5, 1e-5), 0u);
    // Dense bias (reference behaviour): db sums dy over every element.
    const RefGrads all = ref_conv_backward(g, f.depthwise(), f.x, f.weights(), f.dy,
                                           all_indices(n));
    EXPECT_EQ(count_far(f.db, all.db, 1e-5, 1e-5), 0u);
    for (uint32_t c = 0; c < g.out_c; ++c) {
      const bool any = std::any_of(brute.begin(), brute.end(),
                                   [&](uint32_t e) { return e % g.out_c == c; });
      EXPECT_EQ(f.touched[c] != 0, any) << "filter " << c;
    }
  }
}

TEST_P(ConvGlue, ChannelSelectionIsBruteForceTopChannels) {
  for (float ratio : {0.2f, 0.5f, 0.99f}) {
    GlueFixture f(GetParam());
    const Layer& l = f.layer();
    const WindowGeometry g = layer_window(l);
    const uint32_t n = l.out_size, channels = g.out_c, pixels = n / channels;
    RatioDecision d;
    d.ratio = ratio;
    d.k = k_for_ratio(ratio, n);  // element k: must not matter in channel mode
    SparsityConfig cfg;
    cfg.method = Method::kStatic;
    cfg.conv_selection = ConvSelection::kChannel;
    cfg.sparse_bias = true;
    std::vector<float> dx(l.in_size, 0.0f);
    uint64_t cmps = 0, wgrad_done = 0;
    const uint32_t done = conv_backward(l, f.st, f.x.data(), f.dy.data(), dx.data(), d, cfg,
                                        f.scratch, &cmps, &wgrad_done);
    // Brute force: L1 per channel in double, top kc, every element of those channels.
    const uint32_t kc = spec_k(ratio, channels);
    std::vector<float> l1(channels, 0.0f);
    for (uint32_t e = 0; e < n; ++e) l1[e % channels] += fabsf(f.dy[e]);
    const std::vector<uint32_t> top = brute_top_k(l1.data(), channels, kc);
    ASSERT_EQ(done, kc * pixels) << "ratio " << ratio;
    std::vector<uint32_t> want;
    for (uint32_t e = 0; e < n; ++e) {
      if (std::find(top.begin(), top.end(), e % channels) != top.end()) want.push_back(e);
    }
    const RefGrads ref = ref_conv_backward(g, f.depthwise(), f.x, f.weights(), f.dy, want);
    EXPECT_EQ(count_far(dx, ref.dx, 1e-5, 1e-5), 0u);
    EXPECT_EQ(count_far(f.dw, ref.dw, 1e-5, 1e-5), 0u);
    EXPECT_EQ(count_far(f.db, ref.db, 1e-5, 1e-5), 0u) << "sparse bias: selected channels only";
    for (uint32_t c = 0; c < channels; ++c) {
      const bool chosen = std::find(top.begin(), top.end(), c) != top.end();
      EXPECT_EQ(f.touched[c] != 0, chosen) << "filter " << c;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, ConvGlue, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "depthwise" : "conv2d"; });

// ---- Through the trainer: untouched filters keep weights and optimizer state ----------------

// The first conv of the net, its filter length, and a copy of (w, m, v) per filter.
struct FilterState {
  std::vector<float> w, m, v, b;
};
FilterState snapshot(const Bound& b, uint32_t layer) {
  const Layer& l = b.model.layer(layer);
  const LayerTrainState& st = b.trainer.state(layer);
  return {copy_of(l.w, l.n_weights), copy_of(st.m_w, l.n_weights), copy_of(st.v_w, l.n_weights),
          copy_of(l.b, l.n_bias)};
}
bool filter_equal(const std::vector<float>& a, const std::vector<float>& b, uint32_t f,
                  uint32_t len) {
  return a.empty() || same_bits(a.data() + f * len, b.data() + f * len, len);
}

class UntouchedFilters : public ::testing::TestWithParam<ConvSelection> {};

TEST_P(UntouchedFilters, KeepWeightsAndOptimizerState) {
  ModelSpec spec = small_cnn(10, /*filters=*/8);
  TrainConfig cfg = make_config(Method::kStatic, OptimizerKind::kAdam, 1, 0.01f);
  cfg.sparsity.conv_selection = GetParam();
  cfg.sparsity.sparse_bias = true;
  // Channel mode: 2 of 8 filters. Element mode: 3 of 800 elements, so at most 3 filters.
  cfg.sparsity.ratio = GetParam() == ConvSelection::kChannel ? 0.25f : 3.5f / 800.0f;
  Bound b(spec, cfg, 4);
  ASSERT_EQ(b.status, Status::kOk);
  const Layer& conv = b.model.layer(0);
  const uint32_t filters = conv.n_bias, len = conv.n_weights / filters;
  // Every filter starts with non-zero Adam moments, so an update with a zero gradient (a filter
  // that was not selected but updated anyway) would still move its weights and moments.
  const LayerTrainState& st = b.trainer.state(0);
  Rng rng(12);
  for (uint32_t p = 0; p < conv.n_weights; ++p) {
    st.m_w[p] = rng.uniform(-0.01f, 0.01f);
    st.v_w[p] = rng.uniform(1e-5f, 1e-4f);
  }
  for (uint32_t f = 0; f < filters; ++f) {
    st.m_b[f] = rng.uniform(-0.01f, 0.01f);
    st.v_b[f] = rng.uniform(1e-5f, 1e-4f);
  }
  const Dataset d = make_shapes(20, 8);
  uint32_t changed_total = 0;
  for (uint32_t s = 0; s < 20; ++s) {
    const FilterState before = snapshot(b, 0);
    StepCounters c;
    b.trainer.train_sample(d.row(s), Target::of_label(d.y[s]), &c);
    const FilterState after = snapshot(b, 0);
    const uint32_t limit = GetParam() == ConvSelection::kChannel ? 2 : 3;
    EXPECT_EQ(c.k[0], GetParam() == ConvSelection::kChannel ? 2 * conv.out_size / filters : 3);
    uint32_t changed = 0;
    for (uint32_t f = 0; f < filters; ++f) {
      const bool w_same = filter_equal(before.w, after.w, f, len);
      const bool m_same = filter_equal(before.m, after.m, f, len);
      const bool v_same = filter_equal(before.v, after.v, f, len);
      const bool b_same = same_bits(&before.b[f], &after.b[f], 1);
      if (w_same && m_same && v_same && b_same) continue;
      ++changed;
      // A filter that was not updated keeps everything; one that was keeps nothing stale.
      EXPECT_FALSE(m_same) << "step " << s << " filter " << f << ": weights moved, m did not";
    }
    EXPECT_LE(changed, limit) << "step " << s;
    changed_total += changed;
  }
  EXPECT_GT(changed_total, 10u);
}

INSTANTIATE_TEST_SUITE_P(Modes, UntouchedFilters,
                         ::testing::Values(ConvSelection::kElement, ConvSelection::kChannel),
                         [](const auto& info) { return conv_selection_name(info.param); });

// ---- Counters -------------------------------------------------------------------------------

// Per step: k and n per conv layer, and backward MACs = sum over trainable layers of
// passes x (MACs per output) x k, with passes = 2 above the lowest trainable layer.
TEST(ConvCounters, MacsFollowKPerLayer) {
  const ModelSpec spec = all_kinds_cnn();
  for (ConvSelection sel : {ConvSelection::kElement, ConvSelection::kChannel}) {
    TrainConfig cfg = make_config(Method::kStatic, OptimizerKind::kSgd, 1, 0.01f);
    cfg.sparsity.ratio = 0.3f;
    cfg.sparsity.conv_selection = sel;
    Bound b(spec, cfg, 3);
    ASSERT_EQ(b.status, Status::kOk);
    const Dataset& d = data_for(spec);
    StepCounters c;
    b.trainer.train_sample(d.row(0), Target::of_label(d.y[0]), &c);
    uint64_t want = 0, want_full = 0, fwd = 0;
    for (uint32_t i = 0; i < b.model.n_layers(); ++i) {
      const Layer& l = b.model.layer(i);
      const uint64_t taps = static_cast<uint64_t>(l.spec.kernel_h) * l.spec.kernel_w;
      uint64_t per = 0;
      if (l.spec.kind == LayerKind::kDense) per = l.in_size;
      if (l.spec.kind == LayerKind::kConv2D) per = taps * l.in_shape.c;
      if (l.spec.kind == LayerKind::kDepthwiseConv2D) per = taps;
      fwd += per * l.out_size;
      if (per == 0) {
        EXPECT_EQ(c.n[i], 0u) << "layer " << i;
        continue;
      }
      const uint64_t passes = i == 0 ? 1 : 2;
      EXPECT_EQ(c.n[i], l.out_size) << "layer " << i;
      if (l.spec.kind == LayerKind::kDense || sel == ConvSelection::kElement) {
        EXPECT_EQ(c.k[i], spec_k(0.3, l.out_size)) << "layer " << i;
      } else {
        const uint32_t pixels = l.out_shape.h * l.out_shape.w;
        EXPECT_EQ(c.k[i], spec_k(0.3, l.out_shape.c) * pixels) << "layer " << i;
      }
      want += passes * per * c.k[i];
      want_full += passes * per * l.out_size;
    }
    EXPECT_EQ(c.backward_macs, want) << conv_selection_name(sel);
    EXPECT_EQ(c.backward_macs_full, want_full);
    EXPECT_EQ(c.forward_macs, fwd);
    EXPECT_GT(c.selection_comparisons, 0u);
  }
}

// TinyPropv2 skipping at a CNN's output counts full's backward work for every layer below.
TEST(ConvCounters, SkippedStepCountsFullBackwardOfConvLayers) {
  const ModelSpec spec = all_kinds_cnn();
  TrainConfig full_cfg = make_config(Method::kFull);
  TrainConfig v2 = make_config(Method::kTinyPropV2);
  v2.sparsity.skip_threshold = 1.0f;  // skips every sample after the first
  Bound full(spec, full_cfg, 3), skip(spec, v2, 3);
  ASSERT_EQ(full.status, Status::kOk);
  ASSERT_EQ(skip.status, Status::kOk);
  const Dataset& d = data_for(spec);
  StepCounters cf, cs;
  // A first sample sets Y_max; a second with a smaller output error is skipped.
  skip.trainer.train_sample(d.row(0), Target::of_label(d.y[0]), &cs);
  uint32_t skipped = 0;
  for (uint32_t i = 1; i < 10; ++i) {
    full.trainer.train_sample(d.row(i), Target::of_label(d.y[i]), &cf);
    const std::vector<float> before = copy_of(skip.model.params(), skip.model.param_count());
    skip.trainer.train_sample(d.row(i), Target::of_label(d.y[i]), &cs);
    if (!cs.skipped) continue;
    ++skipped;
    EXPECT_EQ(cs.backward_macs, 0u);
    EXPECT_EQ(cs.backward_macs_full, cf.backward_macs_full);
    EXPECT_TRUE(same_bits(before.data(), skip.model.params(), before.size()));
  }
  EXPECT_GT(skipped, 0u);
}

// Batch size B > 1: conv gradients of B samples accumulate and one step applies their mean.
TEST(ConvBatch, StepAppliesMeanOfAccumulatedGradients) {
  const ModelSpec spec = strided_gap_cnn();
  const float lr = 0.1f;
  Bound acc(spec, make_config(Method::kFull, OptimizerKind::kSgd, 1000, lr), 5);
  Bound b2(spec, make_config(Method::kFull, OptimizerKind::kSgd, 2, lr), 5);
  ASSERT_EQ(acc.status, Status::kOk);
  ASSERT_EQ(b2.status, Status::kOk);
  const Dataset& d = data_for(spec);
  const std::vector<float> before = copy_of(b2.model.params(), b2.model.param_count());
  for (uint32_t s = 0; s < 2; ++s) {
    acc.trainer.train_sample(d.row(s), Target::of_label(d.y[s]), nullptr);
    b2.trainer.train_sample(d.row(s), Target::of_label(d.y[s]), nullptr);
  }
  EXPECT_EQ(b2.trainer.optimizer_steps(), 1u);
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    const Layer& l = b2.model.layer(i);
    if (!layer_is_conv(l.spec.kind)) continue;
    const size_t off = static_cast<size_t>(l.w - b2.model.params());
    for (uint32_t p = 0; p < l.n_weights + l.n_bias; ++p) {
      const double g = p < l.n_weights ? acc.trainer.state(i).dw[p]
                                       : acc.trainer.state(i).db[p - l.n_weights];
      const float now = p < l.n_weights ? l.w[p] : l.b[p - l.n_weights];
      EXPECT_NEAR(static_cast<double>(now) - before[off + p], -lr * g / 2.0,
                  1e-6 + 1e-5 * fabs(g))
          << "layer " << i << " p " << p;
    }
    // Applied gradients are cleared for the next batch.
    for (uint32_t p = 0; p < l.n_weights; ++p) ASSERT_EQ(b2.trainer.state(i).dw[p], 0.0f);
  }
}

}  // namespace
}  // namespace tinyprop_test
