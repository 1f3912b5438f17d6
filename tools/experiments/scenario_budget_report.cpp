// The budget rule's target check and its lines under the compare table (scenario_report.h).
#include <algorithm>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "experiments/report.h"
#include "experiments/scenario_report.h"

namespace tinyprop::host {
namespace {

std::string pct(double fraction, int decimals = 2) { return fixed(100.0 * fraction, decimals); }

}  // namespace

BudgetTargetCheck check_budget_targets(const CompareResult& r) {
  BudgetTargetCheck t;
  const MethodSummary* b = r.default_budget();
  const MethodSummary* tp = r.default_tinyprop();
  if (b == nullptr || r.find("full") == nullptr) return t;
  t.available = true;
  t.label = r.protocol.methods[b->method].label;
  t.backward_rel = b->backward_rel.mean;
  t.accuracy_loss_pp = b->accuracy_loss_pp.mean;
  t.compute_met = t.backward_rel <= r.protocol.budget_target_backward_rel;
  t.accuracy_met = t.accuracy_loss_pp <= r.protocol.budget_target_loss_pp;
  // Never below the pretrained model: every seed's run ends at or above where it started.
  const size_t n_methods = r.protocol.methods.size();
  t.min_gain_pp = 1e9;
  for (size_t si = 0; si < r.protocol.seeds.size(); ++si) {
    const RunResult& run = r.runs[si * n_methods + b->method];
    t.min_gain_pp = std::min(t.min_gain_pp, 100.0 * (run.accuracy_after - run.accuracy_before));
  }
  t.above_pretrained = t.min_gain_pp >= 0.0;
  if (tp != nullptr) {
    t.has_tinyprop = true;
    t.tinyprop_backward_rel = tp->backward_rel.mean;
    t.tinyprop_loss_pp = tp->accuracy_loss_pp.mean;
    // The rule's curve (its default split and step budget, every budget run), at equal or lower
    // backward compute than the paper's defaults: a point of it more accurate, or the curve
    // interpolated linearly (in compute) at the paper default's compute more accurate.
    std::vector<std::pair<double, double>> curve;  // (backward_rel, accuracy)
    for (const MethodSummary& m : r.summary) {
      const MethodVariant& v = r.protocol.methods[m.method];
      if (v.group != "budget" || v.sparsity.budget_split != SparsityConfig{}.budget_split ||
          v.sparsity.budget_adaptive != SparsityConfig{}.budget_adaptive) {
        continue;
      }
      curve.emplace_back(m.backward_rel.mean, m.accuracy_after.mean);
      if (m.backward_rel.mean <= t.tinyprop_backward_rel &&
          m.accuracy_after.mean > tp->accuracy_after.mean) {
        t.beats_tinyprop = true;
        t.beating_label = v.label;
        t.beating_backward_rel = m.backward_rel.mean;
        t.beating_loss_pp = m.accuracy_loss_pp.mean;
      }
    }
    std::sort(curve.begin(), curve.end());
    for (size_t i = 0; !t.beats_tinyprop && i + 1 < curve.size(); ++i) {
      const double x0 = curve[i].first, x1 = curve[i + 1].first, x = t.tinyprop_backward_rel;
      if (!(x0 <= x && x <= x1) || x1 <= x0) continue;
      const double acc = curve[i].second + (curve[i + 1].second - curve[i].second) * (x - x0) / (x1 - x0);
      if (acc > tp->accuracy_after.mean) {
        const MethodSummary* full = r.find("full");
        t.beats_tinyprop = true;
        t.beating_label = "the budget curve interpolated";
        t.beating_backward_rel = x;
        t.beating_loss_pp = 100.0 * (full->accuracy_after.mean - acc);
      }
    }
  }
  return t;
}

std::string budget_targets_text(const CompareResult& r) {
  const BudgetTargetCheck t = check_budget_targets(r);
  if (!t.available) return "";
  const Protocol& p = r.protocol;
  auto verdict = [](bool met) { return met ? "met" : "MISSED"; };
  std::ostringstream o;
  o << "\ntargets of the budget rule at its default (" << t.label << "):\n";
  o << "  backward compute <= " << fixed(100.0 * p.budget_target_backward_rel, 0)
    << "% of full:           " << pct(t.backward_rel, 1) << "%  " << verdict(t.compute_met)
    << "\n";
  o << "  accuracy loss <= " << fixed(p.budget_target_loss_pp, 1) << " pp against full:      "
    << fixed(t.accuracy_loss_pp, 2) << " pp  " << verdict(t.accuracy_met) << "\n";
  o << "  never below the model it started from: smallest gain " << fixed(t.min_gain_pp, 2)
    << " pp  " << verdict(t.above_pretrained) << "\n";
  if (t.has_tinyprop) {
    o << "  more accurate than tinyprop 0.1/0.9/0.5 (loss " << fixed(t.tinyprop_loss_pp, 2)
      << " pp at " << pct(t.tinyprop_backward_rel, 1) << "%) at equal or lower compute: ";
    if (t.beats_tinyprop) {
      o << t.beating_label << " (loss " << fixed(t.beating_loss_pp, 2) << " pp at "
        << pct(t.beating_backward_rel, 1) << "%)  met\n";
    } else {
      o << "no budget of the rule  MISSED\n";
    }
  }
  return o.str();
}

}  // namespace tinyprop::host
