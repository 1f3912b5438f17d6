// Models of the DCASE pipeline, built with the core ModelSpec, and the clip anomaly scores.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <memory>
#include <vector>

#include "tinyprop/model.h"
#include "tinyprop/spec.h"
#include "tinyprop/train_config.h"
#include "tinyprop/trainer.h"

namespace tinyprop::host::audio {

// Hidden sizes of the dcase-ae autoencoder: 640-128-128-128-8-128-128-128-640. (The
// DCASE2020 baseline has four 128-unit layers on each side and BatchNorm after every dense
// layer; the core has no BatchNorm, so inputs are standardised instead: FeatureNorm.)
const std::vector<uint32_t>& dcase_autoencoder_hidden();

// Dense autoencoder: Dense(h) + ReLU for every hidden size, then a linear Dense(input_dim);
// mean squared error against the input. Throws host::Error if the spec is invalid.
ModelSpec make_autoencoder_spec(uint32_t input_dim,
                                const std::vector<uint32_t>& hidden = dcase_autoencoder_hidden());

// Binary classifier (the authors' own anomaly example is a small sigmoid network): Dense(h) +
// ReLU per hidden size, Dense(1) + Sigmoid, binary cross-entropy; output = P(anomalous).
ModelSpec make_binary_classifier_spec(uint32_t input_dim,
                                      const std::vector<uint32_t>& hidden = {128, 64});

// Clip anomaly score of an autoencoder: the mean over the clip's vectors of the vector's mean
// squared reconstruction error, (1 / n) sum_t (1 / D) sum_i (x_ti - AE(x_t)_i)^2 (the DCASE2020
// baseline's score). vectors: [n, D] with D = the model's input size.
double reconstruction_score(Model& model, const float* vectors, size_t n);

// Clip anomaly score of the binary classifier: mean over the vectors of P(anomalous).
double classifier_score(Model& model, const float* vectors, size_t n);

// Per-dimension standardisation x' = (x - mean) / std, fitted on training vectors. The
// statistics are pooled per mel band over the stacked frames (every frame position of a band
// gets the same mean and std), so shifting a clip by one frame changes nothing. The baseline
// feeds raw dB values to BatchNorm layers; a plain dense stack needs inputs near unit scale.
struct FeatureNorm {
  std::vector<float> mean;     // [dim]
  std::vector<float> inv_std;  // [dim]

  // vectors [n, n_mels * frames]. std floors at 1e-3 dB (constant bands).
  static FeatureNorm fit(const std::vector<const std::vector<float>*>& sets, uint32_t n_mels,
                         uint32_t frames);
  void apply(std::vector<float>* vectors) const;
};

// A model and a trainer bound on one heap arena of exactly the planned size. Not movable: the
// trainer points at the model.
class BoundNetwork {
 public:
  BoundNetwork(const ModelSpec& spec, const TrainConfig& config);  // throws host::Error
  BoundNetwork(const BoundNetwork&) = delete;
  BoundNetwork& operator=(const BoundNetwork&) = delete;

  Model& model() { return model_; }
  Trainer& trainer() { return trainer_; }
  const MemoryPlan& plan() const { return plan_; }
  // Copies parameters in (a float array of model().param_count()).
  void load_params(const std::vector<float>& params);
  std::vector<float> params() const;

 private:
  struct AlignedFree {
    void operator()(uint8_t* p) const;
  };
  MemoryPlan plan_;
  std::unique_ptr<uint8_t, AlignedFree> arena_;
  Model model_;
  Trainer trainer_;
};

}  // namespace tinyprop::host::audio
