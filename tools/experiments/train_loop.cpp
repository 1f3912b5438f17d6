#include "experiments/train_loop.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "util/error.h"
#include "tinyprop/loss.h"

namespace tinyprop::host {
namespace {

std::string status_text(Status s) { return status_name(s); }

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU seconds consumed by the calling thread so far.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// The trace point of a window of steps (RunCounters over the window): mean k/N of each
// parameter layer over its non-skipped steps, and the skip rate.
TracePoint trace_point(const RunCounters& w, const std::vector<uint32_t>& layers, uint64_t step) {
  TracePoint p;
  p.step = step;
  for (uint32_t l : layers) p.ratio.push_back(w.mean_ratio(l));
  p.skip_rate = w.steps > 0 ? static_cast<double>(w.skipped) / static_cast<double>(w.steps) : 0.0;
  return p;
}

// The step at which the i-th (1-based) of `points` evenly spaced events falls.
uint64_t event_step(uint64_t total, uint32_t points, uint32_t i) {
  return total * i / points;
}

// The weights of the last clean check, put back when training diverges.
class LastGood {
 public:
  explicit LastGood(Model& m) : model_(m) { keep(0); }
  void keep(uint32_t epochs_done) {
    params_.assign(model_.params(), model_.params() + model_.param_count());
    epochs_ = epochs_done;
  }
  // Restores the kept weights and throws the divergence error: "training diverged <where>:
  // <cause>layer 2 (dense 128x64) has non-finite parameters; ...". With finite parameters, the
  // layer whose output overflows on `sample` (the step's input) is named instead.
  [[noreturn]] void diverged(const std::string& where, const std::string& cause,
                             const float* sample = nullptr) {
    const uint32_t bad = model_.first_nonfinite_layer();
    std::string layer = "the parameters are finite but the forward pass overflows";
    if (bad < model_.n_layers()) {
      layer = "layer " + describe(bad) + " has non-finite parameters";
    } else if (sample != nullptr) {
      (void)model_.forward(sample);
      for (uint32_t i = 0; i < model_.n_layers(); ++i) {
        const Layer& l = model_.layer(i);
        if (!std::all_of(l.out, l.out + l.out_size, [](float v) { return std::isfinite(v); })) {
          layer = "the output of layer " + describe(i) +
                  " overflows (its parameters are finite but too large)";
          break;
        }
      }
    }
    std::copy(params_.begin(), params_.end(), model_.params());
    throw Error("training diverged " + where + ": " + cause + layer +
                "; nothing is written (the last good weights are " +
                (epochs_ == 0 ? std::string("those from before training")
                              : "those after epoch " + std::to_string(epochs_)) +
                "); lower the learning rate (--lr)");
  }

 private:
  std::string describe(uint32_t i) const {
    const LayerKind kind = model_.layer(i).spec.kind;
    return std::to_string(i) + " (" + layer_kind_name(kind) +
           (layer_has_params(kind) ? " " + layer_label(model_, i) : std::string()) + ")";
  }

  Model& model_;
  std::vector<float> params_;
  uint32_t epochs_ = 0;
};

}  // namespace

void OwnedArena::reserve_bytes(size_t bytes) {
  const size_t blocks = bytes / sizeof(Block) + (bytes % sizeof(Block) != 0 ? 1 : 0);
  blocks_.resize(blocks == 0 ? 1 : blocks);
}

InferenceModel::InferenceModel(const ModelSpec& spec) {
  Status s = Model::plan(spec, &plan_);
  if (!ok(s)) throw Error("cannot plan the model's memory: " + status_text(s));
  arena_.reserve_bytes(plan_.total());
  Arena arena(arena_.data(), arena_.bytes());
  s = model_.bind(spec, arena);
  if (!ok(s)) throw Error("cannot bind the model: " + status_text(s));
}

namespace {

// The configuration without the per-step bound (docs/ALGORITHM.md): planning or binding with it
// tells whether the bound is why a plan or bind was refused as an invalid argument.
TrainConfig without_step_bound(const TrainConfig& config) {
  TrainConfig unbounded = config;
  unbounded.sparsity.max_backward_macs = 0;
  if (unbounded.sparsity.method == Method::kBudget) unbounded.sparsity.budget = 1.0f;
  return unbounded;
}

[[noreturn]] void throw_bound_cannot_be_kept() {
  throw Error("the per-step bound cannot be kept: it is below one neuron per trainable layer "
              "(--max-backward-macs or --budget too small for this model), or it would have "
              "to steer convolutions with channel selection");
}

}  // namespace

Session::Session(const ModelSpec& spec, const TrainConfig& config) {
  Status s = Trainer::plan(spec, config, &plan_);
  if (s == Status::kInvalidArgument) {
    MemoryPlan probe;
    if (ok(Trainer::plan(spec, without_step_bound(config), &probe))) throw_bound_cannot_be_kept();
  }
  if (!ok(s)) throw Error("cannot plan training memory: " + status_text(s));
  arena_.reserve_bytes(plan_.total());
  s = bind_training(spec, config, arena_.data(), arena_.bytes(), &model_, &trainer_);
  if (s == Status::kInvalidArgument &&
      ok(bind_training(spec, without_step_bound(config), arena_.data(), arena_.bytes(), &model_,
                       &trainer_))) {
    // The plan comes from the spec alone; the bound is checked against the bound layers.
    throw_bound_cannot_be_kept();
  }
  if (!ok(s)) throw Error("cannot bind model and trainer: " + status_text(s));
}

void check_fits(const ModelSpec& spec, const Dataset& data, const std::string& what) {
  const uint32_t in = spec.input.size();
  if (in != data.dim()) {
    throw Error("model expects " + std::to_string(in) + " inputs but " + what + " has " +
                std::to_string(data.dim()) + " features per sample");
  }
  // A model whose input is a feature map (rows and columns) needs samples of that very shape;
  // a flat input (1 x 1 x N, an MLP) takes any sample of N values.
  const Shape& m = spec.input;
  const Shape& s = data.shape;
  const bool flat = m.h == 1 && m.w == 1;
  if (!flat && (m.h != s.h || m.w != s.w || m.c != s.c)) {
    const auto hwc = [](const Shape& x) {
      return std::to_string(x.h) + "x" + std::to_string(x.w) + "x" + std::to_string(x.c);
    };
    throw Error("model expects " + hwc(m) + " inputs but " + what + " has " + hwc(s) + " samples");
  }
  const uint32_t out = spec.output_shape().size();
  if (data.num_classes > out) {
    throw Error("model has " + std::to_string(out) + " outputs but " + what + " has " +
                std::to_string(data.num_classes) + " classes");
  }
  if (data.size() == 0) throw Error(what + " has no samples");
}

std::vector<uint32_t> param_layers(const ModelSpec& spec) {
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    if (layer_has_params(spec.layers[i].kind)) out.push_back(i);
  }
  return out;
}

std::string layer_label(const Model& model, uint32_t layer) {
  const Layer& l = model.layer(layer);
  const auto s = [](uint32_t v) { return std::to_string(v); };
  switch (l.spec.kind) {
    case LayerKind::kConv2D:  // "conv3x3 1>8": kernel, input and output channels
      return "conv" + s(l.spec.kernel_h) + "x" + s(l.spec.kernel_w) + " " + s(l.in_shape.c) + ">" +
             s(l.out_shape.c);
    case LayerKind::kDepthwiseConv2D:  // "dw3x3 16"
      return "dw" + s(l.spec.kernel_h) + "x" + s(l.spec.kernel_w) + " " + s(l.out_shape.c);
    default:  // dense: "784x128"
      return s(l.in_size) + "x" + s(l.out_size);
  }
}

EvalResult evaluate(Model& model, const Dataset& data) {
  EvalResult r;
  const uint32_t n_out = model.output_size();
  std::vector<float> delta(n_out);  // [outputs] scratch for the loss
  r.class_samples.assign(n_out, 0);
  r.class_hits.assign(n_out, 0);
  size_t hits = 0;
  double loss_sum = 0.0;
  for (size_t i = 0; i < data.size(); ++i) {
    const float* out = model.forward(data.sample(i));
    uint32_t best = 0;
    for (uint32_t j = 1; j < n_out; ++j) {
      if (out[j] > out[best]) best = j;
    }
    const uint32_t y = data.y[i];
    if (y < n_out) ++r.class_samples[y];
    if (best == y) {
      ++hits;
      ++r.class_hits[y];
    }
    loss_sum += loss_forward_backward(model.spec().loss, out, n_out, nullptr, data.y[i],
                                      delta.data());
  }
  r.samples = data.size();
  if (r.samples > 0) {
    r.accuracy = static_cast<double>(hits) / static_cast<double>(r.samples);
    r.loss = loss_sum / static_cast<double>(r.samples);
  }
  return r;
}

FitResult fit(Session& session, const Dataset& train, const FitOptions& opt) {
  FitResult result;
  Trainer& trainer = session.trainer();
  Model& model = session.model();
  check_fits(model.spec(), train, "the training data");
  if (!opt.keep_state) trainer.reset_run();

  const std::vector<uint32_t> layers = param_layers(model.spec());
  const uint64_t n = train.size();
  const uint64_t total = n * opt.epochs;
  RunCounters window;  // the steps since the last trace point
  uint32_t next_trace = 1, next_eval = 1;
  double loss_sum = 0.0;
  uint64_t done = opt.start_position < total ? opt.start_position : total;
  StepCounters step;
  const float lr0 = opt.lr_base > 0.0f ? opt.lr_base : trainer.config().optimizer.learning_rate;
  const auto checkpoint_due = [&] {
    return opt.checkpoint_every > 0 && opt.checkpoint && done % opt.checkpoint_every == 0;
  };
  const bool decay = opt.lr_end_factor != 1.0f && total > 0;
  LastGood last_good(model);

  // The next trace window / evaluation is due once `done` reaches its step.
  auto trace_due = [&] {
    return next_trace <= opt.trace_windows &&
           done >= event_step(total, opt.trace_windows, next_trace);
  };
  auto eval_due = [&] {
    return opt.eval_set != nullptr && next_eval <= opt.eval_points &&
           done >= event_step(total, opt.eval_points, next_eval);
  };
  // Records what is due (at the end: every point not yet recorded).
  auto record_events = [&](bool end) {
    while (next_trace <= opt.trace_windows && (end || trace_due())) {
      result.trace.push_back(trace_point(window, layers, done));
      window.clear();
      ++next_trace;
    }
    while (opt.eval_set != nullptr && next_eval <= opt.eval_points && (end || eval_due())) {
      const double c_eval = thread_cpu_seconds();
      const EvalResult e = evaluate(model, *opt.eval_set);
      result.eval_cpu_seconds += thread_cpu_seconds() - c_eval;
      result.eval_samples += e.samples;
      result.curve.push_back(CurvePoint{done, e.accuracy, e.loss});
      if (opt.evaluated) opt.evaluated(e.samples);
      ++next_eval;
    }
  };

  for (uint32_t epoch = static_cast<uint32_t>(done / n); epoch < opt.epochs && done < opt.stop_at;
       ++epoch) {
    std::vector<uint32_t> order;
    if (opt.shuffle) {
      order = shuffled_indices(n, opt.order_seed + epoch);
    } else {
      order.resize(n);
      std::iota(order.begin(), order.end(), 0u);
    }
    auto t0 = Clock::now();
    double c0 = thread_cpu_seconds();
    uint64_t i = done - uint64_t{epoch} * n;
    for (; i < n && done < opt.stop_at; ++i) {
      const uint32_t s = order[i];
      if (decay) {
        const double t = static_cast<double>(done) / static_cast<double>(total);
        trainer.set_learning_rate(
            static_cast<float>(lr0 * (1.0 - (1.0 - opt.lr_end_factor) * t)));
      }
      trainer.train_sample(train.sample(s), Target::of_label(train.y[s]), &step);
      if (trainer.health() != Status::kOk) {
        last_good.diverged("at step " + std::to_string(done + 1) + " of " +
                               std::to_string(total) + " (epoch " + std::to_string(epoch + 1) +
                               ", sample " + std::to_string(s) + ")",
                           "the loss is not finite and ", train.sample(s));
      }
      result.counters.add(step);
      window.add(step);
      loss_sum += static_cast<double>(trainer.last_loss());
      ++done;
      if ((done & 255u) == 0 && opt.progress) opt.progress(done, total);
      if (i + 1 < n && checkpoint_due()) opt.checkpoint(done);
      if ((trace_due() || eval_due()) && done < total) {
        result.train_seconds += seconds_since(t0);
        result.train_cpu_seconds += thread_cpu_seconds() - c0;
        record_events(false);
        t0 = Clock::now();
        c0 = thread_cpu_seconds();
      }
    }
    // End of an epoch: apply a partially filled batch (no-op for batch size 1).
    if (i == n) {
      StepCounters tail;
      trainer.flush(&tail);
      result.counters.updated_params += tail.updated_params;
    }
    result.train_seconds += seconds_since(t0);
    result.train_cpu_seconds += thread_cpu_seconds() - c0;
    // A ReLU can hide a NaN row from the loss: scan the weights once per epoch.
    if (model.first_nonfinite_layer() < model.n_layers()) {
      last_good.diverged("in epoch " + std::to_string(epoch + 1) + " of " +
                             std::to_string(opt.epochs), "");
    }
    last_good.keep(epoch + 1);
    if (i == n && checkpoint_due()) opt.checkpoint(done);
  }
  // Back to the base rate once the run is complete (a stopped run keeps where the schedule stood,
  // so that its checkpoint records it).
  if (decay && done == total) trainer.set_learning_rate(lr0);
  record_events(true);
  if (opt.progress) opt.progress(done, total);
  result.position = done;
  const uint64_t trained = done - (opt.start_position < total ? opt.start_position : total);
  result.mean_loss = trained > 0 ? loss_sum / static_cast<double>(trained) : 0.0;
  return result;
}

}  // namespace tinyprop::host
