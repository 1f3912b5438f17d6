// Model builders, clip scores and feature standardisation of the audio pipeline.
#include <gtest/gtest.h>
#include <math.h>

#include "experiments/dcase/models.h"
#include "util/error.h"
#include "tinyprop/rng.h"

namespace tinyprop::host::audio {
namespace {

TEST(AudioModels, AutoencoderIsTheDcaseAeNetwork) {
  const ModelSpec s = make_autoencoder_spec(640);
  ASSERT_EQ(s.n_layers, 15u);  // 8 dense, 7 ReLU
  const uint32_t units[] = {128, 128, 128, 8, 128, 128, 128, 640};
  for (uint32_t i = 0; i < 8; ++i) {
    EXPECT_EQ(s.layers[2 * i].kind, LayerKind::kDense);
    EXPECT_EQ(s.layers[2 * i].units, units[i]);
    if (i < 7) {
      EXPECT_EQ(s.layers[2 * i + 1].kind, LayerKind::kReLU);
    }
  }
  EXPECT_EQ(s.loss, LossKind::kMeanSquaredError);
  EXPECT_EQ(s.input.size(), 640u);
  // (640+1)128 + 2 (128+1)128 + (128+1)8 + (8+1)128 + 2 (128+1)128 + (128+1)640
  EXPECT_EQ(s.param_count(), 82048u + 33024u + 1032u + 1152u + 33024u + 82560u);
}

TEST(AudioModels, ClassifierEndsInOneSigmoidWithBce) {
  const ModelSpec s = make_binary_classifier_spec(640, {32});
  ASSERT_EQ(s.n_layers, 4u);
  EXPECT_EQ(s.layers[2].units, 1u);
  EXPECT_EQ(s.layers[3].kind, LayerKind::kSigmoid);
  EXPECT_EQ(s.loss, LossKind::kBinaryCrossEntropy);
  EXPECT_THROW(make_autoencoder_spec(640, {128, 0}), Error);
}

TEST(AudioModels, ReconstructionScoreIsMeanOfPerVectorMse) {
  TrainConfig cfg;
  BoundNetwork net(make_autoencoder_spec(4, {3}), cfg);
  for (uint32_t i = 0; i < net.model().param_count(); ++i) net.model().params()[i] = 0.0f;
  // zero network: AE(x) = 0, so the score is the mean over vectors of mean(x^2)
  const float x[] = {1, 2, 3, 4,  0, 0, 0, 2};  // [2, 4]
  EXPECT_NEAR(reconstruction_score(net.model(), x, 2), ((1 + 4 + 9 + 16) / 4.0 + 4 / 4.0) / 2, 1e-9);
  // a bias of 1 on every output: errors x - 1
  Layer& out = net.model().layer(net.model().n_layers() - 1);
  for (uint32_t i = 0; i < 4; ++i) out.b[i] = 1.0f;
  EXPECT_NEAR(reconstruction_score(net.model(), x, 1), (0 + 1 + 4 + 9) / 4.0, 1e-9);
  EXPECT_THROW(reconstruction_score(net.model(), x, 0), Error);
}

TEST(AudioModels, ClassifierLearnsASeparableToyProblem) {
  TrainConfig cfg;
  cfg.optimizer.kind = OptimizerKind::kAdam;
  cfg.optimizer.learning_rate = 1e-2f;
  BoundNetwork net(make_binary_classifier_spec(8, {16}), cfg);
  Rng rng(3);
  net.model().init_params(rng);
  auto sample = [&](bool anomaly, float* x) {
    for (int i = 0; i < 8; ++i) x[i] = rng.normal() + (anomaly && i < 2 ? 2.5f : 0.0f);
  };
  float x[8];
  for (int step = 0; step < 2000; ++step) {
    const bool a = (step % 2) == 1;
    sample(a, x);
    const float t = a ? 1.0f : 0.0f;
    net.trainer().train_sample(x, Target::of_values(&t), nullptr);
  }
  // clip of 20 vectors per class: the anomalous clip scores far higher
  std::vector<float> normal(20 * 8), anomalous(20 * 8);
  for (int v = 0; v < 20; ++v) {
    sample(false, &normal[v * 8]);
    sample(true, &anomalous[v * 8]);
  }
  const double sn = classifier_score(net.model(), normal.data(), 20);
  const double sa = classifier_score(net.model(), anomalous.data(), 20);
  EXPECT_LT(sn, 0.3);
  EXPECT_GT(sa, 0.7);
}

TEST(AudioModels, FeatureNormPoolsEachMelBandOverFramePositions) {
  // n_mels 2, frames 2: a vector is [band0 t0, band1 t0, band0 t1, band1 t1]
  const std::vector<float> a = {1, 10, 3, 10, 5, 20, 7, 20};  // two vectors
  const FeatureNorm n = FeatureNorm::fit({&a}, 2, 2);
  // band 0 values 1, 3, 5, 7: mean 4, population std sqrt(5); band 1: 10, 10, 20, 20: mean 15, std 5
  EXPECT_FLOAT_EQ(n.mean[0], 4.0f);
  EXPECT_FLOAT_EQ(n.mean[2], 4.0f);
  EXPECT_FLOAT_EQ(n.mean[1], 15.0f);
  EXPECT_FLOAT_EQ(n.inv_std[0], 1.0f / sqrtf(5.0f));
  EXPECT_FLOAT_EQ(n.inv_std[3], 0.2f);
  std::vector<float> b = a;
  n.apply(&b);
  EXPECT_FLOAT_EQ(b[0], (1 - 4) / sqrtf(5.0f));
  EXPECT_FLOAT_EQ(b[7], 1.0f);
  const std::vector<float> constant(8, 3.0f);
  EXPECT_FLOAT_EQ(FeatureNorm::fit({&constant}, 2, 2).inv_std[0], 1000.0f);  // std floor 1e-3
}

TEST(AudioModels, BoundNetworkUsesExactlyThePlannedArena) {
  TrainConfig cfg;
  cfg.optimizer.kind = OptimizerKind::kAdam;
  const ModelSpec spec = make_autoencoder_spec(640);
  BoundNetwork net(spec, cfg);
  MemoryPlan plan;
  ASSERT_TRUE(ok(Trainer::plan(spec, cfg, &plan)));
  EXPECT_EQ(net.plan().total(), plan.total());
  std::vector<float> p(net.model().param_count(), 0.5f);
  net.load_params(p);
  EXPECT_EQ(net.params(), p);
  EXPECT_THROW(net.load_params(std::vector<float>(3)), Error);
}

}  // namespace
}  // namespace tinyprop::host::audio
