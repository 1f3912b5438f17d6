#include "tinyprop/kernels/activation.h"

#include <string.h>

#include "kernels/dot4.h"
#include "tinyprop/kernels/math.h"

namespace tinyprop {
namespace {

#if defined(TINYPROP_FLOAT4)
typedef int32_t Int4 __attribute__((vector_size(16)));

// x86: ReLU four lanes at a time, without a branch (after a ReLU about half the values are
// zero in no pattern, so a branch per element mispredicts about every other time).
// maxps(x, 0) is "x > 0 ? x : 0" lane by lane (its second operand for a NaN or a zero x): the
// scalar loop's bits, -0 and NaN included. The tail is the scalar loop.
void relu_forward_x86(float* y, const float* x, uint32_t n) {
  const Float4 zero = {0.0f, 0.0f, 0.0f, 0.0f};
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) store4(y + i, __builtin_ia32_maxps(load4(x + i), zero));
  for (; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

// d = y > 0 ? d : +0 lane by lane: the compare's all-ones mask ANDed with d's bits keeps d,
// its zero mask gives +0 (the scalar loop's bits).
void relu_backward_x86(float* d, const float* y, uint32_t n) {
  const Float4 zero = {0.0f, 0.0f, 0.0f, 0.0f};
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const Int4 keep = load4(y + i) > zero;
    store4(d + i, reinterpret_cast<Float4>(keep & reinterpret_cast<Int4>(load4(d + i))));
  }
  for (; i < n; ++i) d[i] = y[i] > 0.0f ? d[i] : 0.0f;
}
#endif

}  // namespace

void activation_forward(LayerKind kind, float alpha, float* y, const float* x, uint32_t n) {
  switch (kind) {
    case LayerKind::kReLU:
#if defined(TINYPROP_FLOAT4)
      relu_forward_x86(y, x, n);
#else
      for (uint32_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
#endif
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
#if defined(__arm__)
      // In place, only where y > 0 fails (d stays as it is elsewhere: the same bits). On a
      // Cortex-M the test on y's bits: y > 0 exactly when they lie in [1, 0x7F800000] (a
      // positive number, +infinity included; not +-0, a negative or a NaN), one subtraction
      // and an unsigned compare instead of a float compare and the flags' transfer.
      // Four elements per loop pass (less loop overhead).
      {
        const auto zero_unless_positive = [](float* di, const float* yi) {
          uint32_t bits;
          memcpy(&bits, yi, sizeof bits);
          if (bits - 1u >= 0x7F800000u) *di = 0.0f;
        };
        uint32_t i = 0;
#if defined(__thumb2__)
        // One LDM of four y (fixed registers: an LDM list is in ascending order; r8 rather
        // than r7, the Thumb frame pointer that clang reserves), then per
        // element SUBS, CMP and a conditional store of +0: 5 instructions per element
        // against GCC's 6.5 for the loop below.
        if (n >= 4) {
          uint32_t blocks = n / 4u;
          const float* py = y;
          float* pd = d;
          const uint32_t zero = 0;
          register uint32_t b0 __asm__("r4");
          register uint32_t b1 __asm__("r5");
          register uint32_t b2 __asm__("r6");
          register uint32_t b3 __asm__("r8");
#define TINYPROP_RELU_LANE(B, OFF)                \
  "subs " B ", " B ", #1\n\t"                     \
  "cmp " B ", #0x7F800000\n\t"                    \
  "it cs\n\t"                                     \
  "strcs %[z], [%[d], #" OFF "]\n\t"
          __asm__ volatile(
              "1:\n\t"
              "ldmia %[y]!, {r4-r6, r8}\n\t"
              TINYPROP_RELU_LANE("r4", "0") TINYPROP_RELU_LANE("r5", "4")
              TINYPROP_RELU_LANE("r6", "8") TINYPROP_RELU_LANE("r8", "12")
              "adds %[d], %[d], #16\n\t"
              "subs %[blocks], %[blocks], #1\n\t"
              "bne 1b\n\t"
              : [y] "+r"(py), [d] "+r"(pd), [blocks] "+r"(blocks), "=&r"(b0), "=&r"(b1),
                "=&r"(b2), "=&r"(b3)
              : [z] "r"(zero)
              : "cc", "memory");
#undef TINYPROP_RELU_LANE
          i = n - n % 4u;
        }
#endif
        for (; i + 4 <= n; i += 4) {
          zero_unless_positive(d + i, y + i);
          zero_unless_positive(d + i + 1, y + i + 1);
          zero_unless_positive(d + i + 2, y + i + 2);
          zero_unless_positive(d + i + 3, y + i + 3);
        }
        for (; i < n; ++i) zero_unless_positive(d + i, y + i);
      }
#elif defined(TINYPROP_FLOAT4)
      relu_backward_x86(d, y, n);
#else
      for (uint32_t i = 0; i < n; ++i) d[i] = y[i] > 0.0f ? d[i] : 0.0f;
#endif
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
