// The divergence guard: a step whose loss is not finite sets the sticky Trainer::health()
// status (kNonFinite) and changes no weight, so the weights of the last finite step are kept;
// Model::first_nonfinite_layer() finds damage a ReLU hides from the loss.
#include <gtest/gtest.h>
#include <math.h>

#include "test_util.h"

namespace tinyprop_test {
namespace {

const ModelSpec& spec() {
  // tanh, not ReLU: a ReLU maps a NaN pre-activation to 0 and would hide a NaN input from the
  // loss (first_nonfinite_layer() is the check for that).
  static const ModelSpec s = mlp_spec({6, 8, 3}, LayerKind::kTanh);
  return s;
}

TEST(Divergence, NonFiniteInputSetsHealthAndChangesNoWeight) {
  for (uint32_t batch : {1u, 4u}) {
    Bound b(spec(), make_config(Method::kTinyProp, OptimizerKind::kSgd, batch, 0.05f, 0.9f));
    ASSERT_TRUE(ok(b.status));
    EXPECT_EQ(b.trainer.health(), Status::kOk);
    const float good[6] = {0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f};
    b.trainer.train_sample(good, Target::of_label(1), nullptr);
    b.trainer.flush(nullptr);  // batch 4: apply the good sample's gradient first
    EXPECT_EQ(b.trainer.health(), Status::kOk);
    const std::vector<float> before = copy_of(b.model.params(), b.model.param_count());
    const float bad[6] = {0.1f, NAN, 0.3f, 0.4f, -0.5f, 0.6f};
    b.trainer.train_sample(bad, Target::of_label(1), nullptr);
    EXPECT_EQ(b.trainer.health(), Status::kNonFinite) << "batch " << batch;
    b.trainer.flush(nullptr);
    EXPECT_TRUE(same_bits(before.data(), b.model.params(), before.size())) << "batch " << batch;
    // Sticky over finite steps, until cleared.
    b.trainer.train_sample(good, Target::of_label(1), nullptr);
    EXPECT_EQ(b.trainer.health(), Status::kNonFinite);
    b.trainer.reset_health();
    EXPECT_EQ(b.trainer.health(), Status::kOk);
    b.trainer.train_sample(bad, Target::of_label(1), nullptr);
    b.trainer.reset_run();
    EXPECT_EQ(b.trainer.health(), Status::kOk);
  }
}

TEST(Divergence, HugeLearningRateIsCaught) {
  // ReLU activations are unbounded: at lr 1e30 the second layer's output overflows.
  Bound b(mlp_spec({6, 8, 3}, LayerKind::kReLU), make_config(Method::kFull, OptimizerKind::kSgd, 1, 1e30f));
  ASSERT_TRUE(ok(b.status));
  const Dataset d = make_blobs(200, 6, 3, 0.5f, 3);
  uint32_t caught_at = 0;
  for (uint32_t step = 0; step < 2000 && caught_at == 0; ++step) {
    const uint32_t i = step % d.size();
    b.trainer.train_sample(d.row(i), Target::of_label(d.y[i]), nullptr);
    if (b.trainer.health() == Status::kNonFinite) caught_at = step + 1;
  }
  ASSERT_GT(caught_at, 0u) << "lr 1e30 did not diverge";
  EXPECT_FALSE(isfinite(b.trainer.last_loss()));
}

TEST(Divergence, FirstNonFiniteLayerFindsHiddenDamage) {
  Bound b(spec(), make_config(Method::kFull));
  ASSERT_TRUE(ok(b.status));
  EXPECT_EQ(b.model.first_nonfinite_layer(), b.model.n_layers());
  b.model.layer(2).b[1] = INFINITY;
  EXPECT_EQ(b.model.first_nonfinite_layer(), 2u);
  b.model.layer(0).w[5] = NAN;  // a ReLU can hide a NaN row from the loss; the scan cannot miss it
  EXPECT_EQ(b.model.first_nonfinite_layer(), 0u);
  Model unbound;
  EXPECT_EQ(unbound.first_nonfinite_layer(), 0u);  // no layers: n_layers() == 0
}

}  // namespace
}  // namespace tinyprop_test
