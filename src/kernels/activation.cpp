#include "tinyprop/kernels/activation.h"

#include "tinyprop/kernels/math.h"

namespace tinyprop {

void activation_forward(LayerKind kind, float alpha, float* y, const float* x, uint32_t n) {
  switch (kind) {
    case LayerKind::kReLU:
      for (uint32_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
      break;
    case LayerKind::kLeakyReLU:
      for (uint32_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : alpha * x[i];
      break;
    case LayerKind::kSigmoid:
      // Written so that expf never overflows: for x < 0 use e^x / (1 + e^x).
      for (uint32_t i = 0; i < n; ++i) {
        if (x[i] >= 0.0f) {
          y[i] = 1.0f / (1.0f + math::exp(-x[i]));
        } else {
          const float e = math::exp(x[i]);
          y[i] = e / (1.0f + e);
        }
      }
      break;
    case LayerKind::kTanh:
      for (uint32_t i = 0; i < n; ++i) y[i] = math::tanh(x[i]);
      break;
    default:
      break;
  }
}

// f' through the output: ReLU 1[y > 0]; leaky ReLU 1 or alpha (alpha > 0 keeps the sign of
// x in y); sigmoid y (1 - y); tanh 1 - y^2.
void activation_backward(LayerKind kind, float alpha, float* d, const float* y, uint32_t n) {
  switch (kind) {
    case LayerKind::kReLU:
      for (uint32_t i = 0; i < n; ++i) d[i] = y[i] > 0.0f ? d[i] : 0.0f;
      break;
    case LayerKind::kLeakyReLU:
      for (uint32_t i = 0; i < n; ++i) d[i] = y[i] > 0.0f ? d[i] : alpha * d[i];
      break;
    case LayerKind::kSigmoid:
      for (uint32_t i = 0; i < n; ++i) d[i] *= y[i] * (1.0f - y[i]);
      break;
    case LayerKind::kTanh:
      for (uint32_t i = 0; i < n; ++i) d[i] *= 1.0f - y[i] * y[i];
      break;
    default:
      break;
  }
}

}  // namespace tinyprop
