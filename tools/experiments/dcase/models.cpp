#include "experiments/dcase/models.h"

#include <math.h>
#include <string.h>

#include <new>
#include <string>

#include "util/error.h"

namespace tinyprop::host::audio {
namespace {

void check(Status s, const char* what) {
  if (!ok(s)) throw Error(std::string(what) + ": " + status_name(s));
}

// input -> (dense h, ReLU) for each h in hidden -> dense `outputs`, with `loss`.
ModelSpec relu_mlp_spec(uint32_t input_dim, const std::vector<uint32_t>& hidden, uint32_t outputs,
                        LossKind loss, const char* what) {
  ModelSpec spec;
  spec.input = Shape{1, 1, input_dim};
  spec.loss = loss;
  for (uint32_t h : hidden) {
    check(spec.add_dense(h), what);
    check(spec.add_activation(LayerKind::kReLU), what);
  }
  check(spec.add_dense(outputs), what);
  return spec;
}

}  // namespace

const std::vector<uint32_t>& dcase_autoencoder_hidden() {
  static const std::vector<uint32_t> hidden = {128, 128, 128, 8, 128, 128, 128};
  return hidden;
}

ModelSpec make_autoencoder_spec(uint32_t input_dim, const std::vector<uint32_t>& hidden) {
  ModelSpec spec = relu_mlp_spec(input_dim, hidden, input_dim, LossKind::kMeanSquaredError,
                                 "autoencoder spec");
  check(spec.validate(), "autoencoder spec");
  return spec;
}

ModelSpec make_binary_classifier_spec(uint32_t input_dim, const std::vector<uint32_t>& hidden) {
  ModelSpec spec =
      relu_mlp_spec(input_dim, hidden, 1, LossKind::kBinaryCrossEntropy, "classifier spec");
  check(spec.add_activation(LayerKind::kSigmoid), "classifier spec");
  check(spec.validate(), "classifier spec");
  return spec;
}

double reconstruction_score(Model& model, const float* vectors, size_t n) {
  const uint32_t dim = model.input_size();
  if (n == 0) throw Error("reconstruction score of a clip without vectors");
  if (model.output_size() != dim) throw Error("reconstruction score needs an autoencoder");
  double total = 0.0;
  for (size_t t = 0; t < n; ++t) {
    const float* x = vectors + t * dim;
    const float* y = model.forward(x);
    double sq = 0.0;
    for (uint32_t i = 0; i < dim; ++i) {
      const double e = static_cast<double>(x[i]) - y[i];
      sq += e * e;
    }
    total += sq / dim;
  }
  return total / static_cast<double>(n);
}

double classifier_score(Model& model, const float* vectors, size_t n) {
  if (n == 0) throw Error("classifier score of a clip without vectors");
  if (model.output_size() != 1) throw Error("classifier score needs a one-output model");
  double total = 0.0;
  for (size_t t = 0; t < n; ++t) total += model.forward(vectors + t * model.input_size())[0];
  return total / static_cast<double>(n);
}

FeatureNorm FeatureNorm::fit(const std::vector<const std::vector<float>*>& sets, uint32_t n_mels,
                             uint32_t frames) {
  const size_t dim = static_cast<size_t>(n_mels) * frames;
  std::vector<double> sum(n_mels, 0.0), sum_sq(n_mels, 0.0);
  double count = 0.0;
  for (const std::vector<float>* set : sets) {
    if (set->size() % dim != 0) throw Error("feature normalisation: vector size mismatch");
    for (size_t i = 0; i < set->size(); ++i) {
      const double v = (*set)[i];
      sum[i % n_mels] += v;
      sum_sq[i % n_mels] += v * v;
    }
    count += static_cast<double>(set->size() / n_mels);
  }
  if (count == 0.0) throw Error("feature normalisation: no training vectors");
  FeatureNorm norm;
  norm.mean.resize(dim);
  norm.inv_std.resize(dim);
  for (uint32_t b = 0; b < n_mels; ++b) {
    const double mean = sum[b] / count;
    const double var = fmax(sum_sq[b] / count - mean * mean, 0.0);
    const double sd = fmax(sqrt(var), 1e-3);
    for (uint32_t f = 0; f < frames; ++f) {
      norm.mean[f * n_mels + b] = static_cast<float>(mean);
      norm.inv_std[f * n_mels + b] = static_cast<float>(1.0 / sd);
    }
  }
  return norm;
}

void FeatureNorm::apply(std::vector<float>* vectors) const {
  const size_t dim = mean.size();
  if (dim == 0 || vectors->size() % dim != 0) throw Error("feature normalisation: size mismatch");
  for (size_t i = 0; i < vectors->size(); ++i) {
    (*vectors)[i] = ((*vectors)[i] - mean[i % dim]) * inv_std[i % dim];
  }
}

void BoundNetwork::AlignedFree::operator()(uint8_t* p) const {
  ::operator delete(p, std::align_val_t(kArenaAlignment));
}

BoundNetwork::BoundNetwork(const ModelSpec& spec, const TrainConfig& config) {
  check(Trainer::plan(spec, config, &plan_), "planning the network");
  const size_t bytes = plan_.total();
  arena_.reset(static_cast<uint8_t*>(::operator new(bytes, std::align_val_t(kArenaAlignment))));
  check(bind_training(spec, config, arena_.get(), bytes, &model_, &trainer_), "binding the network");
}

void BoundNetwork::load_params(const std::vector<float>& params) {
  if (params.size() != model_.param_count()) throw Error("parameter count mismatch");
  memcpy(model_.params(), params.data(), params.size() * sizeof(float));
}

std::vector<float> BoundNetwork::params() const {
  const float* p = model_.params();
  return std::vector<float>(p, p + model_.param_count());
}

}  // namespace tinyprop::host::audio
