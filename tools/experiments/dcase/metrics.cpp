#include "experiments/dcase/metrics.h"

#include <math.h>

#include <algorithm>
#include <string>

#include "util/error.h"

namespace tinyprop::host::audio {
namespace {

void check_scores(const std::vector<double>& normal, const std::vector<double>& anomaly) {
  if (normal.empty() || anomaly.empty()) {
    throw Error("AUC needs at least one normal and one anomalous score (got " +
                std::to_string(normal.size()) + " and " + std::to_string(anomaly.size()) + ")");
  }
  for (const auto* list : {&normal, &anomaly}) {
    for (double s : *list) {
      if (!std::isfinite(s)) throw Error("AUC: a score is not finite (NaN or infinite)");
    }
  }
}

// Area under the ROC polyline for FPR in [0, limit] (un-normalised).
double area_up_to(const std::vector<RocPoint>& roc, double limit) {
  double area = 0.0;
  for (size_t i = 1; i < roc.size(); ++i) {
    const RocPoint a = roc[i - 1], b = roc[i];
    if (a.fpr >= limit) break;
    RocPoint end = b;
    if (b.fpr > limit) {  // cut the segment at FPR = limit (linear interpolation)
      const double t = (limit - a.fpr) / (b.fpr - a.fpr);
      end = RocPoint{limit, a.tpr + t * (b.tpr - a.tpr)};
    }
    area += (end.fpr - a.fpr) * (a.tpr + end.tpr) * 0.5;  // trapezoid
  }
  return area;
}

}  // namespace

std::vector<RocPoint> roc_curve(const std::vector<double>& normal_scores,
                                const std::vector<double>& anomaly_scores) {
  check_scores(normal_scores, anomaly_scores);
  // Sweep the threshold from the highest score down; all samples with the same score cross it
  // together, which makes one (possibly diagonal) segment.
  struct Item {
    double score;
    bool anomaly;
  };
  std::vector<Item> items;
  items.reserve(normal_scores.size() + anomaly_scores.size());
  for (double s : normal_scores) items.push_back({s, false});
  for (double s : anomaly_scores) items.push_back({s, true});
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.score > b.score; });
  const double n_neg = static_cast<double>(normal_scores.size());
  const double n_pos = static_cast<double>(anomaly_scores.size());
  std::vector<RocPoint> roc{{0.0, 0.0}};
  size_t fp = 0, tp = 0;
  for (size_t i = 0; i < items.size();) {
    const double s = items[i].score;
    for (; i < items.size() && items[i].score == s; ++i) (items[i].anomaly ? tp : fp)++;
    roc.push_back({static_cast<double>(fp) / n_neg, static_cast<double>(tp) / n_pos});
  }
  return roc;
}

double roc_auc(const std::vector<double>& normal_scores, const std::vector<double>& anomaly_scores) {
  return area_up_to(roc_curve(normal_scores, anomaly_scores), 1.0);
}

double partial_auc(const std::vector<double>& normal_scores,
                   const std::vector<double>& anomaly_scores, double p) {
  if (!(p > 0.0 && p <= 1.0)) throw Error("partial AUC: p must be in (0, 1]");
  return area_up_to(roc_curve(normal_scores, anomaly_scores), p) / p;
}

double partial_auc_mcclish(const std::vector<double>& normal_scores,
                           const std::vector<double>& anomaly_scores, double p) {
  if (!(p > 0.0 && p <= 1.0)) throw Error("partial AUC: p must be in (0, 1]");
  const double area = area_up_to(roc_curve(normal_scores, anomaly_scores), p);
  const double min_area = 0.5 * p * p, max_area = p;
  return 0.5 * (1.0 + (area - min_area) / (max_area - min_area));
}

}  // namespace tinyprop::host::audio
