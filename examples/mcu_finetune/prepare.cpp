// Host-side preparation for the firmware (examples/mcu_finetune/firmware.cpp):
//   1. splits the MNIST training set with a seeded shuffle (tinyprop::Rng): the first
//      --pretrain samples for pretraining on the host, the next --finetune for the device;
//   2. pretrains the MLP on the host with the core library (full backprop, Adam, mini-batches);
//   3. writes the model as a .tpm model file and as the C header `tinyprop export` writes
//      (the same exporter, tools/formats/export_c.cpp; symbol prefix mcu_model), and the device's
//      fine-tuning stream as IDX files in the order the device reads them.
//
//   mcu_prepare --arch 784-32-16-10 --data data/mnist --out build/mcu/data/small
//               [--pretrain 10000] [--finetune 10000] [--epochs 5] [--batch 32] [--lr 1e-3]
//               [--seed 1] [--pool P] [--classes C]
//
// --arch is an MLP's layer sizes (784-32-16-10: ReLU between dense layers) or any model spec
// text of the tinyprop command (docs/MODEL_FORMAT.md), e.g. cnn:28x28x1-c8k3-p2-c16k3-p2-d10;
// its input must be the (pooled) image and its outputs at least --classes.
//
// --pool P averages every P x P block of pixels (rounded to the nearest byte): 28 x 28 images
// become (28/P) x (28/P), e.g. 7 x 7 = 49 inputs with P = 4, for small parts. --classes C keeps
// only the digits 0 .. C-1 (training and test sets alike), e.g. 4 classes for a 16-32-16-4 MLP.
//
// Outputs in --out: pretrained.tpm, model.h, finetune-{images-idx3,labels-idx1}-ubyte and the
// test set as the device reads it, test-{images-idx3,labels-idx1}-ubyte (pooled and filtered).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "formats/model_file.h"
#include "tinyprop/tinyprop.h"

using namespace tinyprop;

namespace {

struct Idx {
  std::vector<uint8_t> pixels;  // [count, dim]
  std::vector<uint8_t> labels;  // [count]
  uint32_t count = 0, dim = 0, rows = 0, cols = 0;
};

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path + " (run scripts/get-data.sh)");
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), {});
}

Idx load_idx(const std::string& images, const std::string& labels) {
  const std::vector<uint8_t> im = read_file(images), lb = read_file(labels);
  if (im.size() < 16 || lb.size() < 8 || be32(im.data()) != 0x803 || be32(lb.data()) != 0x801) {
    throw std::runtime_error("not an IDX image/label pair: " + images);
  }
  Idx d;
  d.count = be32(im.data() + 4);
  d.rows = be32(im.data() + 8);
  d.cols = be32(im.data() + 12);
  d.dim = d.rows * d.cols;
  if (be32(lb.data() + 4) != d.count || im.size() != 16 + size_t{d.count} * d.dim ||
      lb.size() != 8 + size_t{d.count}) {
    throw std::runtime_error("IDX sizes do not match: " + images);
  }
  d.pixels.assign(im.begin() + 16, im.end());
  d.labels.assign(lb.begin() + 8, lb.end());
  return d;
}

// Average pooling over pool x pool blocks (rounded to nearest), then only labels < classes.
Idx shrink(const Idx& d, uint32_t pool, uint32_t classes) {
  if (pool == 0 || d.rows % pool != 0 || d.cols % pool != 0) {
    throw std::runtime_error("--pool must divide the image size (28: 1, 2, 4, 7, 14)");
  }
  Idx out;
  out.rows = d.rows / pool;
  out.cols = d.cols / pool;
  out.dim = out.rows * out.cols;
  const uint32_t area = pool * pool;
  for (uint32_t i = 0; i < d.count; ++i) {
    if (d.labels[i] >= classes) continue;
    const uint8_t* img = &d.pixels[size_t{i} * d.dim];
    for (uint32_t r = 0; r < out.rows; ++r) {
      for (uint32_t c = 0; c < out.cols; ++c) {
        uint32_t sum = 0;
        for (uint32_t dr = 0; dr < pool; ++dr) {
          for (uint32_t dc = 0; dc < pool; ++dc) sum += img[(r * pool + dr) * d.cols + c * pool + dc];
        }
        out.pixels.push_back(static_cast<uint8_t>((sum + area / 2) / area));
      }
    }
    out.labels.push_back(d.labels[i]);
    ++out.count;
  }
  return out;
}

// The same conversion as the firmware (idx_stream.cpp): x = byte / 255.
void to_float(const Idx& d, uint32_t i, float* x) {
  for (uint32_t j = 0; j < d.dim; ++j) x[j] = static_cast<float>(d.pixels[size_t{i} * d.dim + j]) / 255.0f;
}

void put_be32(std::ofstream& f, uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  f.write(b, 4);
}

void write_idx(const std::string& dir, const std::string& name, const Idx& d,
               const std::vector<uint32_t>& order) {
  std::ofstream im(dir + "/" + name + "-images-idx3-ubyte", std::ios::binary);
  std::ofstream lb(dir + "/" + name + "-labels-idx1-ubyte", std::ios::binary);
  put_be32(im, 0x803);
  put_be32(im, static_cast<uint32_t>(order.size()));
  put_be32(im, d.rows);
  put_be32(im, d.cols);
  put_be32(lb, 0x801);
  put_be32(lb, static_cast<uint32_t>(order.size()));
  for (uint32_t i : order) {
    im.write(reinterpret_cast<const char*>(&d.pixels[size_t{i} * d.dim]), d.dim);
    lb.put(static_cast<char>(d.labels[i]));
  }
  if (!im || !lb) throw std::runtime_error("cannot write the IDX files in " + dir);
}

float accuracy(Model& m, const Idx& d, std::vector<float>& x) {
  uint32_t hit = 0;
  for (uint32_t i = 0; i < d.count; ++i) {
    to_float(d, i, x.data());
    hit += m.predict(x.data()) == d.labels[i] ? 1u : 0u;
  }
  return 100.0f * static_cast<float>(hit) / static_cast<float>(d.count);
}

// "784-32-16-10": an MLP (the model spec text "mlp:784-32-16-10"); anything with a ':'
// ("cnn:...", "mlp:..."): a model spec text as the tinyprop command reads it.
ModelSpec parse_arch(const std::string& arch) {
  return host::parse_model_spec(arch.find(':') != std::string::npos ? arch : "mlp:" + arch);
}

}  // namespace

int main(int argc, char** argv) try {
  std::string arch = "784-32-16-10", data = "data/mnist", out;
  uint32_t n_pre = 10000, n_fine = 10000, epochs = 5, batch = 32, pool = 1, classes = 10;
  uint64_t seed = 1;
  float lr = 1e-3f;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--arch") arch = v;
    else if (k == "--data") data = v;
    else if (k == "--out") out = v;
    else if (k == "--pretrain") n_pre = static_cast<uint32_t>(std::stoul(v));
    else if (k == "--finetune") n_fine = static_cast<uint32_t>(std::stoul(v));
    else if (k == "--epochs") epochs = static_cast<uint32_t>(std::stoul(v));
    else if (k == "--batch") batch = static_cast<uint32_t>(std::stoul(v));
    else if (k == "--lr") lr = std::stof(v);
    else if (k == "--seed") seed = std::stoull(v);
    else if (k == "--pool") pool = static_cast<uint32_t>(std::stoul(v));
    else if (k == "--classes") classes = static_cast<uint32_t>(std::stoul(v));
    else throw std::runtime_error("unknown option " + k);
  }
  if (argc % 2 == 0) throw std::runtime_error("every option takes one value");
  if (classes < 1 || classes > 10) throw std::runtime_error("--classes must be 1 to 10");
  if (out.empty()) throw std::runtime_error("--out DIR is required");

  const Idx train = shrink(load_idx(data + "/train-images-idx3-ubyte", data + "/train-labels-idx1-ubyte"), pool, classes);
  const Idx test = shrink(load_idx(data + "/t10k-images-idx3-ubyte", data + "/t10k-labels-idx1-ubyte"), pool, classes);
  if (size_t{n_pre} + n_fine > train.count) throw std::runtime_error("split larger than the data");

  std::vector<uint32_t> order(train.count);
  for (uint32_t i = 0; i < train.count; ++i) order[i] = i;
  Rng rng(seed);
  rng.shuffle(order.data(), train.count);
  std::vector<uint32_t> pre(order.begin(), order.begin() + n_pre);
  const std::vector<uint32_t> fine(order.begin() + n_pre, order.begin() + n_pre + n_fine);

  const ModelSpec spec = parse_arch(arch);
  if (spec.input.size() != train.dim || spec.output_shape().size() < classes) {
    throw std::runtime_error("--arch " + arch + " needs " + std::to_string(train.dim) +
                             " inputs and at least " + std::to_string(classes) + " outputs");
  }
  TrainConfig cfg;
  cfg.optimizer.kind = OptimizerKind::kAdam;
  cfg.optimizer.learning_rate = lr;
  cfg.batch_size = batch;
  MemoryPlan plan;
  if (!ok(Trainer::plan(spec, cfg, &plan))) throw std::runtime_error("cannot plan");
  std::vector<uint8_t> arena_store(plan.total() + kArenaAlignment);
  void* arena = arena_store.data() + (kArenaAlignment - reinterpret_cast<uintptr_t>(arena_store.data()) % kArenaAlignment) % kArenaAlignment;
  Model model;
  Trainer trainer;
  if (!ok(bind_training(spec, cfg, arena, plan.total(), &model, &trainer))) {
    throw std::runtime_error("cannot bind");
  }
  model.init_params(rng);
  std::vector<float> x(spec.input.size());
  for (uint32_t e = 0; e < epochs; ++e) {
    rng.shuffle(pre.data(), n_pre);
    for (uint32_t i : pre) {
      to_float(train, i, x.data());
      trainer.train_sample(x.data(), Target::of_label(train.labels[i]), nullptr);
    }
    trainer.flush(nullptr);
  }
  const float acc = accuracy(model, test, x);

  char note[256];
  snprintf(note, sizeof note,
           "pretrained on %u MNIST training images (%ux%u, digits 0-%u; seed %llu), Adam lr %g "
           "batch %u, %u epochs; test accuracy %.2f%%", n_pre, train.rows, train.cols, classes - 1,
           static_cast<unsigned long long>(seed), static_cast<double>(lr), batch, epochs,
           static_cast<double>(acc));
  host::ModelFile file;
  file.spec = spec;
  file.params.assign(model.params(), model.params() + model.param_count());
  file.metadata = std::string("{\"tool\": \"mcu_prepare\", \"note\": \"") + note + "\"}";
  host::save_model(out + "/pretrained.tpm", file);
  host::export_c_header(out + "/model.h", file, "mcu_model", "mcu_prepare: " + std::string(note));
  write_idx(out, "finetune", train, fine);
  std::vector<uint32_t> all_test(test.count);
  for (uint32_t i = 0; i < test.count; ++i) all_test[i] = i;
  write_idx(out, "test", test, all_test);
  printf("mcu_prepare: %s -> %s/model.h; fine-tuning stream of %u samples; %s\n", arch.c_str(),
         out.c_str(), n_fine, note);
  return 0;
} catch (const std::exception& e) {
  fprintf(stderr, "mcu_prepare: %s\n", e.what());
  return 1;
}
