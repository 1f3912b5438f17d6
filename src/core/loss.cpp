#include "tinyprop/loss.h"

#include "tinyprop/kernels/math.h"

namespace tinyprop {
namespace {

inline float target_at(const float* values, uint32_t label, uint32_t i) {
  if (values != nullptr) return values[i];
  return i == label ? 1.0f : 0.0f;
}

// Keeps log() finite for probabilities that reached 0 or 1 in float.
constexpr float kProbEps = 1e-7f;

}  // namespace

float softmax_exponentials(const float* z, uint32_t n, float* e, float* zmax) {
  float m = z[0];
  for (uint32_t i = 1; i < n; ++i) m = z[i] > m ? z[i] : m;
  float sum = 0.0f;
  for (uint32_t i = 0; i < n; ++i) {
    e[i] = math::exp(z[i] - m);
    sum += e[i];
  }
  *zmax = m;
  return sum;
}

float loss_forward_backward(LossKind kind, const float* out, uint32_t n,
                            const float* target_values, uint32_t label, float* delta) {
  switch (kind) {
    case LossKind::kSoftmaxCrossEntropy: {
      // p = softmax(z) computed as exp(z - max) / sum, L = -sum y log p = logsumexp - sum y z
      float zmax = 0.0f;
      const float sum = softmax_exponentials(out, n, delta, &zmax);
      const float log_sum = math::log(sum);
      const float inv = 1.0f / sum;
      float loss = 0.0f;
      for (uint32_t i = 0; i < n; ++i) {
        const float y = target_at(target_values, label, i);
        if (y != 0.0f) loss -= y * (out[i] - zmax - log_sum);
        delta[i] = delta[i] * inv - y;
      }
      return loss;
    }
    case LossKind::kBinaryCrossEntropy: {
      // L = -(1/n) sum t log p + (1 - t) log(1 - p);  dL/dp = (p - t) / (p (1 - p) n)
      float loss = 0.0f;
      const float inv_n = 1.0f / static_cast<float>(n);
      for (uint32_t i = 0; i < n; ++i) {
        float p = out[i];
        p = p < kProbEps ? kProbEps : (p > 1.0f - kProbEps ? 1.0f - kProbEps : p);
        const float t = target_at(target_values, label, i);
        loss -= t * math::log(p) + (1.0f - t) * math::log(1.0f - p);
        delta[i] = (p - t) / (p * (1.0f - p)) * inv_n;
      }
      return loss * inv_n;
    }
    case LossKind::kMeanSquaredError: {
      // L = (1/n) sum (o - t)^2;  dL/do = 2 (o - t) / n
      float loss = 0.0f;
      const float inv_n = 1.0f / static_cast<float>(n);
      for (uint32_t i = 0; i < n; ++i) {
        const float e = out[i] - target_at(target_values, label, i);
        loss += e * e;
        delta[i] = 2.0f * e * inv_n;
      }
      return loss * inv_n;
    }
  }
  return 0.0f;
}

}  // namespace tinyprop
