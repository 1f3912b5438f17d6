// Reports of the dcase-ae scenario: markdown for docs/RESULTS.md, JSON and CSV for plots.
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "experiments/dcase/scenario_dcase.h"
#include "experiments/report.h"  // host::fixed
#include "tinyprop/train_config.h"

namespace tinyprop::host::audio {
namespace {

std::string signed_fixed(double v, int digits) { return (v >= 0.0 ? "+" : "") + fixed(v, digits); }

std::string pct(double v) { return fixed(100.0 * v, 1); }

const char* optimizer_name(OptimizerKind k) { return k == OptimizerKind::kAdam ? "Adam" : "SGD"; }

std::string describe_optimizer(const OptimizerConfig& o) {
  std::ostringstream s;
  s << optimizer_name(o.kind) << " lr " << o.learning_rate;
  if (o.kind == OptimizerKind::kSgd && o.momentum > 0.0f) s << " momentum " << o.momentum;
  return s.str();
}

std::string describe_sparsity(const SparsityConfig& c) {
  std::ostringstream s;
  switch (c.method) {
    case Method::kFull: return "every neuron";
    case Method::kStatic: s << "r = " << c.ratio; break;
    case Method::kTinyProp: s << "S_min " << c.s_min << ", S_max " << c.s_max << ", zeta " << c.zeta; break;
    case Method::kTinyPropV2:
      s << "S_min " << c.s_min << ", S_max " << c.s_max << ", zeta " << c.zeta << ", skip below "
        << c.skip_threshold;
      break;
    case Method::kBudget: s << "budget " << c.budget << " of full's backward MACs"; break;
  }
  if (c.y_max_decay < 1.0f) s << ", Y_max decay " << c.y_max_decay;
  return s.str();
}

bool is_synthetic(const std::string& root) {
  std::error_code ec;
  return std::filesystem::exists(std::filesystem::path(root) / "SYNTHETIC.txt", ec);
}

std::string join_sizes(uint32_t in, const std::vector<uint32_t>& hidden) {
  std::string s = std::to_string(in);
  for (uint32_t h : hidden) s += "-" + std::to_string(h);
  return s + "-" + std::to_string(in);
}

}  // namespace

std::string dcase_report_markdown(const DcaseScenarioResult& r,
                                  const std::vector<DcaseReportImage>& images,
                                  const std::string& command) {
  const DcaseScenarioConfig& c = r.config;
  std::ostringstream md;
  md << "## dcase-ae"
     << (c.pretrain_pool == DcasePretrainPool::kOtherIds
             ? ", held-out machine (`--pretrain-pool others`)"
             : "")
     << ": fine-tuning the DCASE2020 baseline autoencoder per machine\n\n";
  if (is_synthetic(c.data_root)) {
    md << "**These results are on SYNTHETIC sound** (scripts/make-synthetic-dcase.sh: SoX tones and "
          "noise in the DCASE2020 Task 2 layout), not on the real DCASE2020 recordings; they test the "
          "pipeline and compare the methods with each other, nothing more.\n\n";
  }
  md << "* data: `" << c.data_root << "`, " << r.machines.size() << " machines (";
  for (size_t i = 0; i < r.machines.size(); ++i) md << (i ? ", " : "") << r.machines[i];
  md << "), " << r.train_clips << " train + " << r.test_clips << " test clips, " << r.vectors
     << " vectors\n";
  md << "* features: log-mel " << c.features.describe() << ", " << c.features.vector_dim()
     << "-value vectors, standardised per mel band (statistics of the pretraining clips)\n";
  md << "* model: dense autoencoder " << join_sizes(c.features.vector_dim(), c.hidden)
     << ", ReLU, MSE; clip score = mean reconstruction error over its vectors\n";
  if (c.pretrain_pool == DcasePretrainPool::kAllIds) {
    md << "* host pretraining, one model per machine type, on " << pct(c.pretrain_fraction)
       << "% of each ID's normal train clips: ";
  } else {
    md << "* host pretraining, one model per machine ID, on " << pct(c.pretrain_fraction)
       << "% of the normal train clips of the OTHER IDs of its type (held-out machine): ";
  }
  md << c.pretrain_epochs << " epochs, batch " << c.pretrain_batch << ", "
     << describe_optimizer(c.pretrain_optimizer) << "\n";
  md << "* device fine-tuning per machine ID on its other normal clips: " << c.finetune_epochs
     << " epoch(s), batch 1, " << describe_optimizer(c.finetune_optimizer)
     << ", the same sample order for every method\n";
  md << "* seeds:";
  for (uint64_t s : c.seeds) md << " " << s;
  md << " (seed = clip split, initialisation, sample order); AUC and pAUC (p = " << c.max_fpr
     << ", area / p) per machine ID, averaged over machines and seeds; seed sd: sample sd over the "
        "seeds of the per-seed mean AUC (the run-to-run noise); ΔAUC: mean and sample sd of the "
        "differences to full on the same (machine, seed), and its mean per seed\n";
  if (!command.empty()) md << "* command: `" << command << "`\n";
  md << "* compute: multiply-accumulates counted by the core trainer over the whole fine-tuning run; "
        "backward = weight gradients + propagated errors; total = forward + backward; both relative "
        "to full backpropagation on the same samples\n\n";

  md << "| method | AUC [%] | seed sd | ΔAUC vs full (sd) | ΔAUC per seed | AUC range | pAUC [%] | "
        "ΔpAUC | backward [% of full] | total [% of full] | skipped | arena [B] |\n";
  md << "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const DcaseMethodSummary& s : r.summary) {
    const bool trained = s.method != "pretrained";
    std::string per_seed;
    for (size_t i = 0; i < s.auc_delta_by_seed.size(); ++i) {
      per_seed += (i ? " / " : "") + signed_fixed(100.0 * s.auc_delta_by_seed[i], 2);
    }
    md << "| " << s.method << " | " << pct(s.auc_mean) << " | " << fixed(100.0 * s.auc_seed_sd, 2)
       << " | " << signed_fixed(100.0 * s.auc_delta_vs_full, 2) << " ("
       << fixed(100.0 * s.auc_delta_sd, 2) << ") | " << per_seed << " | " << pct(s.auc_min) << "-"
       << pct(s.auc_max) << " | " << pct(s.pauc_mean) << " | "
       << signed_fixed(100.0 * s.pauc_delta_vs_full, 2) << " | "
       << (trained ? pct(s.backward_ratio) : "-") << " | " << (trained ? pct(s.total_ratio) : "-")
       << " | " << (trained ? pct(s.skip_rate) + "%" : "-") << " | "
       << (trained ? std::to_string(s.arena_bytes) : "-") << " |\n";
  }

  // Per machine type, as DCASE reports.
  std::set<std::string> types;
  for (const DcaseRun& run : r.runs) types.insert(run.machine_type);
  if (types.size() > 1) {
    md << "\nAUC / pAUC [%] per machine type (mean over its IDs and the seeds):\n\n| method |";
    for (const std::string& t : types) md << " " << t << " |";
    md << "\n|---|";
    for (size_t i = 0; i < types.size(); ++i) md << "---|";
    md << "\n";
    for (const DcaseMethodSummary& s : r.summary) {
      md << "| " << s.method << " |";
      for (const std::string& t : types) {
        double auc = 0.0, pauc = 0.0;
        size_t n = 0;
        for (const DcaseRun& run : r.runs) {
          if (run.method != s.method || run.machine_type != t) continue;
          auc += run.auc;
          pauc += run.pauc;
          ++n;
        }
        md << " " << (n ? pct(auc / static_cast<double>(n)) + " / " + pct(pauc / static_cast<double>(n)) : "-") << " |";
      }
      md << "\n";
    }
  }

  // Mean k/n per dense layer for the sparse methods.
  md << "\nMean backpropagation ratio k/n per dense layer (input side first):\n\n| method |";
  const uint32_t n_dense = static_cast<uint32_t>(c.hidden.size()) + 1;
  for (uint32_t i = 0; i < n_dense; ++i) md << " L" << i + 1 << " |";
  md << "\n|---|";
  for (uint32_t i = 0; i < n_dense; ++i) md << "---|";
  md << "\n";
  for (const DcaseMethodSummary& s : r.summary) {
    if (s.method == "pretrained") continue;
    md << "| " << s.method << " |";
    for (uint32_t i = 0; i < n_dense; ++i) md << " " << fixed(s.layer_ratio[2 * i], 3) << " |";  // dense at even indices
    md << "\n";
  }
  // The dcase-ae targets, for every TinyProp variant that ran.
  md << "\nTargets (TinyProp backward compute <= 20% of full, AUC within 1 point of full):\n\n";
  for (const DcaseMethodSummary& s : r.summary) {
    if (s.method.rfind("tinyprop", 0) != 0) continue;
    const bool compute_ok = s.backward_ratio <= 0.20;
    const bool auc_ok = s.auc_delta_vs_full >= -0.01;
    md << "* " << s.method << ": backward " << pct(s.backward_ratio) << "% of full ("
       << (compute_ok ? "met" : "NOT met") << "), AUC " << signed_fixed(100.0 * s.auc_delta_vs_full, 2)
       << " points vs full (" << (auc_ok ? "met" : "NOT met") << ")\n";
  }
  md << "\nMethods: ";
  for (size_t i = 0; i < c.methods.size(); ++i) {
    md << (i ? "; " : "") << c.methods[i].label << ": " << describe_sparsity(c.methods[i].sparsity);
  }
  md << ".\n";
  for (const DcaseReportImage& img : images) {
    md << "\n![" << img.caption << "](" << img.path << ")\n";
  }
  if (!r.warnings.empty()) {
    md << "\nWarnings (" << r.warnings.size() << "):\n\n";
    for (size_t i = 0; i < r.warnings.size() && i < 10; ++i) md << "* " << r.warnings[i] << "\n";
    if (r.warnings.size() > 10) md << "* ... (all in the JSON report)\n";
  }
  return md.str();
}

nlohmann::json dcase_report_json(const DcaseScenarioResult& r) {
  const DcaseScenarioConfig& c = r.config;
  nlohmann::json j;
  j["scenario"] = "dcase-ae";
  j["synthetic"] = is_synthetic(c.data_root);
  j["data_root"] = c.data_root;
  j["features"] = c.features.describe();
  j["model"] = join_sizes(c.features.vector_dim(), c.hidden);
  j["pretrain"] = {{"fraction", c.pretrain_fraction},
                   {"pool", c.pretrain_pool == DcasePretrainPool::kAllIds ? "all-ids" : "other-ids"},
                   {"epochs", c.pretrain_epochs},
                   {"batch", c.pretrain_batch}, {"optimizer", describe_optimizer(c.pretrain_optimizer)}};
  j["finetune"] = {{"epochs", c.finetune_epochs}, {"batch", 1},
                   {"optimizer", describe_optimizer(c.finetune_optimizer)}};
  j["seeds"] = c.seeds;
  j["max_fpr"] = c.max_fpr;
  j["machines"] = r.machines;
  j["warnings"] = r.warnings;
  for (const DcaseMethodSummary& s : r.summary) {
    nlohmann::json m = {{"method", s.method}, {"runs", s.runs}, {"auc", s.auc_mean},
                        {"auc_min", s.auc_min}, {"auc_max", s.auc_max}, {"pauc", s.pauc_mean},
                        {"auc_delta_vs_full", s.auc_delta_vs_full},
                        {"auc_delta_sd", s.auc_delta_sd},
                        {"pauc_delta_vs_full", s.pauc_delta_vs_full},
                        {"backward_ratio", s.backward_ratio}, {"total_ratio", s.total_ratio},
                        {"skip_rate", s.skip_rate}, {"arena_bytes", s.arena_bytes},
                        {"seconds", s.seconds}};
    m["kind"] = "pretrained";  // no fine-tuning
    for (const DcaseMethod& dm : c.methods) {
      if (dm.label != s.method) continue;
      m["parameters"] = describe_sparsity(dm.sparsity);
      m["kind"] = method_name(dm.sparsity.method);
      if (dm.sparsity.method == Method::kStatic) m["ratio"] = dm.sparsity.ratio;
    }
    m["auc_by_seed"] = s.auc_by_seed;
    m["auc_delta_by_seed"] = s.auc_delta_by_seed;
    m["auc_seed_sd"] = s.auc_seed_sd;
    std::vector<double> layers;
    for (uint32_t i = 0; i < c.hidden.size() + 1; ++i) layers.push_back(s.layer_ratio[2 * i]);
    m["dense_layer_ratio"] = layers;
    j["summary"].push_back(m);
  }
  for (const DcaseRun& run : r.runs) {
    j["runs"].push_back({{"machine_type", run.machine_type}, {"machine_id", run.machine_id},
                         {"method", run.method}, {"seed", run.seed}, {"auc", run.auc},
                         {"pauc", run.pauc}, {"steps", run.counters.steps},
                         {"skipped", run.counters.skipped},
                         {"forward_macs", run.counters.forward_macs},
                         {"backward_macs", run.counters.backward_macs},
                         {"backward_macs_full", run.counters.backward_macs_full},
                         {"final_loss", run.final_loss}, {"seconds", run.seconds}});
  }
  return j;
}

std::string dcase_runs_csv(const DcaseScenarioResult& r) {
  std::ostringstream csv;
  csv << "machine_type,machine_id,method,seed,auc,pauc,steps,skipped,forward_macs,backward_macs,"
         "backward_macs_full,final_loss,seconds\n";
  csv.precision(6);
  for (const DcaseRun& run : r.runs) {
    csv << run.machine_type << "," << run.machine_id << ",\"" << run.method << "\"," << run.seed
        << "," << run.auc << "," << run.pauc << "," << run.counters.steps << ","
        << run.counters.skipped << "," << run.counters.forward_macs << ","
        << run.counters.backward_macs << "," << run.counters.backward_macs_full << ","
        << run.final_loss << "," << run.seconds << "\n";
  }
  return csv.str();
}

}  // namespace tinyprop::host::audio
