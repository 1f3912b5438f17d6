// The budgets of the budget rule that every `compare` scenario runs (classification and audio):
// its default first, then the points of its accuracy-against-backward-compute curve. 0.03 and
// 0.3 reach below and above the compute of the paper's defaults (3-10 % of full's backward on the
// MLP and CNN scenarios, 30 % on the audio autoencoder), so the two rules can be compared at
// equal compute on the curve, not only at the two defaults.
#pragma once

namespace tinyprop::host {

inline constexpr float kBudgetCurve[] = {0.1f, 0.03f, 0.05f, 0.2f, 0.3f};

}  // namespace tinyprop::host
