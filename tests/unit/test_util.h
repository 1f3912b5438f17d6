// Shared helpers of the core's unit tests: an aligned arena owner, model builders, a bound
// model + trainer pair, generated data, and bit-level comparisons. Host only (STL allowed).
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <memory>
#include <ostream>
#include <vector>

#include "tinyprop/tinyprop.h"

namespace tinyprop_test {

using namespace tinyprop;  // NOLINT: test code, keeps the assertions readable

// A heap block aligned to kArenaAlignment (vector<Block> gives 16-byte alignment on the host).
struct alignas(kArenaAlignment) ArenaBlock {
  unsigned char bytes[kArenaAlignment];
};

class ArenaBuffer {
 public:
  explicit ArenaBuffer(size_t bytes)
      : blocks_((bytes + kArenaAlignment - 1) / kArenaAlignment + 1), bytes_(bytes) {}
  void* data() { return blocks_.data(); }
  size_t size() const { return bytes_; }

 private:
  std::vector<ArenaBlock> blocks_;  // one spare block so a misaligned view still fits
  size_t bytes_;
};

// An MLP "sizes[0]-...-sizes[n-1]" with `hidden` activations between dense layers, an optional
// activation after the last dense layer (e.g. Sigmoid for binary cross-entropy) and a loss.
inline ModelSpec mlp_spec(std::initializer_list<uint32_t> sizes, LayerKind hidden,
                          LossKind loss = LossKind::kSoftmaxCrossEntropy,
                          bool final_activation = false, LayerKind final_kind = LayerKind::kSigmoid,
                          float alpha = 0.01f) {
  ModelSpec spec;
  const std::vector<uint32_t> s(sizes);
  spec.input = Shape{1, 1, s[0]};
  spec.loss = loss;
  for (size_t i = 1; i < s.size(); ++i) {
    (void)spec.add_dense(s[i]);
    if (i + 1 < s.size()) (void)spec.add_activation(hidden, alpha);
  }
  if (final_activation) (void)spec.add_activation(final_kind, alpha);
  return spec;
}

inline TrainConfig make_config(Method method, OptimizerKind opt = OptimizerKind::kSgd,
                               uint32_t batch = 1, float lr = 0.05f, float momentum = 0.0f) {
  TrainConfig c;
  c.optimizer.kind = opt;
  c.optimizer.learning_rate = lr;
  c.optimizer.momentum = momentum;
  c.sparsity.method = method;
  c.batch_size = batch;
  return c;
}

// An optimizer case of the parameterised trainer tests (name, optimizer, rate, momentum, batch).
struct TrainCase {
  const char* name;
  OptimizerKind kind;
  float lr;
  float momentum;
  uint32_t batch;
  TrainConfig config(Method method) const { return make_config(method, kind, batch, lr, momentum); }
};
inline void PrintTo(const TrainCase& c, std::ostream* os) { *os << c.name; }

// A model and trainer bound to one arena of exactly the planned size.
struct Bound {
  std::unique_ptr<ArenaBuffer> arena;
  Model model;
  Trainer trainer;
  Status status = Status::kOk;
  MemoryPlan plan;

  Bound(const ModelSpec& spec, const TrainConfig& config, uint64_t seed = 7) {
    status = Trainer::plan(spec, config, &plan);
    if (!ok(status)) return;
    arena.reset(new ArenaBuffer(plan.total()));
    status = bind_training(spec, config, arena->data(), plan.total(), &model, &trainer);
    if (!ok(status)) return;
    Rng rng(seed);
    model.init_params(rng);
  }
};

// Gaussian blobs: `classes` centres drawn in [-2, 2]^dim from `seed`, samples = centre +
// sigma * N(0, 1). A non-zero sample_seed draws other samples around the same centres (a test
// set for the training set made with the same seed).
struct Dataset {
  uint32_t dim = 0;
  std::vector<float> x;        // [n, dim]
  std::vector<uint32_t> y;     // [n]
  uint32_t size() const { return static_cast<uint32_t>(y.size()); }
  const float* row(uint32_t i) const { return x.data() + static_cast<size_t>(i) * dim; }
};

inline Dataset make_blobs(uint32_t n, uint32_t dim, uint32_t classes, float sigma,
                          uint64_t seed, uint64_t sample_seed = 0) {
  Rng rng(seed);
  std::vector<float> centres(static_cast<size_t>(classes) * dim);
  for (float& c : centres) c = rng.uniform(-2.0f, 2.0f);
  if (sample_seed != 0) rng.reseed(sample_seed);
  Dataset d;
  d.dim = dim;
  d.x.resize(static_cast<size_t>(n) * dim);
  d.y.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t label = rng.uniform_below(classes);
    d.y[i] = label;
    for (uint32_t j = 0; j < dim; ++j) {
      d.x[static_cast<size_t>(i) * dim + j] = centres[label * dim + j] + sigma * rng.normal();
    }
  }
  return d;
}

// Non-zero biases in [lo, hi], so that gradient checks exercise the bias path realistically.
inline void randomize_biases(Model& m, Rng& rng, float lo = -0.3f, float hi = 0.3f) {
  for (uint32_t i = 0; i < m.n_layers(); ++i) {
    for (uint32_t j = 0; j < m.layer(i).n_bias; ++j) m.layer(i).b[j] = rng.uniform(lo, hi);
  }
}

inline std::vector<float> random_vector(Rng& rng, size_t n, float lo, float hi) {
  std::vector<float> v(n);
  for (float& f : v) f = rng.uniform(lo, hi);
  return v;
}

// The bit pattern of v (tells -0 from +0 and one NaN from another).
inline uint32_t bits_of(float v) {
  uint32_t b;
  memcpy(&b, &v, sizeof b);
  return b;
}

inline bool same_bits(const float* a, const float* b, size_t n) {
  return memcmp(a, b, n * sizeof(float)) == 0;
}

inline std::vector<float> copy_of(const float* p, size_t n) {
  return p == nullptr ? std::vector<float>() : std::vector<float>(p, p + n);
}

// False for a null buffer (e.g. the Adam moments of an SGD trainer).
inline bool has_non_finite(const float* p, size_t n) {
  if (p == nullptr) return false;
  for (size_t i = 0; i < n; ++i) {
    if (!(p[i] == p[i]) || p[i] > 3.0e38f || p[i] < -3.0e38f) return true;
  }
  return false;
}

// Brute-force top-k of |v|: sort by magnitude descending, ties to the lower index.
inline std::vector<uint32_t> brute_top_k(const float* v, uint32_t n, uint32_t k) {
  std::vector<uint32_t> order(n);
  for (uint32_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [v](uint32_t a, uint32_t b) {
    const float fa = v[a] < 0 ? -v[a] : v[a];
    const float fb = v[b] < 0 ? -v[b] : v[b];
    return fa > fb;  // stable: equal magnitudes keep index order, so the lower index wins
  });
  order.resize(k);
  std::sort(order.begin(), order.end());
  return order;
}

// k = clamp(floor(ratio * n), 1, n) in double (the spec's rule, independent of k_for_ratio).
inline uint32_t spec_k(double ratio, uint32_t n) {
  double kf = ratio * static_cast<double>(n);
  if (kf < 1.0) return 1;
  if (kf > n) return n;
  // Ratios such as 0.7 are meant as decimals: absorb the float representation error.
  return static_cast<uint32_t>(kf + 1e-5);
}

}  // namespace tinyprop_test
