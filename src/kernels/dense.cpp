#include "tinyprop/kernels/dense.h"

namespace tinyprop {

// Four independent partial sums, combined as (s0 + s1) + (s2 + s3), then the tail. The fixed
// order makes results identical across compilers that honour IEEE semantics (no fast-math,
// no FMA contraction), and the independent chains let the compiler pipeline or vectorize.
float dot(const float* __restrict a, const float* __restrict b, uint32_t n) {
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  float s = (s0 + s1) + (s2 + s3);
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

void axpy(float* __restrict y, float a, const float* __restrict x, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void dense_forward(float* y, const float* x, const float* w, const float* b, uint32_t n_in,
                   uint32_t n_out) {
  for (uint32_t j = 0; j < n_out; ++j) {
    const float bias = (b != nullptr) ? b[j] : 0.0f;
    y[j] = bias + dot(w + static_cast<uint64_t>(j) * n_in, x, n_in);
  }
}

void dense_backward_input(float* dx, const float* w, const float* dy, const uint32_t* rows,
                          uint32_t n_rows, uint32_t n_in) {
  for (uint32_t i = 0; i < n_in; ++i) dx[i] = 0.0f;
  for (uint32_t t = 0; t < n_rows; ++t) {
    const uint32_t j = (rows != nullptr) ? rows[t] : t;
    axpy(dx, dy[j], w + static_cast<uint64_t>(j) * n_in, n_in);
  }
}

void dense_accumulate_weight_grad(float* dw, const float* x, const float* dy,
                                  const uint32_t* rows, uint32_t n_rows, uint32_t n_in) {
  for (uint32_t t = 0; t < n_rows; ++t) {
    const uint32_t j = (rows != nullptr) ? rows[t] : t;
    axpy(dw + static_cast<uint64_t>(j) * n_in, dy[j], x, n_in);
  }
}

}  // namespace tinyprop
