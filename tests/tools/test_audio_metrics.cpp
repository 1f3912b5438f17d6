// AUC and partial AUC on hand-checked score lists (with ties), and against brute force.
#include <gtest/gtest.h>
#include <math.h>

#include <algorithm>

#include "experiments/dcase/metrics.h"
#include "util/error.h"
#include "tinyprop/rng.h"

namespace tinyprop::host::audio {
namespace {

// normal {0.1, 0.4, 0.35, 0.8}, anomaly {0.9, 0.4, 0.6}; one normal-anomaly tie at 0.4.
// Pairs won by the anomaly: 0.9 beats 4; 0.4 beats 0.1 and 0.35 and ties 0.4 (0.5); 0.6 beats 3.
// AUC = (4 + 2.5 + 3) / 12 = 9.5 / 12.
// ROC, threshold from the top: (0,0) 0.9a (0,1/3) 0.8n (1/4,1/3) 0.6a (1/4,2/3)
// 0.4an (1/2,1) 0.35n (3/4,1) 0.1n (1,1).
const std::vector<double> kNormal = {0.1, 0.4, 0.35, 0.8};
const std::vector<double> kAnomaly = {0.9, 0.4, 0.6};

TEST(AudioMetrics, HandCheckedAucWithATie) {
  EXPECT_NEAR(roc_auc(kNormal, kAnomaly), 9.5 / 12.0, 1e-15);
}

TEST(AudioMetrics, HandCheckedRocCurve) {
  const std::vector<RocPoint> roc = roc_curve(kNormal, kAnomaly);
  const double expected[][2] = {{0, 0}, {0, 1. / 3}, {0.25, 1. / 3}, {0.25, 2. / 3},
                                {0.5, 1}, {0.75, 1}, {1, 1}};
  ASSERT_EQ(roc.size(), 7u);
  for (size_t i = 0; i < roc.size(); ++i) {
    EXPECT_DOUBLE_EQ(roc[i].fpr, expected[i][0]) << i;
    EXPECT_DOUBLE_EQ(roc[i].tpr, expected[i][1]) << i;
  }
}

TEST(AudioMetrics, HandCheckedPartialAuc) {
  // Up to FPR 0.1 and 0.25 the curve is flat at TPR 1/3: area p / 3, normalised 1/3.
  EXPECT_NEAR(partial_auc(kNormal, kAnomaly, 0.1), 1.0 / 3.0, 1e-15);
  EXPECT_NEAR(partial_auc(kNormal, kAnomaly, 0.25), 1.0 / 3.0, 1e-15);
  // p = 0.375 cuts the tie's diagonal (1/4,2/3)-(1/2,1) halfway, at TPR 5/6:
  // area = 1/12 + 0.125 (2/3 + 5/6) / 2 = 1/12 + 3/32.
  EXPECT_NEAR(partial_auc(kNormal, kAnomaly, 0.375), (1.0 / 12 + 3.0 / 32) / 0.375, 1e-15);
  EXPECT_NEAR(partial_auc(kNormal, kAnomaly, 1.0), 9.5 / 12.0, 1e-15);
  // sklearn's McClish form at p = 0.25: 0.5 (1 + (1/12 - 1/32) / (1/4 - 1/32)) = 0.5 (1 + 5/21)
  EXPECT_NEAR(partial_auc_mcclish(kNormal, kAnomaly, 0.25), 0.5 * (1.0 + 5.0 / 21.0), 1e-15);
}

TEST(AudioMetrics, PerfectReversedAndAllTied) {
  const std::vector<double> lo = {1, 2, 3}, hi = {4, 5};
  EXPECT_EQ(roc_auc(lo, hi), 1.0);
  EXPECT_EQ(partial_auc(lo, hi, 0.1), 1.0);
  EXPECT_EQ(roc_auc(hi, lo), 0.0);
  EXPECT_EQ(partial_auc(hi, lo, 0.1), 0.0);
  const std::vector<double> same = {7, 7, 7};
  EXPECT_DOUBLE_EQ(roc_auc(same, {7, 7}), 0.5);
  // all tied: the ROC is the diagonal, area up to p is p^2 / 2, normalised p / 2
  EXPECT_DOUBLE_EQ(partial_auc(same, {7, 7}, 0.1), 0.05);
  EXPECT_DOUBLE_EQ(partial_auc_mcclish(same, {7, 7}, 0.1), 0.5);
}

// Brute force: P(a > n) + 0.5 P(a == n) over all pairs; and a step-by-step pAUC from the ROC
// defined in the task (normals sorted by score, descending) when p * N- is an integer and there
// are no ties.
TEST(AudioMetrics, MatchesBruteForceOnRandomListsWithManyTies) {
  Rng rng(99);
  for (int trial = 0; trial < 200; ++trial) {
    const uint32_t nn = 1 + rng.uniform_below(30), na = 1 + rng.uniform_below(30);
    std::vector<double> normal, anomaly;
    for (uint32_t i = 0; i < nn; ++i) normal.push_back(rng.uniform_below(8));      // ties galore
    for (uint32_t i = 0; i < na; ++i) anomaly.push_back(1 + rng.uniform_below(8));
    double wins = 0;
    for (double a : anomaly)
      for (double n : normal) wins += a > n ? 1.0 : (a == n ? 0.5 : 0.0);
    EXPECT_NEAR(roc_auc(normal, anomaly), wins / (nn * na), 1e-12);
    EXPECT_NEAR(roc_auc(anomaly, normal), 1.0 - wins / (nn * na), 1e-12);  // symmetric with ties
  }
}

TEST(AudioMetrics, PartialAucMatchesTheTaskFormulaWithoutTies) {
  // DCASE2020 Task 2: pAUC = 1 / (floor(p N-) N+) sum_{i <= floor(p N-)} sum_j H(A(x_j+) - A(x_i-))
  // with the normals x_i- sorted by descending score.
  Rng rng(5);
  for (int trial = 0; trial < 100; ++trial) {
    std::vector<double> normal, anomaly;
    for (int i = 0; i < 50; ++i) normal.push_back(rng.uniform01());
    for (int i = 0; i < 17; ++i) anomaly.push_back(rng.uniform01() + 0.3);
    std::vector<double> sorted = normal;
    std::sort(sorted.rbegin(), sorted.rend());
    const int top = 5;  // p = 0.1 of 50
    double h = 0;
    for (int i = 0; i < top; ++i)
      for (double a : anomaly) h += a > sorted[i] ? 1.0 : 0.0;
    EXPECT_NEAR(partial_auc(normal, anomaly, 0.1), h / (top * anomaly.size()), 1e-12);
  }
}

TEST(AudioMetrics, InvalidInputsThrow) {
  EXPECT_THROW(roc_auc({}, {1.0}), Error);
  EXPECT_THROW(roc_auc({1.0}, {}), Error);
  EXPECT_THROW(roc_auc({1.0, NAN}, {2.0}), Error);
  EXPECT_THROW(partial_auc({1.0}, {2.0}, 0.0), Error);
  EXPECT_THROW(partial_auc({1.0}, {2.0}, 1.5), Error);
}

}  // namespace
}  // namespace tinyprop::host::audio
