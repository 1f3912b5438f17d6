// Rows that were not selected are untouched by a step: their weights and their optimizer state
// (SGD velocity, Adam moments) keep their bits. The selection is recomputed independently on a
// twin model that trains in lockstep: the output error from the loss, then per trainable layer
// (top first) the top-k of |delta| with k from the step's counters, checked against a
// brute-force sort, and the error below through the selected rows only.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "test_util.h"
#include "tinyprop/kernels/activation.h"
#include "tinyprop/kernels/dense.h"
#include "tinyprop/loss.h"
#include "tinyprop/select.h"

namespace tinyprop_test {
namespace {

using Selection = std::vector<std::set<uint32_t>>;  // per model layer: selected rows

// Adds this sample's selection to *sel (union over a batch).
void recompute_selection(Model& m, const Trainer& t, const float* x, Target target,
                         const StepCounters& c, Selection* sel) {
  const uint32_t n_layers = m.n_layers();
  sel->resize(n_layers);
  uint32_t lowest = 0;
  while (!t.state(lowest).trainable) ++lowest;

  const float* out = m.forward(x);
  std::vector<float> delta(m.output_size());  // [out size of the current layer]
  (void)loss_forward_backward(m.spec().loss, out, m.output_size(), target.values, target.label,
                              delta.data());
  for (uint32_t i = n_layers; i-- > lowest;) {
    const Layer& l = m.layer(i);
    if (l.n_weights == 0) {
      activation_backward(l.spec.kind, l.spec.alpha, delta.data(), l.out, l.out_size);
      continue;
    }
    std::vector<uint32_t> rows(l.out_size);
    if (t.state(i).trainable) {
      const uint32_t k = c.k[i];
      EXPECT_GE(k, 1u);
      EXPECT_LE(k, l.out_size);
      rows.resize(k);
      (void)select_top_k(delta.data(), l.out_size, k, rows.data());
      std::vector<uint32_t> sorted = rows;
      std::sort(sorted.begin(), sorted.end());
      EXPECT_EQ(sorted, brute_top_k(delta.data(), l.out_size, k)) << "layer " << i;
      (*sel)[i].insert(rows.begin(), rows.end());
    } else {
      for (uint32_t j = 0; j < l.out_size; ++j) rows[j] = j;
    }
    if (i == lowest) break;
    std::vector<float> dx(l.in_size);
    dense_backward_input(dx.data(), l.w, delta.data(), rows.data(),
                         static_cast<uint32_t>(rows.size()), l.in_size);
    delta.swap(dx);
  }
}

bool row_same(const float* a, const float* b, uint32_t j, uint32_t len) {
  if (a == nullptr || b == nullptr) return a == b;
  return same_bits(a + static_cast<size_t>(j) * len, b + static_cast<size_t>(j) * len, len);
}

struct RowCase {
  const char* name;
  Method method;
  OptimizerKind opt;
  float momentum;
  uint32_t batch;
  bool sparse_bias;
};

void PrintTo(const RowCase& c, std::ostream* os) { *os << c.name; }

class UnselectedRows : public ::testing::TestWithParam<RowCase> {};

TEST_P(UnselectedRows, KeepWeightsAndOptimizerState) {
  const RowCase rc = GetParam();
  const ModelSpec spec = mlp_spec({10, 32, 24, 6}, LayerKind::kReLU);
  TrainConfig cfg = make_config(rc.method, rc.opt, rc.batch, 0.02f, rc.momentum);
  cfg.sparsity.ratio = 0.25f;
  cfg.sparsity.sparse_bias = rc.sparse_bias;
  Bound a(spec, cfg, 3), twin(spec, cfg, 3);
  ASSERT_EQ(a.status, Status::kOk);
  const Dataset d = make_blobs(200, 10, 6, 1.0f, 5);
  Model& m = a.model;

  uint32_t sample = 0, sparse_layer_steps = 0;
  for (int round = 0; round < 40; ++round) {
    // Snapshot of the twin (= a before this batch), then one batch on a.
    Selection sel;
    StepCounters c;
    const uint32_t first = sample;
    for (uint32_t s = 0; s < rc.batch; ++s, ++sample) {
      const uint32_t i = sample % d.size();
      a.trainer.train_sample(d.row(i), Target::of_label(d.y[i]), &c);
      recompute_selection(twin.model, twin.trainer, d.row(i), Target::of_label(d.y[i]), c, &sel);
    }
    for (uint32_t i = 0; i < m.n_layers(); ++i) {
      const Layer& l = m.layer(i);
      if (l.n_weights == 0) continue;
      const LayerTrainState& sa = a.trainer.state(i);
      const LayerTrainState& sb = twin.trainer.state(i);
      if (sel[i].size() < l.out_size) ++sparse_layer_steps;
      uint32_t changed_selected = 0;
      for (uint32_t j = 0; j < l.out_size; ++j) {
        const bool selected = sel[i].count(j) != 0;
        const bool w_same = row_same(l.w, twin.model.layer(i).w, j, l.in_size);
        if (selected) {
          changed_selected += w_same ? 0 : 1;
          continue;
        }
        EXPECT_TRUE(w_same) << "layer " << i << " row " << j << " round " << round;
        EXPECT_TRUE(row_same(sa.m_w, sb.m_w, j, l.in_size)) << "m_w layer " << i << " row " << j;
        EXPECT_TRUE(row_same(sa.v_w, sb.v_w, j, l.in_size)) << "v_w layer " << i << " row " << j;
        if (rc.sparse_bias) {
          EXPECT_TRUE(row_same(l.b, twin.model.layer(i).b, j, 1)) << "bias " << i << "/" << j;
          EXPECT_TRUE(row_same(sa.m_b, sb.m_b, j, 1));
          EXPECT_TRUE(row_same(sa.v_b, sb.v_b, j, 1));
        }
      }
      EXPECT_GT(changed_selected, 0u) << "layer " << i << ": no selected row moved";
    }
    // Bring the twin level: the same samples in the same order give the same bits.
    for (uint32_t s = first; s < sample; ++s) {
      const uint32_t i = s % d.size();
      twin.trainer.train_sample(d.row(i), Target::of_label(d.y[i]), nullptr);
    }
    ASSERT_TRUE(same_bits(m.params(), twin.model.params(), m.param_count()));
  }
  EXPECT_GT(sparse_layer_steps, 40u) << "the selection never sparsified: the test proves nothing";
}

INSTANTIATE_TEST_SUITE_P(
    Configs, UnselectedRows,
    ::testing::Values(
        RowCase{"tinyprop_momentum_b1", Method::kTinyProp, OptimizerKind::kSgd, 0.9f, 1, false},
        RowCase{"tinyprop_adam_b1", Method::kTinyProp, OptimizerKind::kAdam, 0.0f, 1, false},
        RowCase{"static_adam_b1_sparse_bias", Method::kStatic, OptimizerKind::kAdam, 0.0f, 1, true},
        RowCase{"static_momentum_b4", Method::kStatic, OptimizerKind::kSgd, 0.9f, 4, false},
        RowCase{"tinyprop_adam_b4_sparse_bias", Method::kTinyProp, OptimizerKind::kAdam, 0.0f, 4,
                true}),
    [](const auto& info) { return std::string(info.param.name); });

// updated_params = sum over trainable layers of k n_in (+ all biases, or the k selected).
TEST(UnselectedRows, UpdatedParamsCounterMatchesK) {
  for (bool sparse_bias : {false, true}) {
    const ModelSpec spec = mlp_spec({10, 32, 24, 6}, LayerKind::kReLU);
    TrainConfig cfg = make_config(Method::kTinyProp, OptimizerKind::kAdam, 1, 0.01f);
    cfg.sparsity.sparse_bias = sparse_bias;
    Bound b(spec, cfg, 4);
    ASSERT_EQ(b.status, Status::kOk);
    const Dataset d = make_blobs(50, 10, 6, 1.0f, 6);
    for (uint32_t s = 0; s < 50; ++s) {
      StepCounters c;
      b.trainer.train_sample(d.row(s), Target::of_label(d.y[s]), &c);
      uint64_t expect = 0;
      for (uint32_t i = 0; i < spec.n_layers; ++i) {
        const Layer& l = b.model.layer(i);
        if (l.n_weights == 0) {
          EXPECT_EQ(c.n[i], 0u);
          continue;
        }
        EXPECT_EQ(c.n[i], l.out_size);
        expect += static_cast<uint64_t>(c.k[i]) * l.in_size + (sparse_bias ? c.k[i] : l.out_size);
      }
      EXPECT_EQ(c.updated_params, expect) << "sample " << s;
    }
  }
}

}  // namespace
}  // namespace tinyprop_test
