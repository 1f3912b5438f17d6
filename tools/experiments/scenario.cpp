#include "experiments/scenario.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include "util/error.h"
#include "util/job_pool.h"
#include "formats/model_file.h"
#include "util/progress.h"

namespace tinyprop::host {
namespace {

// Seeds of the random streams of one run seed s (documented in docs/SCENARIOS.md):
// initialisation Rng(s); pretraining epoch e visits shuffled_indices(n, s * 1000 + 100 + e);
// fine-tuning epoch e visits shuffled_indices(n, s * 1000 + 500 + e), the same for every method.
uint64_t pretrain_order_seed(uint64_t s) { return s * 1000 + 100; }
uint64_t finetune_order_seed(uint64_t s) { return s * 1000 + 500; }

std::vector<uint32_t> first_n(size_t n) {
  std::vector<uint32_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint32_t>(i);
  return v;
}

double ratio_of(double a, double b) { return b > 0.0 ? a / b : 0.0; }

// How many samples of d have each label 0..n_classes-1.
std::vector<size_t> class_counts(const Dataset& d, uint32_t n_classes) {
  std::vector<size_t> counts(n_classes, 0);
  for (uint32_t label : d.y) {
    if (label < n_classes) ++counts[label];
  }
  return counts;
}

// The samples of d whose label is below n_classes, in their order (num_classes unchanged: the
// model keeps all its outputs).
Dataset samples_of_classes_below(const Dataset& d, uint32_t n_classes) {
  std::vector<uint32_t> keep;
  for (size_t i = 0; i < d.size(); ++i) {
    if (d.y[i] < n_classes) keep.push_back(static_cast<uint32_t>(i));
  }
  return subset(d, keep);
}

// Glorot (Xavier) uniform weights, U(-sqrt(6 / (fan_in + fan_out)), +...), zero biases, for
// every dense layer in model order (the authors' MNIST example's initialisation).
void glorot_uniform_init(Model& m, Rng& rng) {
  for (uint32_t i = 0; i < m.n_layers(); ++i) {
    Layer& l = m.layer(i);
    if (l.n_weights == 0) continue;
    const float bound = std::sqrt(6.0f / static_cast<float>(l.in_size + l.out_size));
    for (uint32_t j = 0; j < l.n_weights; ++j) l.w[j] = rng.uniform(-bound, bound);
    for (uint32_t j = 0; j < l.n_bias; ++j) l.b[j] = 0.0f;
  }
}

}  // namespace

Stat Stat::of(const std::vector<double>& v) {
  Stat s;
  if (v.empty()) return s;
  double sum = 0.0;
  s.min = s.max = v[0];
  for (double x : v) {
    sum += x;
    s.min = std::min(s.min, x);
    s.max = std::max(s.max, x);
  }
  s.mean = sum / static_cast<double>(v.size());
  if (v.size() > 1) {
    double ss = 0.0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.sd = std::sqrt(ss / static_cast<double>(v.size() - 1));
  }
  return s;
}

const MethodSummary* CompareResult::find(const std::string& label) const {
  for (const MethodSummary& m : summary) {
    if (protocol.methods[m.method].label == label) return &m;
  }
  return nullptr;
}

const MethodSummary* CompareResult::default_budget() const {
  for (const MethodSummary& m : summary) {
    if (protocol.methods[m.method].is_budget_default) return &m;
  }
  return nullptr;
}

const MethodSummary* CompareResult::default_tinyprop() const {
  for (const MethodSummary& m : summary) {
    if (protocol.methods[m.method].is_default) return &m;
  }
  return nullptr;
}

namespace {

// Which method index a label has (throws if missing: a protocol bug).
size_t method_index(const Protocol& p, const std::string& label) {
  for (size_t i = 0; i < p.methods.size(); ++i) {
    if (p.methods[i].label == label) return i;
  }
  throw Error("internal: protocol has no method '" + label + "'");
}

void summarise(CompareResult* r) {
  const Protocol& p = r->protocol;
  const size_t n_methods = p.methods.size();
  const size_t full = method_index(p, "full");
  for (size_t m = 0; m < n_methods; ++m) {
    MethodSummary s;
    s.method = m;
    std::vector<double> before, after, loss, bwd, total, secs, cpu, speed, wall_speed, ratio,
        skip, step_us, forward_us;
    s.layer_ratio.assign(r->layer_names.size(), 0.0);
    for (size_t si = 0; si < p.seeds.size(); ++si) {
      const RunResult& run = r->runs[si * n_methods + m];
      const RunResult& f = r->runs[si * n_methods + full];
      const RunCounters& c = run.counters;
      const RunCounters& fc = f.counters;
      before.push_back(run.accuracy_before);
      after.push_back(run.accuracy_after);
      loss.push_back(100.0 * (f.accuracy_after - run.accuracy_after));
      bwd.push_back(ratio_of(static_cast<double>(c.backward_macs),
                             static_cast<double>(fc.backward_macs)));
      total.push_back(ratio_of(static_cast<double>(c.forward_macs + c.backward_macs),
                               static_cast<double>(fc.forward_macs + fc.backward_macs)));
      secs.push_back(run.seconds);
      cpu.push_back(run.cpu_seconds);
      speed.push_back(ratio_of(f.cpu_seconds, run.cpu_seconds));
      wall_speed.push_back(ratio_of(f.seconds, run.seconds));
      step_us.push_back(1e6 * ratio_of(run.cpu_seconds, static_cast<double>(c.steps)));
      forward_us.push_back(run.forward_us);
      ratio.push_back(run.sparsity.method == Method::kStatic ? run.sparsity.ratio : 1.0);
      skip.push_back(ratio_of(static_cast<double>(c.skipped), static_cast<double>(c.steps)));
      for (size_t l = 0; l < s.layer_ratio.size() && l < run.layer_ratio.size(); ++l) {
        s.layer_ratio[l] += run.layer_ratio[l] / static_cast<double>(p.seeds.size());
      }
    }
    s.accuracy_before = Stat::of(before);
    s.accuracy_after = Stat::of(after);
    s.accuracy_loss_pp = Stat::of(loss);
    s.backward_rel = Stat::of(bwd);
    s.total_rel = Stat::of(total);
    s.seconds = Stat::of(secs);
    s.cpu_seconds = Stat::of(cpu);
    s.speedup = Stat::of(speed);
    s.wall_speedup = Stat::of(wall_speed);
    s.step_us = Stat::of(step_us);
    s.forward_us = Stat::of(forward_us);
    s.ratio_used = Stat::of(ratio);
    s.skip_rate = Stat::of(skip);
    r->summary.push_back(s);
  }
}

}  // namespace

CompareResult run_compare(const Protocol& protocol, const CompareOptions& options) {
  const auto t_start = std::chrono::steady_clock::now();
  CompareResult result;
  result.protocol = protocol;
  result.threads = options.threads == 0 ? 1 : options.threads;
  Protocol& p = result.protocol;

  // ---- data ------------------------------------------------------------------------------
  Dataset train = load_named(options.data_dir, p.dataset, "train");
  Dataset test = load_named(options.data_dir, p.dataset, "test");
  if (p.quick) {  // tiny data sets (tests): take what there is, at most the quick sizes
    p.pretrain_count = std::min(p.pretrain_count, train.size() / 2);
    p.finetune_count = std::min(p.finetune_count, train.size() - p.pretrain_count);
    p.test_count = std::min(p.test_count, test.size());
  }
  if (!p.from_scratch && (p.pretrain_count == 0 || train.size() <= p.pretrain_count)) {
    throw Error(p.dataset + " train has " + std::to_string(train.size()) +
                " samples; the " + p.scenario + " scenario pretrains on " +
                std::to_string(p.pretrain_count) + " and needs more (use --quick for small data)");
  }
  Dataset pre, rest;
  if (p.from_scratch) {  // the first samples in file order, nothing to pretrain on
    p.finetune_count = std::min(p.finetune_count, train.size());
    rest = std::move(train);
  } else {
    split(train, p.pretrain_count, p.split_seed, &pre, &rest);
  }
  train = Dataset();  // free 60k images early
  if (p.finetune_count > 0 && p.finetune_count < rest.size()) {
    rest = subset(rest, first_n(p.finetune_count));
  }
  if (p.test_count > 0 && p.test_count < test.size()) test = subset(test, first_n(p.test_count));
  if (p.pretrain_classes > 0) {
    pre = samples_of_classes_below(pre, p.pretrain_classes);
    if (pre.size() == 0) {
      throw Error("the " + p.scenario + " scenario's pretraining split has no sample of classes 0-" +
                  std::to_string(p.pretrain_classes - 1));
    }
  }
  Dataset tune = std::move(rest);
  // The test data of the scenario (shifted for mnist-shift, drifted for mnist-drift).
  Dataset tune_test = test;
  if (p.shifted) {
    tune = apply_shift(tune, p.shift);
    ShiftParams test_shift = p.shift;
    test_shift.seed += 1000000;
    tune_test = apply_shift(test, test_shift);
  }
  if (p.drifted) {
    tune = apply_drift(tune, p.drift);
    DriftParams test_drift = p.drift;
    test_drift.noise_seed += 1000000;
    tune_test = apply_drift(test, test_drift);
    result.drift_defects = sensor_defects(p.drift, test.shape.h, test.shape.w);
  }
  const bool own_test_data = p.shifted || p.drifted;  // "before" differs from the clean accuracy
  const uint32_t n_classes = std::max(pre.num_classes, tune.num_classes);
  result.pretrain_class_counts = class_counts(pre, n_classes);
  result.finetune_class_counts = class_counts(tune, n_classes);
  result.test_class_counts = class_counts(tune_test, n_classes);
  result.pretrain_samples = pre.size();
  result.finetune_samples = tune.size();
  result.test_samples = tune_test.size();

  const ModelSpec spec = parse_model_spec(p.model);
  check_fits(spec, p.from_scratch ? tune : pre, p.dataset);
  check_fits(spec, tune_test, p.dataset + " test");
  {
    Session probe(spec, p.finetune);
    for (uint32_t l : param_layers(spec)) result.layer_names.push_back(layer_label(probe.model(), l));
  }

  // ---- jobs ------------------------------------------------------------------------------
  const size_t n_seeds = p.seeds.size();
  const size_t n_methods = p.methods.size();
  std::vector<std::vector<float>> pretrained(n_seeds);
  std::vector<double> before(n_seeds, 0.0);
  result.pretrain_accuracy.assign(n_seeds, 0.0);
  result.pretrain_seconds.assign(n_seeds, 0.0);
  result.runs.assign(n_seeds * n_methods, RunResult{});

  // Progress in work units: a training sample 3, an evaluated sample 1 (a forward pass).
  const uint64_t pre_units = 3ull * pre.size() * p.pretrain_epochs + test.size() +
                             (own_test_data ? tune_test.size() : 0);
  const uint64_t run_units = 3ull * tune.size() * p.finetune_epochs +
                             static_cast<uint64_t>(p.eval_points == 0 ? 1 : p.eval_points) *
                                 tune_test.size();
  Progress progress("compare " + p.scenario, n_seeds * (pre_units + n_methods * run_units),
                    options.progress);

  std::vector<Job> jobs;
  std::vector<long> pretrain_job(n_seeds);
  for (size_t si = 0; si < n_seeds; ++si) {
    pretrain_job[si] = static_cast<long>(jobs.size());
    jobs.push_back(Job{[&, si]() {
      const uint64_t seed = p.seeds[si];
      Session s(spec, p.pretrain);
      Rng rng(seed);
      if (p.from_scratch) {
        glorot_uniform_init(s.model(), rng);
        result.pretrain_accuracy[si] = before[si] = evaluate(s.model(), test).accuracy;
        progress.advance(test.size());
        pretrained[si].assign(s.model().params(), s.model().params() + s.model().param_count());
        return;
      }
      s.model().init_params(rng);
      FitOptions fo;
      fo.epochs = p.pretrain_epochs;
      fo.order_seed = pretrain_order_seed(seed);
      uint64_t last = 0;
      fo.progress = [&](uint64_t done, uint64_t) {
        progress.advance(3 * (done - last));
        last = done;
      };
      const FitResult fr = fit(s, pre, fo);
      result.pretrain_seconds[si] = fr.train_seconds;
      result.pretrain_accuracy[si] = evaluate(s.model(), test).accuracy;
      progress.advance(test.size());
      before[si] = result.pretrain_accuracy[si];
      if (own_test_data) {
        before[si] = evaluate(s.model(), tune_test).accuracy;
        progress.advance(tune_test.size());
      }
      pretrained[si].assign(s.model().params(), s.model().params() + s.model().param_count());
    }, -1});
  }

  auto finetune_job = [&](size_t si, size_t mi) {
    const uint64_t seed = p.seeds[si];
    const MethodVariant& mv = p.methods[mi];
    RunResult& out = result.runs[si * n_methods + mi];
    TrainConfig cfg = p.finetune;
    cfg.sparsity = mv.sparsity;  // carries the protocol's conv_selection
    if (!mv.matched_to.empty()) {
      const RunResult& ref = result.runs[si * n_methods + method_index(p, mv.matched_to)];
      cfg.sparsity.ratio = static_cast<float>(ref.counters.backward_ratio());
    }
    Session s(spec, cfg);
    std::memcpy(s.model().params(), pretrained[si].data(), pretrained[si].size() * sizeof(float));
    FitOptions fo;
    fo.epochs = p.finetune_epochs;
    fo.order_seed = finetune_order_seed(seed);
    fo.shuffle = !p.from_scratch;
    fo.lr_end_factor = p.finetune_lr_end_factor;
    fo.trace_windows = p.trace_windows;
    fo.eval_set = &tune_test;
    fo.eval_points = p.eval_points;
    uint64_t last = 0;
    fo.progress = [&](uint64_t done, uint64_t) {
      progress.advance(3 * (done - last));
      last = done;
    };
    fo.evaluated = [&](size_t n) { progress.advance(n); };
    FitResult fr = fit(s, tune, fo);
    out.label = mv.label;
    out.seed = seed;
    out.sparsity = cfg.sparsity;
    out.accuracy_before = before[si];
    if (fr.curve.empty()) {
      const EvalResult e = evaluate(s.model(), tune_test);
      progress.advance(e.samples);
      fr.curve.push_back(CurvePoint{fr.counters.steps, e.accuracy, e.loss});
    }
    out.accuracy_after = fr.curve.back().accuracy;
    out.test_loss_after = fr.curve.back().loss;
    out.train_loss = fr.mean_loss;
    out.counters = fr.counters;
    out.seconds = fr.train_seconds;
    out.cpu_seconds = fr.train_cpu_seconds;
    out.forward_us = 1e6 * ratio_of(fr.eval_cpu_seconds, static_cast<double>(fr.eval_samples));
    for (uint32_t l : param_layers(spec)) out.layer_ratio.push_back(fr.counters.mean_ratio(l));
    out.trace = std::move(fr.trace);
    out.curve = std::move(fr.curve);
  };

  // Fine-tunes in protocol order within a seed; a static-matched run waits for the run it
  // matches (which itself waited for the pretrained model).
  std::vector<long> job_of(n_seeds * n_methods, -1);
  for (size_t si = 0; si < n_seeds; ++si) {
    for (size_t mi = 0; mi < n_methods; ++mi) {
      const MethodVariant& mv = p.methods[mi];
      long dep = pretrain_job[si];
      if (!mv.matched_to.empty()) {
        dep = job_of[si * n_methods + method_index(p, mv.matched_to)];
        if (dep < 0) throw Error("internal: '" + mv.label + "' listed before the run it matches");
      }
      job_of[si * n_methods + mi] = static_cast<long>(jobs.size());
      jobs.push_back(Job{[&finetune_job, si, mi]() { finetune_job(si, mi); }, dep});
    }
  }
  run_jobs(jobs, result.threads);
  progress.finish();

  summarise(&result);
  result.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  return result;
}

}  // namespace tinyprop::host
