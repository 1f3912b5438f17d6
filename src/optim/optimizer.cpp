#include "tinyprop/optimizer.h"

#include <math.h>

#include "tinyprop/kernels/dense.h"

namespace tinyprop {

uint32_t optimizer_state_per_param(const OptimizerConfig& cfg) {
  if (cfg.kind == OptimizerKind::kAdam) return 2;
  return cfg.momentum > 0.0f ? 1 : 0;
}

// g = scale * src.
// SGD:           w -= lr g
// SGD momentum:  m = mu m + g;  w -= lr m            (PyTorch's form, no dampening)
// Adam:          m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//                w -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps)   (PyTorch's form)
void optimizer_update(const OptimizerConfig& cfg, const OptimizerStep& step, float* w, float* m,
                      float* v, const float* src, float scale, uint32_t n) {
  const float lr = step.lr;
  if (cfg.kind == OptimizerKind::kSgd) {
    if (m == nullptr) {
      axpy(w, -lr * scale, src, n);  // w += (-lr scale) src: the vectorized kernel, same bits
      return;
    }
    const float mu = cfg.momentum;
    for (uint32_t i = 0; i < n; ++i) {
      m[i] = mu * m[i] + scale * src[i];
      w[i] -= lr * m[i];
    }
    return;
  }
  const float b1 = cfg.beta1, b2 = cfg.beta2;
  const float step_size = lr / step.bias_correction1;
  const float inv_sqrt_bc2 = 1.0f / sqrtf(step.bias_correction2);
  for (uint32_t i = 0; i < n; ++i) {
    const float g = scale * src[i];
    m[i] = b1 * m[i] + (1.0f - b1) * g;
    v[i] = b2 * v[i] + (1.0f - b2) * g * g;
    w[i] -= step_size * m[i] / (sqrtf(v[i]) * inv_sqrt_bc2 + cfg.epsilon);
  }
}

}  // namespace tinyprop
