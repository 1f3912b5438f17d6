#include "experiments/scenario_report.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <utility>
#include <vector>

#include "experiments/report.h"

namespace tinyprop::host {
namespace {


nlohmann::json stat_json(const Stat& s) {
  return {{"mean", s.mean}, {"sd", s.sd}, {"min", s.min}, {"max", s.max}};
}

nlohmann::json sparsity_json(const SparsityConfig& s) {
  nlohmann::json j;
  j["method"] = method_name(s.method);
  if (s.method == Method::kStatic) j["ratio"] = float_value(s.ratio);
  if (s.method == Method::kTinyProp || s.method == Method::kTinyPropV2) {
    j["s_min"] = float_value(s.s_min);
    j["s_max"] = float_value(s.s_max);
    j["zeta"] = float_value(s.zeta);
  }
  if (s.method == Method::kTinyPropV2) j["skip_threshold"] = float_value(s.skip_threshold);
  if (s.method == Method::kBudget) {
    j["budget"] = float_value(s.budget);
    j["budget_split"] = s.budget_split == BudgetSplit::kEqualMacs ? "equal-macs" : "equal-ratio";
    j["budget_adaptive"] = s.budget_adaptive;
  }
  if (s.method != Method::kFull) j["conv_selection"] = conv_selection_name(s.conv_selection);
  return j;
}

nlohmann::json run_counters_json(const RunCounters& c) {
  return {{"steps", c.steps},
          {"skipped_steps", c.skipped},
          {"forward_macs", c.forward_macs},
          {"backward_macs", c.backward_macs},
          {"backward_macs_full", c.backward_macs_full},
          {"forward_macs_done", c.forward_macs_done},
          {"backward_macs_done", c.backward_macs_done},
          {"selection_comparisons", c.selection_comparisons},
          {"updated_params", c.updated_params},
          {"backward_ratio", c.backward_ratio()},
          {"total_ratio", c.total_ratio()}};
}

std::string pct(double fraction, int decimals = 2) { return fixed(100.0 * fraction, decimals); }

std::string pad(const std::string& s, size_t width, bool right = false) {
  if (s.size() >= width) return s;
  const std::string fill(width - s.size(), ' ');
  return right ? fill + s : s + fill;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string layer_ratios_text(const std::vector<double>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i > 0 ? "/" : "") + fixed(v[i], 3);
  return out;
}

}  // namespace

TargetCheck check_targets(const CompareResult& r) {
  TargetCheck t;
  const MethodSummary* def = r.default_tinyprop();
  const MethodSummary* full = r.find("full");
  const MethodSummary* matched = nullptr;
  for (const MethodSummary& m : r.summary) {
    const MethodVariant& v = r.protocol.methods[m.method];
    if (def != nullptr && v.matched_to == r.protocol.methods[def->method].label) matched = &m;
  }
  if (def == nullptr || full == nullptr || matched == nullptr) return t;
  t.available = true;
  t.backward_rel = def->backward_rel.mean;
  t.accuracy_loss_pp = def->accuracy_loss_pp.mean;
  t.tinyprop_accuracy = def->accuracy_after.mean;
  t.matched_static_accuracy = matched->accuracy_after.mean;
  t.matched_ratio = matched->ratio_used.mean;
  const double compute_target = r.protocol.target_backward_rel;
  const double accuracy_target = r.protocol.target_loss_pp;
  t.compute_met = t.backward_rel <= compute_target;
  t.accuracy_met = t.accuracy_loss_pp <= accuracy_target;
  t.beats_static = t.tinyprop_accuracy > t.matched_static_accuracy;
  double best_acc = -1.0;
  for (const MethodSummary& m : r.summary) {
    const MethodVariant& v = r.protocol.methods[m.method];
    if (v.group != "tinyprop" && v.group != "tinypropv2") continue;
    if (m.backward_rel.mean > compute_target || m.accuracy_loss_pp.mean > accuracy_target) continue;
    if (m.accuracy_after.mean > best_acc) {
      best_acc = m.accuracy_after.mean;
      t.best_label = v.label;
      t.best_backward_rel = m.backward_rel.mean;
      t.best_loss_pp = m.accuracy_loss_pp.mean;
    }
  }
  return t;
}

nlohmann::json compare_json(const CompareResult& r) {
  const Protocol& p = r.protocol;
  nlohmann::json j;
  j["scenario"] = p.scenario;
  j["quick"] = p.quick;
  j["seeds"] = p.seeds;
  j["threads"] = r.threads;
  j["wall_seconds"] = r.wall_seconds;

  nlohmann::json proto;
  proto["model"] = p.model;
  proto["from_scratch"] = p.from_scratch;
  proto["dataset"] = p.dataset;
  proto["conv_selection"] = conv_selection_name(p.conv_selection);
  proto["split_seed"] = p.split_seed;
  proto["pretrain_samples"] = r.pretrain_samples;
  proto["finetune_samples"] = r.finetune_samples;
  proto["test_samples"] = r.test_samples;
  nlohmann::json pre = train_config_json(p.pretrain);
  pre["epochs"] = p.pretrain_epochs;
  proto["pretrain"] = pre;
  nlohmann::json ft = train_config_json(p.finetune);
  ft.erase("method");
  ft["epochs"] = p.finetune_epochs;
  ft["lr_end_factor"] = float_value(p.finetune_lr_end_factor);
  proto["finetune"] = ft;
  if (p.shifted) {
    proto["shift"] = {{"description", describe_shift(p.shift)},
                      {"rotation_deg", float_value(p.shift.rotation_deg)},
                      {"dx", float_value(p.shift.dx)},
                      {"dy", float_value(p.shift.dy)},
                      {"contrast", float_value(p.shift.contrast)},
                      {"brightness", float_value(p.shift.brightness)},
                      {"noise_sigma", float_value(p.shift.noise_sigma)},
                      {"finetune_noise_seed", p.shift.seed},
                      {"test_noise_seed", p.shift.seed + 1000000}};
  } else {
    proto["shift"] = nullptr;
  }
  if (p.drifted) {
    const SensorDefects& defects = r.drift_defects;
    proto["drift"] = {{"description", describe_drift(p.drift)},
                      {"vignetting", float_value(p.drift.vignetting)},
                      {"tilt", float_value(p.drift.tilt)},
                      {"black_level", float_value(p.drift.black_level)},
                      {"pattern_sigma", float_value(p.drift.pattern_sigma)},
                      {"dead_pixels", defects.dead},
                      {"stuck_pixels", defects.stuck},
                      {"noise_sigma", float_value(p.drift.noise_sigma)},
                      {"pattern_seed", p.drift.pattern_seed},
                      {"finetune_noise_seed", p.drift.noise_seed},
                      {"test_noise_seed", p.drift.noise_seed + 1000000}};
  } else {
    proto["drift"] = nullptr;
  }
  proto["pretrain_classes"] = p.pretrain_classes == 0 ? nlohmann::json(nullptr)
                                                      : nlohmann::json(p.pretrain_classes);
  proto["eval_points"] = p.eval_points;
  proto["trace_windows"] = p.trace_windows;
  j["protocol"] = proto;
  j["layers"] = r.layer_names;
  j["pretrain"] = {{"test_accuracy_clean", r.pretrain_accuracy}, {"seconds", r.pretrain_seconds}};
  j["class_counts"] = {{"pretrain", r.pretrain_class_counts},
                       {"finetune", r.finetune_class_counts},
                       {"test", r.test_class_counts}};

  nlohmann::json methods = nlohmann::json::array();
  for (const MethodSummary& m : r.summary) {
    const MethodVariant& v = p.methods[m.method];
    nlohmann::json mj;
    mj["label"] = v.label;
    mj["group"] = v.group;
    mj["is_default"] = v.is_default;
    mj["is_budget_default"] = v.is_budget_default;
    mj["matched_to"] = v.matched_to.empty() ? nlohmann::json(nullptr) : nlohmann::json(v.matched_to);
    mj["sparsity"] = sparsity_json(v.sparsity);
    mj["accuracy_before"] = stat_json(m.accuracy_before);
    mj["accuracy_after"] = stat_json(m.accuracy_after);
    mj["accuracy_loss_pp"] = stat_json(m.accuracy_loss_pp);
    mj["backward_rel"] = stat_json(m.backward_rel);
    mj["total_rel"] = stat_json(m.total_rel);
    mj["seconds"] = stat_json(m.seconds);
    mj["cpu_seconds"] = stat_json(m.cpu_seconds);
    mj["speedup"] = stat_json(m.speedup);
    mj["wall_speedup"] = stat_json(m.wall_speedup);
    mj["step_us"] = stat_json(m.step_us);
    mj["forward_us"] = stat_json(m.forward_us);
    if (v.sparsity.method == Method::kStatic) mj["ratio_used"] = stat_json(m.ratio_used);
    mj["layer_ratio"] = m.layer_ratio;
    mj["skip_rate"] = stat_json(m.skip_rate);
    methods.push_back(mj);
  }
  j["methods"] = methods;

  nlohmann::json runs = nlohmann::json::array();
  for (const RunResult& run : r.runs) {
    nlohmann::json rj;
    rj["label"] = run.label;
    rj["seed"] = run.seed;
    rj["sparsity"] = sparsity_json(run.sparsity);
    rj["accuracy_before"] = run.accuracy_before;
    rj["accuracy_after"] = run.accuracy_after;
    rj["test_loss_after"] = run.test_loss_after;
    rj["train_loss"] = run.train_loss;
    rj["seconds"] = run.seconds;
    rj["cpu_seconds"] = run.cpu_seconds;
    rj["forward_us"] = run.forward_us;
    rj["counters"] = run_counters_json(run.counters);
    rj["layer_ratio"] = run.layer_ratio;
    nlohmann::json trace = nlohmann::json::array();
    for (const TracePoint& t : run.trace) {
      trace.push_back({{"step", t.step}, {"ratio", t.ratio}, {"skip_rate", t.skip_rate}});
    }
    rj["trace"] = trace;
    nlohmann::json curve = nlohmann::json::array();
    curve.push_back({{"step", 0}, {"accuracy", run.accuracy_before}});
    for (const CurvePoint& c : run.curve) {
      curve.push_back({{"step", c.step}, {"accuracy", c.accuracy}, {"loss", c.loss}});
    }
    rj["curve"] = curve;
    runs.push_back(rj);
  }
  j["runs"] = runs;

  const TargetCheck t = check_targets(r);
  if (t.available) {
    j["targets"] = {{"tinyprop_default_backward_rel", t.backward_rel},
                    {"tinyprop_default_accuracy_loss_pp", t.accuracy_loss_pp},
                    {"tinyprop_default_accuracy", t.tinyprop_accuracy},
                    {"matched_static_accuracy", t.matched_static_accuracy},
                    {"matched_static_ratio", t.matched_ratio},
                    {"compute_target", p.target_backward_rel},
                    {"accuracy_target_pp", p.target_loss_pp},
                    {"source", p.target_source},
                    {"compute_met", t.compute_met},
                    {"accuracy_met", t.accuracy_met},
                    {"beats_static", t.beats_static},
                    {"best_meeting_both", t.best_label.empty() ? nlohmann::json(nullptr)
                                                               : nlohmann::json(t.best_label)},
                    {"best_backward_rel", t.best_backward_rel},
                    {"best_accuracy_loss_pp", t.best_loss_pp}};
  } else {
    j["targets"] = nullptr;
  }
  const BudgetTargetCheck bt = check_budget_targets(r);
  if (bt.available) {
    j["budget_targets"] = {{"label", bt.label},
                           {"backward_rel", bt.backward_rel},
                           {"accuracy_loss_pp", bt.accuracy_loss_pp},
                           {"min_gain_pp", bt.min_gain_pp},
                           {"compute_target", p.budget_target_backward_rel},
                           {"accuracy_target_pp", p.budget_target_loss_pp},
                           {"compute_met", bt.compute_met},
                           {"accuracy_met", bt.accuracy_met},
                           {"above_pretrained", bt.above_pretrained},
                           {"beats_tinyprop_default", bt.beats_tinyprop},
                           {"beating_label", bt.beating_label}};
  } else {
    j["budget_targets"] = nullptr;
  }
  return j;
}

std::string summary_csv(const CompareResult& r) {
  std::ostringstream o;
  o << "label,group,method,ratio,s_min,s_max,zeta,skip_threshold,seeds,"
       "accuracy_before,accuracy_after_mean,accuracy_after_sd,accuracy_loss_pp_mean,"
       "accuracy_loss_pp_sd,backward_rel_mean,backward_rel_sd,total_rel_mean,total_rel_sd,"
       "seconds_mean,seconds_sd,cpu_seconds_mean,cpu_seconds_sd,speedup_mean,speedup_sd,"
       "wall_speedup_mean,wall_speedup_sd,skip_rate_mean";
  for (const std::string& l : r.layer_names) o << ",k_over_n_" << l;
  o << "\n";
  for (const MethodSummary& m : r.summary) {
    const MethodVariant& v = r.protocol.methods[m.method];
    const SparsityConfig& s = v.sparsity;
    const bool tp = s.method == Method::kTinyProp || s.method == Method::kTinyPropV2;
    o << csv_field(v.label) << ',' << v.group << ',' << method_name(s.method) << ','
      << (s.method == Method::kStatic ? fixed(m.ratio_used.mean, 4) : "") << ','
      << (tp ? fixed(s.s_min, 3) : "") << ',' << (tp ? fixed(s.s_max, 3) : "") << ','
      << (tp ? fixed(s.zeta, 3) : "") << ','
      << (s.method == Method::kTinyPropV2 ? fixed(s.skip_threshold, 3) : "") << ','
      << r.protocol.seeds.size() << ',' << fixed(m.accuracy_before.mean, 5) << ','
      << fixed(m.accuracy_after.mean, 5) << ',' << fixed(m.accuracy_after.sd, 5) << ','
      << fixed(m.accuracy_loss_pp.mean, 3) << ',' << fixed(m.accuracy_loss_pp.sd, 3) << ','
      << fixed(m.backward_rel.mean, 5) << ',' << fixed(m.backward_rel.sd, 5) << ','
      << fixed(m.total_rel.mean, 5) << ',' << fixed(m.total_rel.sd, 5) << ','
      << fixed(m.seconds.mean, 3) << ',' << fixed(m.seconds.sd, 3) << ','
      << fixed(m.cpu_seconds.mean, 3) << ',' << fixed(m.cpu_seconds.sd, 3) << ','
      << fixed(m.speedup.mean, 3) << ',' << fixed(m.speedup.sd, 3) << ','
      << fixed(m.wall_speedup.mean, 3) << ',' << fixed(m.wall_speedup.sd, 3) << ','
      << fixed(m.skip_rate.mean, 4);
    for (double x : m.layer_ratio) o << ',' << fixed(x, 5);
    o << "\n";
  }
  return o.str();
}

std::string runs_csv(const CompareResult& r) {
  std::ostringstream o;
  o << "label,seed,method,ratio,accuracy_before,accuracy_after,test_loss_after,train_loss,"
       "seconds,cpu_seconds,steps,skipped,forward_macs,backward_macs,backward_macs_full,"
       "selection_comparisons,updated_params";
  for (const std::string& l : r.layer_names) o << ",k_over_n_" << l;
  o << "\n";
  for (const RunResult& run : r.runs) {
    const RunCounters& c = run.counters;
    o << csv_field(run.label) << ',' << run.seed << ',' << method_name(run.sparsity.method) << ','
      << (run.sparsity.method == Method::kStatic ? fixed(run.sparsity.ratio, 5) : "") << ','
      << fixed(run.accuracy_before, 5) << ',' << fixed(run.accuracy_after, 5) << ','
      << fixed(run.test_loss_after, 5) << ',' << fixed(run.train_loss, 5) << ','
      << fixed(run.seconds, 3) << ',' << fixed(run.cpu_seconds, 3) << ',' << c.steps << ','
      << c.skipped << ',' << c.forward_macs << ',' << c.backward_macs << ',' << c.backward_macs_full << ','
      << c.selection_comparisons << ',' << c.updated_params;
    for (double x : run.layer_ratio) o << ',' << fixed(x, 5);
    o << "\n";
  }
  return o.str();
}

std::string compare_table(const CompareResult& r) {
  const Protocol& p = r.protocol;
  std::ostringstream o;
  const Stat pre = Stat::of(r.pretrain_accuracy);
  o << p.scenario << (p.quick ? " (quick)" : "") << ": " << p.model << ", pretrained on "
    << r.pretrain_samples << " images (clean test accuracy " << pct(pre.mean) << " +- "
    << pct(pre.sd) << "%), fine-tuned on " << r.finetune_samples
    << " at batch 1, tested on " << r.test_samples << "; " << p.seeds.size() << " seeds, "
    << r.threads << " threads, " << fixed(r.wall_seconds, 1) << " s\n";
  if (p.shifted) o << "shift: " << describe_shift(p.shift) << "\n";
  if (p.drifted) o << "sensor drift: " << describe_drift(p.drift) << "\n";
  if (p.pretrain_classes > 0) {
    o << "new classes: pretrained on classes 0-" << p.pretrain_classes - 1
      << " only; fine-tuned and tested on all " << r.pretrain_class_counts.size() << "\n";
  }
  if (p.model.rfind("cnn:", 0) == 0) {
    o << "convolution selection: " << conv_selection_name(p.conv_selection)
      << (p.conv_selection == ConvSelection::kChannel
              ? " (whole filters by the L1 norm of their error)"
              : " (output elements)")
      << "\n";
  }
  if (!r.summary.empty()) {
    o << "accuracy before fine-tuning: " << pct(r.summary[0].accuracy_before.mean) << " +- "
      << pct(r.summary[0].accuracy_before.sd) << "%\n";
  }
  o << "mean +- sd over seeds; bwd, train = MACs relative to full (backward only; forward + "
       "backward); cpu s = fine-tuning CPU time of the run's thread; speed-up = full's cpu s / "
       "the method's\n\n";

  const size_t w_label = 38;
  o << pad("method", w_label) << pad("acc after %", 17, true) << pad("loss pp", 16, true)
    << pad("bwd", 8, true) << pad("train", 8, true) << pad("cpu s", 8, true)
    << pad("speed-up", 10, true) << "  " << pad("k/N per layer", 20) << pad("skip", 6, true)
    << "\n";
  for (const MethodSummary& m : r.summary) {
    const MethodVariant& v = p.methods[m.method];
    std::string label = v.label;
    if (v.sparsity.method == Method::kStatic && !v.matched_to.empty()) {
      label = "static r=" + fixed(m.ratio_used.mean, 3) + " (= tinyprop default)";
    }
    if (v.is_default) label += " (default)";
    if (v.is_budget_default) label += " (default)";
    o << pad(label, w_label)
      << pad(pct(m.accuracy_after.mean) + " +- " + pct(m.accuracy_after.sd), 17, true)
      << pad(fixed(m.accuracy_loss_pp.mean, 2) + " +- " + fixed(m.accuracy_loss_pp.sd, 2), 16,
             true)
      << pad(fixed(m.backward_rel.mean, 3), 8, true) << pad(fixed(m.total_rel.mean, 3), 8, true)
      << pad(fixed(m.cpu_seconds.mean, 2), 8, true)
      << pad(fixed(m.speedup.mean, 2) + "x", 10, true) << "  "
      << pad(layer_ratios_text(m.layer_ratio), 20) << pad(fixed(m.skip_rate.mean, 3), 6, true)
      << "\n";
  }

  const TargetCheck t = check_targets(r);
  if (t.available) {
    auto verdict = [](bool met) { return met ? "met" : "MISSED"; };
    o << "\ntargets (" << p.target_source << "), tinyprop at its defaults 0.1/0.9/0.5:\n";
    o << "  backward compute <= " << fixed(100.0 * p.target_backward_rel, 0)
      << "% of full:           " << pct(t.backward_rel, 1) << "%  " << verdict(t.compute_met)
      << "\n";
    o << "  accuracy loss <= " << fixed(p.target_loss_pp, 1) << " pp against full:      "
      << fixed(t.accuracy_loss_pp, 2) << " pp  " << verdict(t.accuracy_met) << "\n";
    o << "  more accurate than static at the same ratio (r = " << fixed(t.matched_ratio, 3)
      << "): " << pct(t.tinyprop_accuracy) << "% vs " << pct(t.matched_static_accuracy) << "%  "
      << verdict(t.beats_static) << "\n";
    if (t.best_label.empty()) {
      o << "  no tinyprop variant meets both the compute and the accuracy target\n";
    } else {
      o << "  most accurate variant meeting both: " << t.best_label << " (backward "
        << pct(t.best_backward_rel, 1) << "%, loss " << fixed(t.best_loss_pp, 2) << " pp)\n";
    }
  }
  o << budget_targets_text(r);
  return o.str();
}

void write_compare_files(const CompareResult& r, const std::string& dir) {
  make_directories(dir);
  write_text_file(dir + "/compare.json", compare_json(r).dump(1) + "\n");
  write_text_file(dir + "/summary.csv", summary_csv(r));
  write_text_file(dir + "/runs.csv", runs_csv(r));
}

}  // namespace tinyprop::host
