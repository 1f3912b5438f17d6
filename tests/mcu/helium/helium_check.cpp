// Same bits on the Cortex-M55: the Helium (MVE) variants of the four-row kernels
// (src/kernels/rows4.h, rows4_axpy.h) against the scalar reference of the canonical order, and
// the dense kernels built on them against one dot / axpy per row: the forward pass, the plain-SGD
// row update (all rows, and a row list with rows repeated within a group of four, over dense
// and listed blocks) and the propagated error (all rows, and the same row list). Runs under
// QEMU mps3-an547 (tests/mcu/helium/run.sh); prints one line per failure and a summary, exits 0
// when all agree.
#include <stdint.h>
#include <string.h>

#include "kernels/rows4.h"
#include "text_line.h"
#include "tinyprop/kernels/dense.h"
#include "tp_port.h"

using namespace tinyprop;

namespace {

#if !defined(TINYPROP_ARM_MVE_ROWS4)
#error "build for a Cortex-M55 with Helium floating point (-mcpu=cortex-m55)"
#endif

uint32_t g_state = 20261201u;

// Values over many binades (xorshift32 bits into sign, exponent and mantissa), so that any
// change of the summation order changes bits.
float wide_value() {
  g_state ^= g_state << 13;
  g_state ^= g_state >> 17;
  g_state ^= g_state << 5;
  const uint32_t bits = (g_state & 0x807FFFFFu) | ((115u + (g_state >> 24) % 24u) << 23);
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

void fill(float* v, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) v[i] = wide_value();
}

bool same(const float* a, const float* b, uint32_t n) { return memcmp(a, b, 4u * n) == 0; }

void say_case(const char* what, uint32_t a, uint32_t b) {
  mcu::TextLine line;  // the firmware's console formatting (examples/mcu_finetune/text_line.h)
  line.str(what).str(" ").u64(a).str(" ").u64(b).print();
}

constexpr uint32_t kMaxIn = 784, kMaxOut = 11;
float g_w[kMaxIn * kMaxOut], g_w2[kMaxIn * kMaxOut], g_x[kMaxIn + 4], g_y[kMaxOut],
    g_dy[kMaxOut], g_b[kMaxOut], g_dx[kMaxIn], g_dx2[kMaxIn];

// Rows in list order for the row-list cases: row 2 twice within the first group of four, row 1
// twice in a row in the second, and a group of three left (rows < 6: every n_out >= 6 below).
const uint32_t kRowList[] = {2, 0, 2, 5, 1, 1, 3, 4, 0, 5, 1};
constexpr uint32_t kRowListLen = sizeof kRowList / sizeof kRowList[0];

// The plain-SGD row update over `rows` (null: all n_out rows) against one axpy (nz dense) or
// axpy_nz per row in list order, on copies of the same weights.
bool sgd_same(const uint32_t* rows, uint32_t n_rows, uint32_t n_in, uint32_t n_out,
              const BlockList& nz) {
  fill(g_w, n_in * n_out);
  fill(g_dy, n_out);
  memcpy(g_w2, g_w, 4u * n_in * n_out);
  const float lr = 0.01f;
  dense_sgd_update_rows(g_w, g_x, g_dy, lr, rows, n_rows, n_in, nz);
  for (uint32_t t = 0; t < n_rows; ++t) {
    const uint32_t j = rows != nullptr ? rows[t] : t;
    axpy_nz(g_w2 + j * n_in, -lr * g_dy[j], g_x, n_in, nz);
  }
  return same(g_w, g_w2, n_in * n_out);
}

// The propagated error over `rows` (null: all rows) against dx = 0 and one axpy per row in
// list order.
bool error_same(const uint32_t* rows, uint32_t n_rows, uint32_t n_in, uint32_t n_out) {
  fill(g_w, n_in * n_out);
  fill(g_dy, n_out);
  fill(g_dx, n_in);  // the kernel zeroes dx first
  dense_backward_input(g_dx, g_w, g_dy, rows, n_rows, n_in);
  for (uint32_t i = 0; i < n_in; ++i) g_dx2[i] = 0.0f;
  for (uint32_t t = 0; t < n_rows; ++t) {
    const uint32_t j = rows != nullptr ? rows[t] : t;
    axpy(g_dx2, g_dy[j], g_w + j * n_in, n_in);
  }
  return same(g_dx, g_dx2, n_in);
}

}  // namespace

int main(int, char**) {
  uint32_t cases = 0, failures = 0;
  const uint32_t sizes[] = {1, 3, 4, 7, 16, 30, 128, 784};
  for (uint32_t n_in : sizes) {
    const uint32_t n_blocks = n_in / 4u;
    fill(g_w, 4 * n_in);
    fill(g_x, n_in);
    float want[16], got[16];
    rows4_lanes_scalar(g_w, n_in, g_x, n_blocks, want);
    rows4_lanes(g_w, n_in, g_x, n_blocks, got);
    ++cases;
    if (!same(want, got, 16)) ++failures, say_case("FAIL rows4_lanes n_in", n_in, 0);
    uint16_t list[kMaxIn / 4];
    uint32_t listed = 0;
    for (uint32_t b = 0; b < n_blocks; ++b) {
      if (b % 3 != 1) list[listed++] = static_cast<uint16_t>(b);
    }
    rows4_lanes_blocks_scalar(g_w, n_in, g_x, list, listed, want);
    rows4_lanes_blocks(g_w, n_in, g_x, list, listed, got);
    ++cases;
    if (!same(want, got, 16)) ++failures, say_case("FAIL rows4_lanes_blocks n_in", n_in, 0);

    const uint32_t outs[] = {1u, 4u, 6u, 11u};
    for (uint32_t n_out : outs) {
      fill(g_w, n_in * n_out);
      fill(g_b, n_out);
      dense_forward_nz(g_y, g_x, g_w, g_b, n_in, n_out, dense_blocks());
      for (uint32_t j = 0; j < n_out; ++j) {
        const float ref = g_b[j] + dot(g_w + j * n_in, g_x, n_in);
        ++cases;
        if (!same(&ref, &g_y[j], 1)) ++failures, say_case("FAIL forward n_in n_out", n_in, n_out);
      }
      fill(g_dy, n_out);
      memcpy(g_w2, g_w, 4u * n_in * n_out);
      dense_sgd_update_rows(g_w, g_x, g_dy, 0.01f, nullptr, n_out, n_in, dense_blocks());
      for (uint32_t j = 0; j < n_out; ++j) axpy(g_w2 + j * n_in, -0.01f * g_dy[j], g_x, n_in);
      ++cases;
      if (!same(g_w, g_w2, n_in * n_out)) {
        ++failures, say_case("FAIL sgd update n_in n_out", n_in, n_out);
      }
      // The update over the listed blocks, then both over the row list, and the error.
      const BlockList listed_blocks{true, listed, list};
      ++cases;
      if (!sgd_same(nullptr, n_out, n_in, n_out, listed_blocks)) {
        ++failures, say_case("FAIL sgd update, listed blocks n_in n_out", n_in, n_out);
      }
      ++cases;
      if (!error_same(nullptr, n_out, n_in, n_out)) {
        ++failures, say_case("FAIL error n_in n_out", n_in, n_out);
      }
      if (n_out < 6) continue;
      const uint32_t n_list = n_out < kRowListLen ? n_out : kRowListLen;
      ++cases;
      if (!sgd_same(kRowList, n_list, n_in, n_out, dense_blocks())) {
        ++failures, say_case("FAIL sgd update, row list n_in n_out", n_in, n_out);
      }
      ++cases;
      if (!sgd_same(kRowList, n_list, n_in, n_out, listed_blocks)) {
        ++failures, say_case("FAIL sgd update, row list and listed blocks n_in n_out", n_in,
                             n_out);
      }
      ++cases;
      if (!error_same(kRowList, n_list, n_in, n_out)) {
        ++failures, say_case("FAIL error, row list n_in n_out", n_in, n_out);
      }
    }
  }
  say_case(failures == 0 ? "helium_check: same bits, cases" : "helium_check: FAILED, cases",
           cases, failures);
  return failures == 0 ? 0 : 1;
}
