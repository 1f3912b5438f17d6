// Detection metrics of DCASE2020 Task 2: the area under the ROC curve (AUC) and the partial AUC
// over false-positive rates [0, p] (pAUC, p = 0.1 in the challenge). A higher score means "more
// anomalous"; anomalies are the positives.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <vector>

namespace tinyprop::host::audio {

// AUC = P(score of a random anomaly > score of a random normal) + 0.5 P(equal): the
// Mann-Whitney statistic, equal to the trapezoidal area under the ROC curve with tied scores
// forming one diagonal step. In [0, 1]. Throws host::Error unless both lists are non-empty and
// all scores are finite.
double roc_auc(const std::vector<double>& normal_scores, const std::vector<double>& anomaly_scores);

// Partial AUC: the area under the ROC curve for FPR in [0, p], divided by p, so that a perfect
// detector scores 1 and a random one p / 2. The curve is interpolated linearly at FPR = p
// (within a run of tied scores too). This is the task's definition of pAUC (DCASE2020 Task 2,
// eq. 2) in its continuous form; it is NOT the McClish-standardised value that
// sklearn.metrics.roc_auc_score(max_fpr=p) returns (see partial_auc_mcclish).
double partial_auc(const std::vector<double>& normal_scores,
                   const std::vector<double>& anomaly_scores, double p);

// sklearn's roc_auc_score(..., max_fpr=p): 0.5 (1 + (A - p^2 / 2) / (p - p^2 / 2)) with A the
// un-normalised partial area. Provided for comparing with results computed that way (the
// DCASE2020 baseline scripts call roc_auc_score with max_fpr).
double partial_auc_mcclish(const std::vector<double>& normal_scores,
                           const std::vector<double>& anomaly_scores, double p);

// The ROC curve's corner points (FPR, TPR) from (0, 0) to (1, 1), one per distinct score.
struct RocPoint {
  double fpr, tpr;
};
std::vector<RocPoint> roc_curve(const std::vector<double>& normal_scores,
                                const std::vector<double>& anomaly_scores);

}  // namespace tinyprop::host::audio
