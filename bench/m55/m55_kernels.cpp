// One dense kernel call on the Cortex-M55 (Helium build), inside one instruction-counting
// window (tp_mark_step_begin / _end, tools/qemu-plugin), for bench/m55_kernels.py:
//
//   m55_kernels KERNEL N_IN N_OUT      KERNEL: forward | update | error | dw
//
// The inputs are dense (every x nonzero, so no block is skipped) and all rows are computed, as
// in bench/m4_kernels.py. After the window the result is checked bit for bit against the
// per-row reference of the canonical order (forward: b[j] + dot(w[j], x); update: one axpy per
// row with -lr dy[j]; error: dx accumulated row by row in row order, each element
// dx + dy[j] w[j, i]; dW: dy[j] x[i] into zeros). Prints "m55_kernels KERNEL N_IN N_OUT bits=ok"
// (or bits=DIFFER) and exits 0 only when the bits agree.
#include <stdint.h>
#include <string.h>

#include "text_line.h"
#include "tinyprop/kernels/dense.h"
#include "tp_port.h"

using namespace tinyprop;

namespace {

constexpr uint32_t kMaxIn = 784, kMaxOut = 128;
// One weight-sized buffer (784 x 128 floats take 392 KiB of the 512 KiB): the weights, or dW.
float g_w[kMaxIn * kMaxOut], g_row[kMaxIn], g_x[kMaxIn], g_b[kMaxOut], g_y[kMaxOut],
    g_dy[kMaxOut], g_dx[kMaxIn], g_dx_ref[kMaxIn];
constexpr uint32_t kSeed = 16u;
uint32_t g_state = kSeed;

// Uniform in [lo, hi) from xorshift32 (exact in float: 23-bit fractions).
float uniform(float lo, float hi) {
  g_state ^= g_state << 13;
  g_state ^= g_state >> 17;
  g_state ^= g_state << 5;
  return lo + (hi - lo) * (static_cast<float>(g_state >> 9) * (1.0f / 8388608.0f));
}

bool parse_u32(const char* s, uint32_t* out) {
  uint32_t v = 0;
  if (*s == '\0') return false;
  for (; *s != '\0'; ++s) {
    if (*s < '0' || *s > '9' || v > 100000u) return false;
    v = v * 10u + static_cast<uint32_t>(*s - '0');
  }
  *out = v;
  return true;
}

bool equal(const char* a, const char* b) { return strcmp(a, b) == 0; }

}  // namespace

int main(int argc, char** argv) {
  mcu::TextLine line;
  uint32_t n_in = 0, n_out = 0;
  if (argc != 4 || !parse_u32(argv[2], &n_in) || !parse_u32(argv[3], &n_out) || n_in == 0 ||
      n_out == 0 || n_in > kMaxIn || n_out > kMaxOut) {
    line.str("usage: m55_kernels forward|update|error|dw N_IN (<= 784) N_OUT (<= 128)").print();
    return 2;
  }
  const char* kernel = argv[1];
  for (uint32_t i = 0; i < n_in * n_out; ++i) g_w[i] = uniform(-0.1f, 0.1f);
  for (uint32_t j = 0; j < n_out; ++j) g_b[j] = uniform(-0.1f, 0.1f);
  for (uint32_t i = 0; i < n_in; ++i) g_x[i] = uniform(0.05f, 1.0f);  // no zero: dense path
  for (uint32_t j = 0; j < n_out; ++j) g_dy[j] = uniform(-0.2f, 0.2f);
  const float lr = 0.01f;
  const size_t weights = size_t{n_in} * n_out;
  bool same = true;
  if (equal(kernel, "forward")) {
    tp_mark_step_begin();
    dense_forward_nz(g_y, g_x, g_w, g_b, n_in, n_out, dense_blocks());
    tp_mark_step_end();
    for (uint32_t j = 0; j < n_out; ++j) {
      const float want = g_b[j] + dot(g_w + j * n_in, g_x, n_in);
      same = same && memcmp(&want, &g_y[j], sizeof want) == 0;
    }
  } else if (equal(kernel, "update")) {
    tp_mark_step_begin();
    dense_sgd_update_rows(g_w, g_x, g_dy, lr, nullptr, n_out, n_in, dense_blocks());
    tp_mark_step_end();
    g_state = kSeed;  // the weights before the update, drawn again row by row
    for (uint32_t j = 0; j < n_out; ++j) {
      for (uint32_t i = 0; i < n_in; ++i) g_row[i] = uniform(-0.1f, 0.1f);
      axpy(g_row, -lr * g_dy[j], g_x, n_in);
      same = same && memcmp(g_row, g_w + j * n_in, 4u * n_in) == 0;
    }
  } else if (equal(kernel, "error")) {
    tp_mark_step_begin();
    dense_backward_input(g_dx, g_w, g_dy, nullptr, n_out, n_in);
    tp_mark_step_end();
    for (uint32_t i = 0; i < n_in; ++i) g_dx_ref[i] = 0.0f;
    for (uint32_t j = 0; j < n_out; ++j) {
      for (uint32_t i = 0; i < n_in; ++i) g_dx_ref[i] = g_dx_ref[i] + g_dy[j] * g_w[j * n_in + i];
    }
    same = memcmp(g_dx_ref, g_dx, 4u * n_in) == 0;
  } else if (equal(kernel, "dw")) {
    memset(g_w, 0, 4u * weights);  // g_w is dW here
    tp_mark_step_begin();
    dense_accumulate_weight_grad(g_w, g_x, g_dy, nullptr, n_out, n_in);
    tp_mark_step_end();
    for (uint32_t j = 0; j < n_out && same; ++j) {
      for (uint32_t i = 0; i < n_in; ++i) {
        const float want = g_dy[j] * g_x[i];
        same = same && memcmp(&want, &g_w[j * n_in + i], sizeof want) == 0;
      }
    }
  } else {
    line.str("m55_kernels: unknown kernel ").str(kernel).print();
    return 2;
  }
  line.str("m55_kernels ").str(kernel).str(" ").u64(n_in).str(" ").u64(n_out)
      .str(same ? " bits=ok" : " bits=DIFFER").print();
  return same ? 0 : 1;
}
