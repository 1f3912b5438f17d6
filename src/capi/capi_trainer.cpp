// C API: fine-tuning steps, losses and the work counters.
#include "capi_internal.h"

using namespace tinyprop;
using namespace tinyprop::capi;

namespace tinyprop::capi {

void copy_counters(const StepCounters& from, tp_step_counters* to) {
  to->forward_macs = from.forward_macs;
  to->backward_macs = from.backward_macs;
  to->backward_macs_full = from.backward_macs_full;
  to->selection_comparisons = from.selection_comparisons;
  to->updated_params = from.updated_params;
  to->forward_macs_done = from.forward_macs_done;
  to->backward_macs_done = from.backward_macs_done;
  to->skipped = from.skipped ? 1 : 0;
  for (uint32_t i = 0; i < kMaxLayers; ++i) {
    to->k[i] = from.k[i];
    to->n[i] = from.n[i];
  }
}

}  // namespace tinyprop::capi

namespace {

// Runs one step with C++ counters and copies them out only when asked for.
template <typename Step>
void with_counters(tp_step_counters* counters, Step step) {
  if (counters == nullptr) {
    step(nullptr);
    return;
  }
  StepCounters c;
  step(&c);
  copy_counters(c, counters);
}

}  // namespace

extern "C" {

void tp_trainer_train_label(tp_trainer* trainer, const float* x, uint32_t label,
                            tp_step_counters* counters) {
  with_counters(counters, [&](StepCounters* c) {
    trainer_of(trainer)->train_sample(x, Target::of_label(label), c);
  });
}

void tp_trainer_train_target(tp_trainer* trainer, const float* x, const float* target,
                             tp_step_counters* counters) {
  with_counters(counters, [&](StepCounters* c) {
    trainer_of(trainer)->train_sample(x, Target::of_values(target), c);
  });
}

void tp_trainer_flush(tp_trainer* trainer, tp_step_counters* counters) {
  with_counters(counters, [&](StepCounters* c) { trainer_of(trainer)->flush(c); });
}

void tp_trainer_reset_run(tp_trainer* trainer) { trainer_of(trainer)->reset_run(); }

void tp_trainer_set_learning_rate(tp_trainer* trainer, float learning_rate) {
  trainer_of(trainer)->set_learning_rate(learning_rate);
}

float tp_trainer_last_loss(const tp_trainer* trainer) { return trainer_of(trainer)->last_loss(); }

float tp_trainer_loss_label(tp_trainer* trainer, const float* x, uint32_t label) {
  return trainer_of(trainer)->loss(x, Target::of_label(label));
}

uint64_t tp_trainer_optimizer_steps(const tp_trainer* trainer) {
  return trainer_of(trainer)->optimizer_steps();
}

uint64_t tp_trainer_worst_case_backward_macs(const tp_trainer* trainer) {
  return trainer_of(trainer)->worst_case_backward_macs();
}

uint64_t tp_trainer_full_backward_macs(const tp_trainer* trainer) {
  return trainer_of(trainer)->full_backward_macs();
}

tp_status tp_trainer_health(const tp_trainer* trainer) {
  return to_c(trainer_of(trainer)->health());
}

void tp_trainer_reset_health(tp_trainer* trainer) { trainer_of(trainer)->reset_health(); }

}  // extern "C"
