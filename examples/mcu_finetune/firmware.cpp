// Fine-tuning on the microcontroller: the pretrained MLP built into the firmware (a generated
// header, weights in flash) is copied into a static RAM arena, fine-tuned on MNIST samples
// streamed from the host through semihosting with the method given on the command line, then
// evaluated on test samples streamed the same way. Prints the memory plan and one result line,
// exits 0 on success. The host build (host_port.c) runs the very same code with stdio.
//
//   mcu_finetune --method full|static|tinyprop|tinypropv2|budget|none [--ratio R] [--smin A]
//                [--smax B] [--zeta Z] [--tau T] [--budget F] [--max-macs N]
//                [--lr LR=0.001] [--epochs E=1] [--steps N]
//                --train IMAGES LABELS --test IMAGES LABELS [--test-count N]
//                [--flash FILE [--flash-bytes N] [--checkpoint-every N] [--cut-after-bytes B]]
//                [--resume-from CHECKPOINT] [--freeze N]
//
// --freeze N: the first N layers with parameters are frozen and read their pretrained weights
// in place, from the model header in flash (FrozenParams::kInPlace): only the trainable layers'
// parameters take RAM, which is what lets a larger model fit a small part.
// Checkpoints (docs/CHECKPOINTS.md): with --flash, a host file stands in for a flash region
// (flash_file.h) holding a two-slot FlashStore. At start the newest valid checkpoint there is
// restored and fine-tuning continues from the sample it had reached; every --checkpoint-every
// samples the whole training state is saved. --cut-after-bytes stops the program (status 5)
// after that many bytes were programmed: a power cut in the middle of a save. --resume-from
// starts from a checkpoint file written on the host (`tinyprop finetune --checkpoint-out`).
//
// Exit status: 0 ok, 2 bad arguments, 3 data file error, 4 the model does not fit in RAM or
// the stack overflowed, 5 simulated power cut, 6 checkpoint error, 7 a step exceeded the
// worst case the trainer gave before training (the per-step bound), 99 CPU fault
// (port/cortex-m/startup.c).
//
// Every training step runs between tp_mark_step_begin() and tp_mark_step_end(): the QEMU plugin
// (tools/qemu-plugin) counts the instructions in between, split into phases.
#include <stdint.h>
#include <string.h>

#include "args.h"
#include "device_checkpoint.h"
#include "idx_stream.h"
#include "model_source.h"
#include "text_line.h"
#include "tinyprop/tinyprop.h"
#include "tp_port.h"

#ifndef MCU_BOARD_NAME
#define MCU_BOARD_NAME "host"
#endif

using namespace tinyprop;

namespace {

enum Exit { kExitOk = 0, kExitUsage = 2, kExitData = 3, kExitMemory = 4, kExitBound = 7 };

struct Options {
  TrainConfig train;
  bool fine_tune = true;  // false for --method none (evaluate the pretrained model only)
  const char* method = "full";
  uint32_t epochs = 1;
  uint32_t max_steps = 0xFFFFFFFFu;
  uint32_t test_count = 0xFFFFFFFFu;
  const char* train_images = nullptr;
  const char* train_labels = nullptr;
  const char* test_images = nullptr;
  const char* test_labels = nullptr;
  const char* flash = nullptr;        // checkpoint flash stand-in (host file)
  uint32_t flash_bytes = 256u * 1024u;
  uint32_t checkpoint_every = 0;      // 0: never save
  uint32_t cut_after_bytes = 0;       // 0: no power cut
  const char* resume_from = nullptr;  // a checkpoint file from the host
  uint32_t freeze = 0;                // layers with parameters kept frozen, in flash
};

// Static state: nothing lives on the heap, big objects stay off the small stack.
Model g_model;
Trainer g_trainer;
mcu::IdxStream g_stream;
float g_x[mcu::kMaxSampleBytes];  // [input size] the current sample
// Large locals live here too: the stack of the 128 KB board is 4 KB.
Options g_options;
RunCounters g_run;
mcu::TextLine g_line;
mcu::BuiltinModel g_builtin;

void say(const char* a, const char* b = "") { g_line.str(a).str(b).print(); }

int usage(const char* problem, const char* what = "") {
  say("mcu_finetune: ", problem);
  if (what[0] != '\0') say("  at: ", what);
  say("usage: mcu_finetune --method full|static|tinyprop|tinypropv2|budget|none [--ratio R] "
      "[--smin A] [--smax B] [--zeta Z] [--tau T] [--budget F] [--max-macs N] [--lr LR] "
      "[--epochs E] [--steps N] "
      "--train IMAGES LABELS --test IMAGES LABELS [--test-count N] [--flash FILE "
      "[--flash-bytes N] [--checkpoint-every N] [--cut-after-bytes B]] [--resume-from CKPT] "
      "[--freeze N]");
  return kExitUsage;
}

// Returns kExitOk or the exit status for a bad command line.
int parse_options(int argc, char** argv, Options* o) {
  o->train.optimizer.kind = OptimizerKind::kSgd;
  o->train.optimizer.learning_rate = 0.001f;  // the fine-tuning protocol of docs/MCU.md
  o->train.batch_size = 1;
  SparsityConfig& sp = o->train.sparsity;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    const bool has1 = i + 1 < argc, has2 = i + 2 < argc;
    float* float_opt = nullptr;
    if (mcu::equal(a, "--ratio")) float_opt = &sp.ratio;
    else if (mcu::equal(a, "--smin")) float_opt = &sp.s_min;
    else if (mcu::equal(a, "--smax")) float_opt = &sp.s_max;
    else if (mcu::equal(a, "--zeta")) float_opt = &sp.zeta;
    else if (mcu::equal(a, "--tau")) float_opt = &sp.skip_threshold;
    else if (mcu::equal(a, "--budget")) float_opt = &sp.budget;
    else if (mcu::equal(a, "--lr")) float_opt = &o->train.optimizer.learning_rate;
    if (float_opt != nullptr) {
      if (!has1 || !mcu::parse_float(argv[++i], float_opt)) return usage("bad number", a);
    } else if (mcu::equal(a, "--method") && has1) {
      o->method = argv[++i];
      o->fine_tune = !mcu::equal(o->method, "none");
      if (o->fine_tune && !parse_method(o->method, &sp.method)) {
        return usage("unknown method", o->method);
      }
    } else if (mcu::equal(a, "--max-macs") && has1) {
      uint32_t macs = 0;
      if (!mcu::parse_u32(argv[++i], &macs)) return usage("bad count", a);
      sp.max_backward_macs = macs;
    } else if (mcu::equal(a, "--epochs") && has1) {
      if (!mcu::parse_u32(argv[++i], &o->epochs)) return usage("bad count", a);
    } else if (mcu::equal(a, "--steps") && has1) {
      if (!mcu::parse_u32(argv[++i], &o->max_steps)) return usage("bad count", a);
    } else if (mcu::equal(a, "--flash") && has1) {
      o->flash = argv[++i];
    } else if (mcu::equal(a, "--resume-from") && has1) {
      o->resume_from = argv[++i];
    } else if (mcu::equal(a, "--flash-bytes") && has1) {
      if (!mcu::parse_u32(argv[++i], &o->flash_bytes)) return usage("bad count", a);
    } else if (mcu::equal(a, "--checkpoint-every") && has1) {
      if (!mcu::parse_u32(argv[++i], &o->checkpoint_every)) return usage("bad count", a);
    } else if (mcu::equal(a, "--cut-after-bytes") && has1) {
      if (!mcu::parse_u32(argv[++i], &o->cut_after_bytes)) return usage("bad count", a);
    } else if (mcu::equal(a, "--freeze") && has1) {
      if (!mcu::parse_u32(argv[++i], &o->freeze)) return usage("bad count", a);
    } else if (mcu::equal(a, "--test-count") && has1) {
      if (!mcu::parse_u32(argv[++i], &o->test_count)) return usage("bad count", a);
    } else if (mcu::equal(a, "--train") && has2) {
      o->train_images = argv[++i];
      o->train_labels = argv[++i];
    } else if (mcu::equal(a, "--test") && has2) {
      o->test_images = argv[++i];
      o->test_labels = argv[++i];
    } else {
      return usage("unknown or incomplete option", a);
    }
  }
  if (o->fine_tune && o->train_images == nullptr) return usage("--train is required");
  if (o->test_count > 0 && o->test_images == nullptr) return usage("--test is required");
  if (!ok(o->train.validate())) return usage("invalid training configuration");
  if (o->flash == nullptr && (o->checkpoint_every > 0 || o->cut_after_bytes > 0)) {
    return usage("--checkpoint-every and --cut-after-bytes need --flash");
  }
  return kExitOk;
}

// FNV-1a (64 bit) over the bytes of n floats, continuing from h.
uint64_t fnv1a(uint64_t h, const float* p, uint32_t n) {
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(p);
  for (size_t i = 0; i < size_t{n} * sizeof(float); ++i) {
    h ^= bytes[i];
    h *= 0x100000001b3u;
  }
  return h;
}

// The checksum of every parameter in params() order (each layer's w, then b), equal checksums
// meaning equal bits. Walks the layers, so frozen layers read in place count too; when the
// parameters are one block these are exactly its bytes.
uint64_t checksum(const Model& m) {
  uint64_t h = 0xcbf29ce484222325u;
  for (uint32_t i = 0; i < m.n_layers(); ++i) {
    const Layer& l = m.layer(i);
    if (l.n_weights == 0) continue;
    h = fnv1a(h, l.w, l.n_weights);
    h = fnv1a(h, l.b, l.n_bias);
  }
  return h;
}

// Marks the first `count` layers with parameters frozen. False if the model has no more than
// that many (at least one layer must stay trainable).
bool freeze_layers(ModelSpec* spec, uint32_t count) {
  for (uint32_t i = 0; i < spec->n_layers && count > 0; ++i) {
    if (!layer_has_params(spec->layers[i].kind)) continue;
    spec->layers[i].trainable = false;
    --count;
  }
  for (uint32_t i = 0; i < spec->n_layers; ++i) {
    if (layer_has_params(spec->layers[i].kind) && spec->layers[i].trainable) return count == 0;
  }
  return false;
}

// An MLP as "784-32-16-10" (the input size, then every dense layer's units); a model with
// other layers as the host's spec text without the "cnn:" prefix, e.g. "28x28x1-c8k3-p2-d10"
// (conv2d c<filters>k<kernel>, depthwise dw<kernel>, max / avg pooling m<k> / a<k>, global
// average pooling gap, dense d<units>; strides and padding are not shown).
void describe_layers(const ModelSpec& spec) {
  bool mlp = true;
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    const LayerKind k = spec.layers[i].kind;
    mlp = mlp && (k == LayerKind::kDense || layer_is_activation(k));
  }
  if (mlp) {
    g_line.u64(spec.input.size());
    for (uint32_t i = 0; i < spec.n_layers; ++i) {
      if (spec.layers[i].kind == LayerKind::kDense) g_line.str("-").u64(spec.layers[i].units);
    }
    return;
  }
  g_line.u64(spec.input.h).str("x").u64(spec.input.w).str("x").u64(spec.input.c);
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    const LayerSpec& l = spec.layers[i];
    switch (l.kind) {
      case LayerKind::kDense: g_line.str("-d").u64(l.units); break;
      case LayerKind::kConv2D: g_line.str("-c").u64(l.filters).str("k").u64(l.kernel_h); break;
      case LayerKind::kDepthwiseConv2D: g_line.str("-dw").u64(l.kernel_h); break;
      case LayerKind::kMaxPool2D: g_line.str("-m").u64(l.kernel_h); break;
      case LayerKind::kAvgPool2D: g_line.str("-a").u64(l.kernel_h); break;
      case LayerKind::kGlobalAvgPool: g_line.str("-gap"); break;
      default: break;  // activations and flatten (a no-op on HWC memory)
    }
  }
}

void print_plan(const MemoryPlan& plan, size_t arena_bytes) {
  mcu::TextLine& line = g_line;
  line.str("plan");
  for (uint32_t r = 0; r < static_cast<uint32_t>(Region::kCount); ++r) {
    line.key(region_name(static_cast<Region>(r))).u64(plan.of(static_cast<Region>(r)));
  }
  line.key("total").u64(plan.total()).key("arena").u64(arena_bytes);
  line.print();
}

struct Evaluation {
  uint32_t samples = 0, correct = 0;
  double loss_sum = 0.0;
};

bool evaluate(const Options& o, Evaluation* ev) {
  const char* error = "";
  if (!g_stream.open(o.test_images, o.test_labels, g_model.input_size(), &error)) {
    say("mcu_finetune: test data: ", error);
    return false;
  }
  const Layer& last = g_model.layer(g_model.n_layers() - 1);
  uint32_t label = 0;
  while (ev->samples < o.test_count && g_stream.next(g_x, &label)) {
    ev->loss_sum += static_cast<double>(g_trainer.loss(g_x, Target::of_label(label)));
    uint32_t best = 0;
    for (uint32_t j = 1; j < last.out_size; ++j) best = last.out[j] > last.out[best] ? j : best;
    ev->correct += best == label ? 1u : 0u;
    ++ev->samples;
  }
  g_stream.close();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options& o = g_options;
  const int parsed = parse_options(argc, argv, &o);
  if (parsed != kExitOk) return parsed;

  mcu::BuiltinModel& builtin = g_builtin;
  mcu::load_builtin_model(&builtin);
  ModelSpec& spec = builtin.spec;
  if (!ok(spec.validate()) || spec.param_count() != builtin.n_params ||
      spec.input.size() > mcu::kMaxSampleBytes) {
    say("mcu_finetune: the built-in model header is inconsistent");
    return kExitUsage;
  }
  if (o.freeze > 0 && !freeze_layers(&spec, o.freeze)) {
    return usage("--freeze: the model must keep at least one trainable layer");
  }
  g_line.str("mcu_finetune").key("board").str(MCU_BOARD_NAME).key("model");
  describe_layers(spec);
  g_line.key("params").u64(builtin.n_params).key("frozen_layers").u64(o.freeze)
      .key("method").str(o.method).print();

  // Memory: bind model and trainer in the static arena the link script leaves. The arena
  // records bytes per region as it hands them out, which is the plan (Trainer::plan would give
  // the same numbers but builds a second Model and Trainer on the stack: 4 KB we do not have).
  uint8_t* arena_memory = nullptr;
  size_t arena_bytes = 0;
  tp_port_arena(&arena_memory, &arena_bytes);
  Arena arena(arena_memory, arena_bytes);
  // Frozen layers read their weights from the header in flash; otherwise every parameter is
  // copied into the arena (below).
  Status bound = o.freeze > 0
                     ? g_model.bind_pretrained(spec, arena, builtin.params, FrozenParams::kInPlace)
                     : g_model.bind(spec, arena);
  if (ok(bound)) bound = g_trainer.bind(g_model, o.train, arena);
  const MemoryPlan& plan = arena.plan();
  print_plan(plan, arena_bytes);
  if (!ok(bound)) {
    say("mcu_finetune: binding the arena failed: ", status_name(bound));
    return kExitMemory;
  }
  if (o.freeze == 0) {
    memcpy(g_model.params(), builtin.params, size_t{builtin.n_params} * sizeof(float));
  }

  // A checkpoint, if there is one, replaces the built-in starting point.
  mcu::CheckpointOptions ck;
  ck.flash = o.flash;
  ck.flash_bytes = o.flash_bytes;
  ck.cut_after_bytes = o.cut_after_bytes;
  ck.resume_from = o.resume_from;
  uint64_t position = 0;  // samples of the run trained so far (over every boot)
  const int restored = mcu::restore_training(ck, g_trainer, &position, g_line);
  if (restored != kExitOk) return restored;

  // Fine-tuning, one sample at a time (SGD, batch size 1: fused row updates).
  RunCounters& run = g_run;
  StepCounters step;
  double train_loss = 0.0;
  uint64_t most_step_macs = 0;  // the most backward MACs of one step, against the worst case
  if (o.fine_tune) {
    const char* error = "";
    if (!g_stream.open(o.train_images, o.train_labels, g_model.input_size(), &error)) {
      say("mcu_finetune: fine-tuning data: ", error);
      return kExitData;
    }
    uint32_t label = 0;
    // Where a resumed run stands: epoch position / count, then position % count samples in.
    const uint32_t count = g_stream.count();
    uint32_t epoch = count > 0 ? static_cast<uint32_t>(position / count) : 0;
    for (uint64_t skip = count > 0 ? position % count : 0; skip > 0; --skip) {
      if (!g_stream.next(g_x, &label)) return kExitData;
    }
    for (bool first = true; epoch < o.epochs && position < o.max_steps; ++epoch, first = false) {
      if (!first && !g_stream.rewind()) return kExitData;
      while (position < o.max_steps && g_stream.next(g_x, &label)) {
        tp_mark_step_begin();
        g_trainer.train_sample(g_x, Target::of_label(label), &step);
        tp_mark_step_end();
        run.add(step);
        if (step.backward_macs > most_step_macs) most_step_macs = step.backward_macs;
        train_loss += static_cast<double>(g_trainer.last_loss());
        ++position;
        if (o.checkpoint_every > 0 && position % o.checkpoint_every == 0 &&
            !mcu::save_training(g_trainer, position, g_line)) {
          return mcu::kExitCheckpoint;
        }
      }
    }
    g_stream.close();
  }
  const uint64_t sum = checksum(g_model);

  Evaluation ev;
  if (o.test_count > 0 && !evaluate(o, &ev)) return kExitData;

  mcu::TextLine& line = g_line;
  line.str("result").key("board").str(MCU_BOARD_NAME).key("method").str(o.method)
      .key("steps").u64(run.steps).key("position").u64(position).key("skipped").u64(run.skipped)
      .key("train_loss").fixed(run.steps > 0 ? train_loss / static_cast<double>(run.steps) : 0.0, 5)
      .key("test").u64(ev.samples)
      .key("acc").fixed(ev.samples > 0 ? 100.0 * ev.correct / ev.samples : 0.0, 2)
      .key("test_loss").fixed(ev.samples > 0 ? ev.loss_sum / ev.samples : 0.0, 5)
      .key("checksum").hex64(sum);
  line.print();
  // The MACs counted (every input, the basis of every ratio) and beside them the MACs actually
  // done (exact-zero inputs skipped): done <= counted.
  line.str("counters").key("forward_macs").u64(run.forward_macs)
      .key("forward_macs_done").u64(run.forward_macs_done)
      .key("backward_macs").u64(run.backward_macs)
      .key("backward_macs_done").u64(run.backward_macs_done)
      .key("backward_macs_full").u64(run.backward_macs_full)
      .key("selection_cmps").u64(run.selection_comparisons)
      .key("updated_params").u64(run.updated_params).key("kn");
  for (uint32_t i = 0, first = 1; i < g_model.n_layers(); ++i) {
    if (!layer_has_params(g_model.layer(i).spec.kind)) continue;
    if (first == 0) line.str("/");
    line.fixed(run.mean_ratio(i), 4);
    first = 0;
  }
  line.print();
  // The per-step bound, checked on the device: no step above the worst case known at bind time.
  const uint64_t worst = g_trainer.worst_case_backward_macs();
  line.str("bound").key("worst_case_backward_macs").u64(worst)
      .key("most_step_backward_macs").u64(most_step_macs)
      .key("full_backward_macs").u64(g_trainer.full_backward_macs());
  line.print();
  if (most_step_macs > worst) {
    say("mcu_finetune: a step exceeded the worst case of its configuration");
    return kExitBound;
  }
  const size_t stack_used = tp_port_stack_used(), stack_reserved = tp_port_stack_reserved();
  line.str("memory").key("arena").u64(arena_bytes).key("planned").u64(plan.total())
      .key("stack_reserved").u64(stack_reserved).key("stack_used").u64(stack_used)
      .key("spare").u64((arena_bytes - plan.total()) + (stack_reserved - stack_used));
  line.print();
  if (stack_reserved > 0 && stack_used >= stack_reserved) {
    say("mcu_finetune: stack overflow (the painted stack is used up to its limit)");
    return kExitMemory;
  }
  return kExitOk;
}
