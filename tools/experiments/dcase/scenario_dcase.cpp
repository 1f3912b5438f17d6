#include "experiments/dcase/scenario_dcase.h"
#include "experiments/dcase/scenario_dcase_steps.h"

#include <math.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>

#include "data/dcase_layout.h"
#include "experiments/dcase/metrics.h"
#include "experiments/dcase/models.h"
#include "util/error.h"
#include "util/job_pool.h"
#include "experiments/scenario.h"  // Stat
#include "experiments/report.h"  // host::fixed
#include "tinyprop/rng.h"

namespace tinyprop::host::audio {

DcaseScenarioResult run_dcase_scenario(const DcaseScenarioConfig& config, std::ostream* progress,
                                       const DcaseWorkFn& work) {
  config.validate();
  DcaseScenarioResult result;
  result.config = config;
  const uint32_t dim = config.features.vector_dim();

  // ---- layout: machines to evaluate -------------------------------------------------------
  DcaseLayout layout = scan_dcase_layout(config.data_root, config.machine_types);
  result.warnings = layout.warnings;
  for (const std::string& w : layout.warnings) log_line(progress, "warning: " + w);
  std::map<std::string, std::vector<const DcaseMachine*>> by_type;
  for (const DcaseMachine& m : layout.machines) {
    if (config.max_types > 0 && by_type.count(m.type) == 0 && by_type.size() >= config.max_types) continue;
    auto& list = by_type[m.type];
    if (config.max_ids_per_type > 0 && list.size() >= config.max_ids_per_type) continue;
    if (m.train.size() < 2) throw Error(m.label() + ": needs at least 2 normal training clips");
    if (m.test_normal_count() == 0 || m.test_anomaly_count() == 0) {
      throw Error(m.label() + ": needs normal and anomalous test clips");
    }
    list.push_back(&m);
    result.machines.push_back(m.label());
  }

  // ---- features: every clip once ------------------------------------------------------------
  const auto t_features = Clock::now();
  LogMelExtractor extractor(config.features);
  std::map<std::string, ClipFeatures> features;
  size_t n_clips = 0;
  for (const auto& [type, machines] : by_type) {
    for (const DcaseMachine* m : machines) n_clips += m->train.size() + m->test.size();
  }
  WorkMeter feature_meter(work, "features", n_clips);
  for (const auto& [type, machines] : by_type) {
    for (const DcaseMachine* m : machines) {
      for (const auto* list : {&m->train, &m->test}) {
        for (const DcaseClip& c : *list) {
          ClipFeatures f;
          f.x = clip_vectors(extractor, c.path, &f.n);
          result.vectors += f.n;
          features.emplace(c.path, std::move(f));
          feature_meter.add(1);
        }
      }
      result.train_clips += m->train.size();
      result.test_clips += m->test.size();
    }
  }
  feature_meter.finish();
  result.feature_seconds = seconds_since(t_features);
  log_line(progress, "dcase-ae: " + std::to_string(result.machines.size()) + " machines, " +
                         std::to_string(result.train_clips) + " train + " +
                         std::to_string(result.test_clips) + " test clips, " +
                         std::to_string(result.vectors) + " vectors of " + std::to_string(dim) +
                         " (" + config.features.describe() + "), features in " +
                         fixed(result.feature_seconds, 1) + " s");

  const ModelSpec spec = make_autoencoder_spec(dim, config.hidden);
  const bool per_machine = config.pretrain_pool == DcasePretrainPool::kOtherIds;
  for (const auto& [type, machines] : by_type) {
    if (per_machine && machines.size() < 2) {
      throw Error(type + ": pretraining on the other IDs needs at least 2 machine IDs");
    }
  }
  // ---- 1. per-ID splits, for every seed first (they fix the amount of work) ------------------
  struct Split {
    std::vector<std::vector<DcaseClip>> pre, tune;  // per machine of the type
  };
  std::vector<std::map<std::string, Split>> splits(config.seeds.size());
  uint64_t train_units = 0;
  const uint64_t n_methods = config.methods.size();
  for (size_t si = 0; si < config.seeds.size(); ++si) {
    for (const auto& [type, machines] : by_type) {
      Split& sp = splits[si][type];
      sp.pre.resize(machines.size());
      sp.tune.resize(machines.size());
      size_t pre_vectors = 0;
      for (size_t i = 0; i < machines.size(); ++i) {
        split_clips(machines[i]->train, config.pretrain_fraction,
                    config.seeds[si] ^ hash_text(machines[i]->label()), &sp.pre[i], &sp.tune[i]);
        pre_vectors += vectors_of(sp.pre[i], features);
      }
      for (size_t i = 0; i < machines.size(); ++i) {
        // kOtherIds pretrains one model per machine on the others' clips
        const size_t pool = per_machine ? pre_vectors - vectors_of(sp.pre[i], features) : 0;
        train_units += 3ull * config.pretrain_epochs * pool;
        train_units += (n_methods + 1) * test_vectors(*machines[i], features) +
                       n_methods * 3ull * config.finetune_epochs * vectors_of(sp.tune[i], features);
      }
      if (!per_machine) train_units += 3ull * config.pretrain_epochs * pre_vectors;
    }
  }
  WorkMeter train_meter(work, "training", train_units);

  for (size_t si = 0; si < config.seeds.size(); ++si) {
    const uint64_t seed = config.seeds[si];
    for (const auto& [type, machines] : by_type) {
      const std::vector<std::vector<DcaseClip>>& pre = splits[si][type].pre;
      const std::vector<std::vector<DcaseClip>>& tune = splits[si][type].tune;
      // ---- 2. host: standardisation and pretraining ---------------------------------------
      // kAllIds: one model for the type; kOtherIds: one per machine, without its own clips.
      const size_t n_models = per_machine ? machines.size() : 1;
      for (size_t model_index = 0; model_index < n_models; ++model_index) {
        std::vector<size_t> pool_ids, tune_ids;
        for (size_t i = 0; i < machines.size(); ++i) {
          if (!per_machine || i != model_index) pool_ids.push_back(i);
        }
        if (per_machine) {
          tune_ids = {model_index};
        } else {
          for (size_t i = 0; i < machines.size(); ++i) tune_ids.push_back(i);
        }
        const std::string model_name = per_machine ? machines[model_index]->label() + " (held out)" : type;
        Pretrained host = pretrain(config, spec, seed, model_name, pool_ids, pre, features, progress,
                                   train_meter);
        result.pretrain_seconds += host.seconds;
        if (!host.warning.empty()) result.warnings.push_back(host.warning);
        for (size_t mi : tune_ids) {
          fine_tune_all(config, spec, seed, *machines[mi], tune[mi], host, features, progress,
                        train_meter, &result);
        }
      }
    }
  }
  train_meter.finish();

  // ---- summaries ----------------------------------------------------------------------------
  std::vector<std::string> labels{"pretrained"};
  for (const DcaseMethod& m : config.methods) labels.push_back(m.label);
  std::map<std::string, const DcaseRun*> full_of;  // key: seed/type/id
  auto key = [](const DcaseRun& r) {
    return std::to_string(r.seed) + "/" + r.machine_type + "/" + r.machine_id;
  };
  for (const DcaseRun& r : result.runs) {
    if (r.method == "full") full_of[key(r)] = &r;
  }
  for (const std::string& label : labels) {
    DcaseMethodSummary s;
    s.method = label;
    RunCounters total;
    std::vector<double> auc, pauc, delta, pdelta;  // over (machine, seed); deltas paired with full
    for (const DcaseRun& r : result.runs) {
      if (r.method != label) continue;
      auc.push_back(r.auc);
      pauc.push_back(r.pauc);
      auto f = full_of.find(key(r));
      if (f != full_of.end()) {
        delta.push_back(r.auc - f->second->auc);
        pdelta.push_back(r.pauc - f->second->pauc);
      }
      total.merge(r.counters);
      s.arena_bytes = r.arena_bytes;
      s.seconds += r.seconds;
    }
    if (auc.empty()) continue;
    s.runs = auc.size();
    const Stat a = Stat::of(auc), d = Stat::of(delta);
    s.auc_mean = a.mean;
    s.auc_min = a.min;
    s.auc_max = a.max;
    s.pauc_mean = Stat::of(pauc).mean;
    s.auc_delta_vs_full = d.mean;
    s.auc_delta_sd = d.sd;
    s.pauc_delta_vs_full = Stat::of(pdelta).mean;
    // Per seed: means over the machines, and their spread across seeds.
    for (uint64_t seed : config.seeds) {
      std::vector<double> auc_s, delta_s;
      for (const DcaseRun& r : result.runs) {
        if (r.method != label || r.seed != seed) continue;
        auc_s.push_back(r.auc);
        auto f = full_of.find(key(r));
        if (f != full_of.end()) delta_s.push_back(r.auc - f->second->auc);
      }
      s.auc_by_seed.push_back(Stat::of(auc_s).mean);
      s.auc_delta_by_seed.push_back(Stat::of(delta_s).mean);
    }
    s.auc_seed_sd = Stat::of(s.auc_by_seed).sd;
    if (total.steps > 0) {
      s.backward_ratio = total.backward_ratio();
      s.total_ratio = total.total_ratio();
      s.skip_rate = static_cast<double>(total.skipped) / static_cast<double>(total.steps);
      for (uint32_t i = 0; i < kMaxLayers; ++i) s.layer_ratio[i] = total.mean_ratio(i);
    } else {
      s.backward_ratio = s.total_ratio = 0.0;  // pretrained: no fine-tuning work
    }
    result.summary.push_back(s);
  }
  return result;
}

}  // namespace tinyprop::host::audio
