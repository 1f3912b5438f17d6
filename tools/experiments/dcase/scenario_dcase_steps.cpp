// The steps of the DCASE scenario: host pretraining and per-machine fine-tuning with every
// method (declared in scenario_dcase_steps.h).
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
namespace {

// Concatenates the vectors of clips and standardises them: [total, dim].
std::vector<float> pooled_vectors(const std::vector<DcaseClip>& clips,
                                  const std::map<std::string, ClipFeatures>& features,
                                  const FeatureNorm& norm) {
  std::vector<float> out;
  for (const DcaseClip& c : clips) {
    const ClipFeatures& f = features.at(c.path);
    out.insert(out.end(), f.x.begin(), f.x.end());
  }
  norm.apply(&out);
  return out;
}

struct Scores {
  double auc, pauc;
};

// A machine's test clips, standardised once for every model that scores them.
struct TestClips {
  std::vector<std::vector<float>> x;  // [clip] [vectors x dim], standardised
  std::vector<bool> anomaly;          // [clip]
};

TestClips standardised_test_clips(const DcaseMachine& m,
                                  const std::map<std::string, ClipFeatures>& features,
                                  const FeatureNorm& norm) {
  TestClips t;
  for (const DcaseClip& c : m.test) {
    t.x.push_back(features.at(c.path).x);
    norm.apply(&t.x.back());
    t.anomaly.push_back(c.anomaly);
  }
  return t;
}

Scores evaluate(Model& model, const TestClips& clips, double max_fpr) {
  std::vector<double> normal, anomaly;
  for (size_t i = 0; i < clips.x.size(); ++i) {
    const std::vector<float>& x = clips.x[i];
    const double s = reconstruction_score(model, x.data(), x.size() / model.input_size());
    (clips.anomaly[i] ? anomaly : normal).push_back(s);
  }
  return Scores{roc_auc(normal, anomaly), partial_auc(normal, anomaly, max_fpr)};
}

}  // namespace

size_t vectors_of(const std::vector<DcaseClip>& clips, const std::map<std::string, ClipFeatures>& features) {
  size_t n = 0;
  for (const DcaseClip& c : clips) n += features.at(c.path).n;
  return n;
}

size_t test_vectors(const DcaseMachine& m, const std::map<std::string, ClipFeatures>& features) {
  return vectors_of(m.test, features);
}

Pretrained pretrain(const DcaseScenarioConfig& config, const ModelSpec& spec, uint64_t seed,
                    const std::string& name, const std::vector<size_t>& pool_ids,
                    const std::vector<std::vector<DcaseClip>>& pre,
                    const std::map<std::string, ClipFeatures>& features, std::ostream* progress,
                    WorkMeter& meter) {
  const uint32_t dim = config.features.vector_dim();
  Pretrained out;
  std::vector<float> pool;  // [n_pool, dim]
  for (size_t i : pool_ids) {
    for (const DcaseClip& c : pre[i]) {
      const std::vector<float>& x = features.at(c.path).x;
      pool.insert(pool.end(), x.begin(), x.end());
    }
  }
  out.norm = FeatureNorm::fit({&pool}, config.features.n_mels, config.features.frames);
  out.norm.apply(&pool);
  const uint32_t n_pool = static_cast<uint32_t>(pool.size() / dim);

  const auto t0 = Clock::now();
  TrainConfig cfg;
  cfg.optimizer = config.pretrain_optimizer;
  cfg.batch_size = config.pretrain_batch;
  out.net = std::make_unique<BoundNetwork>(spec, cfg);
  Trainer& trainer = out.net->trainer();
  Rng init(seed);
  out.net->model().init_params(init);
  Rng order_rng(seed * 7919u + hash_text(name));
  std::vector<uint32_t> order(n_pool);
  double last_epoch_loss = 0.0;
  for (uint32_t e = 0; e < config.pretrain_epochs; ++e) {
    for (uint32_t i = 0; i < n_pool; ++i) order[i] = i;
    order_rng.shuffle(order.data(), n_pool);
    double sum = 0.0;
    for (uint32_t i : order) {
      const float* x = &pool[static_cast<size_t>(i) * dim];
      trainer.train_sample(x, Target::of_values(x), nullptr);
      sum += trainer.last_loss();
      meter.add(3);
    }
    trainer.flush(nullptr);
    last_epoch_loss = sum / n_pool;
  }
  out.params = out.net->params();
  out.seconds = seconds_since(t0);
  // The inputs are standardised, so predicting their mean costs a loss of about 1: a model at
  // that loss has collapsed (typically every ReLU of the 8-unit bottleneck died) and fine-tuning
  // cannot revive it (dead units get no gradient).
  if (last_epoch_loss > 0.97) {
    out.warning = "seed " + std::to_string(seed) + " " + name + ": pretraining ended at loss " +
                  fixed(last_epoch_loss, 4) + " (about the inputs' variance: the autoencoder collapsed)";
    log_line(progress, "warning: " + out.warning);
  }
  return out;
}

// The device side for one machine: scores the pretrained model, then fine-tunes a copy with
// every method (batch 1, one shared sample order) and scores it.
void fine_tune_all(const DcaseScenarioConfig& config, const ModelSpec& spec, uint64_t seed,
                   const DcaseMachine& m, const std::vector<DcaseClip>& tune_clips,
                   Pretrained& host, const std::map<std::string, ClipFeatures>& features,
                   std::ostream* progress, WorkMeter& meter, DcaseScenarioResult* result) {
  const uint32_t dim = config.features.vector_dim();
  // kOtherIds: the factory's statistics describe other machines, so the device standardises
  // with its own (per mel band mean and std of its fine-tuning clips: 2 x 128 numbers, one
  // streaming pass). kAllIds: the pooled statistics already include this machine.
  FeatureNorm norm = host.norm;
  if (config.pretrain_pool == DcasePretrainPool::kOtherIds) {
    std::vector<float> raw;
    for (const DcaseClip& c : tune_clips) {
      const std::vector<float>& x = features.at(c.path).x;
      raw.insert(raw.end(), x.begin(), x.end());
    }
    norm = FeatureNorm::fit({&raw}, config.features.n_mels, config.features.frames);
  }
  const std::vector<float> data = pooled_vectors(tune_clips, features, norm);  // [n, dim]
  const uint32_t n = static_cast<uint32_t>(data.size() / dim);

  DcaseRun base;
  base.machine_type = m.type;
  base.machine_id = m.id;
  base.method = "pretrained";
  base.seed = seed;
  const TestClips test = standardised_test_clips(m, features, norm);
  const Scores s0 = evaluate(host.net->model(), test, config.max_fpr);
  meter.add(test_vectors(m, features));
  base.auc = s0.auc;
  base.pauc = s0.pauc;
  result->runs.push_back(base);
  std::string line = "seed " + std::to_string(seed) + " " + m.label() + " (" + std::to_string(n) +
                     " vectors): pretrained AUC " + fixed(100 * s0.auc, 1);

  // One sample order for every method: the comparison isolates the method.
  std::vector<uint32_t> tune_order;
  Rng tune_rng(seed * 104729u + hash_text(m.label()));
  for (uint32_t e = 0; e < config.finetune_epochs; ++e) {
    std::vector<uint32_t> o(n);
    for (uint32_t i = 0; i < n; ++i) o[i] = i;
    tune_rng.shuffle(o.data(), n);
    tune_order.insert(tune_order.end(), o.begin(), o.end());
  }

  // One fine-tuning run per method; runs are independent (own network, read-only data), so
  // `threads` of them may run at once. Results keep the method order: output is the same for any
  // thread count.
  std::vector<DcaseRun> runs(config.methods.size(), base);
  auto run_method = [&](size_t k) {
    const DcaseMethod& method = config.methods[k];
    TrainConfig cfg;
    cfg.optimizer = config.finetune_optimizer;
    cfg.sparsity = method.sparsity;
    cfg.batch_size = 1;
    BoundNetwork dev(spec, cfg);
    dev.load_params(host.params);
    dev.trainer().reset_run();
    DcaseRun& run = runs[k];
    run.method = method.label;
    run.arena_bytes = dev.plan().total();
    const auto t0 = Clock::now();
    StepCounters step;
    double loss_sum = 0.0;
    for (size_t j = 0; j < tune_order.size(); ++j) {
      const float* x = &data[static_cast<size_t>(tune_order[j]) * dim];
      dev.trainer().train_sample(x, Target::of_values(x), &step);
      run.counters.add(step);
      if (j >= tune_order.size() - n) loss_sum += dev.trainer().last_loss();
      meter.add(3);
    }
    run.seconds = seconds_since(t0);
    run.final_loss = loss_sum / n;
    const Scores s = evaluate(dev.model(), test, config.max_fpr);
    meter.add(test_vectors(m, features));
    run.auc = s.auc;
    run.pauc = s.pauc;
  };
  std::vector<Job> jobs;
  for (size_t k = 0; k < runs.size(); ++k) jobs.push_back(Job{[&run_method, k] { run_method(k); }});
  run_jobs(jobs, std::max<uint32_t>(config.threads, 1));
  for (const DcaseRun& run : runs) {
    result->runs.push_back(run);
    line += ", " + run.method + " " + fixed(100 * run.auc, 1) + " (bwd " +
            fixed(100 * run.counters.backward_ratio(), 0) + "%)";
  }
  log_line(progress, line);
}

}  // namespace tinyprop::host::audio
