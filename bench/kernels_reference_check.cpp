// The optimised kernels against plain reference loops, bit for bit: src/kernels/dense.cpp
// (unrolled axpy, row-blocked dense_backward_input and dense_accumulate_weight_grad) must not
// change any float operation or its order; src/sparsity/select.cpp (rank path and heap path)
// must return exactly the brute-force top k in ascending index order, because the order of the
// rows is the summation order of dx in sparse training.
// Built and registered as a ctest test by bench/CMakeLists.txt; exits 1 on the first mismatch.
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "tinyprop/kernels/dense.h"
#include "tinyprop/rng.h"
#include "sparsity/select_paths.h"
#include "tinyprop/select.h"

namespace {

using tinyprop::Rng;

// ---- reference implementations: one plain loop per row, textbook swap heap -----------------

void ref_backward_input(float* dx, const float* w, const float* dy, const uint32_t* rows,
                        uint32_t n_rows, uint32_t n_in) {
  for (uint32_t i = 0; i < n_in; ++i) dx[i] = 0.0f;
  for (uint32_t t = 0; t < n_rows; ++t) {
    const uint32_t j = rows != nullptr ? rows[t] : t;
    for (uint32_t i = 0; i < n_in; ++i) dx[i] += dy[j] * w[static_cast<size_t>(j) * n_in + i];
  }
}

void ref_accumulate(float* dw, const float* x, const float* dy, const uint32_t* rows,
                    uint32_t n_rows, uint32_t n_in) {
  for (uint32_t t = 0; t < n_rows; ++t) {
    const uint32_t j = rows != nullptr ? rows[t] : t;
    for (uint32_t i = 0; i < n_in; ++i) dw[static_cast<size_t>(j) * n_in + i] += dy[j] * x[i];
  }
}

float ref_dot(const float* a, const float* b, uint32_t n) {
  float s[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (uint32_t l = 0; l < 4; ++l) s[l] += a[i + l] * b[i + l];
  }
  float total = (s[0] + s[1]) + (s[2] + s[3]);
  for (; i < n; ++i) total += a[i] * b[i];
  return total;
}

// The k best by (|v| descending, index ascending; a NaN ranks below every number), sorted by
// index: select_top_k's documented result on every input.
std::vector<uint32_t> brute_top_k(const float* v, uint32_t n, uint32_t k) {
  const auto mag = [v](uint32_t i) { return std::isnan(v[i]) ? -1.0f : fabsf(v[i]); };
  std::vector<uint32_t> order(n);
  for (uint32_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&mag](uint32_t a, uint32_t b) { return mag(a) > mag(b); });
  order.resize(k);
  std::sort(order.begin(), order.end());
  return order;
}

float sample(Rng& rng, int kind) {
  switch (kind) {
    case 0: return rng.normal();
    case 1: return static_cast<float>(static_cast<int>(rng.uniform_below(7)) - 3);  // ties
    case 2: return rng.uniform_below(4) == 0 ? -0.0f : 0.5f * static_cast<float>(rng.uniform_below(3));
    default: {
      const uint32_t r = rng.uniform_below(12);
      if (r == 0) return NAN;
      if (r == 1) return -INFINITY;
      return rng.normal();
    }
  }
}

bool same_bits(const float* a, const float* b, size_t n) {
  return n == 0 || memcmp(a, b, n * sizeof(float)) == 0;
}

int failures = 0;
void fail(const char* what, uint32_t a, uint32_t b, uint32_t c) {
  if (failures++ < 10) fprintf(stderr, "MISMATCH %s (%u, %u, %u)\n", what, a, b, c);
}

}  // namespace

int main() {
  Rng rng(2024);
  uint64_t checks = 0;
  for (int it = 0; it < 20000; ++it) {
    const uint32_t n_in = rng.uniform_below(70), n_out = 1 + rng.uniform_below(40);
    const int kind = static_cast<int>(rng.uniform_below(3));  // finite inputs for the kernels
    std::vector<float> w(static_cast<size_t>(n_out) * n_in), dy(n_out), x(n_in);
    for (float& f : w) f = sample(rng, 0);
    for (float& f : dy) f = sample(rng, kind);
    for (float& f : x) f = sample(rng, 0);
    const bool use_rows = rng.uniform_below(2) == 1;
    std::vector<uint32_t> rows(rng.uniform_below(n_out + 3));  // any list, repeats allowed
    for (uint32_t& r : rows) r = rng.uniform_below(n_out);
    const uint32_t n_rows = use_rows ? static_cast<uint32_t>(rows.size()) : n_out;
    const uint32_t* rp = use_rows ? rows.data() : nullptr;

    std::vector<float> dx(n_in + 1, 7.0f), dx_ref(n_in + 1, 7.0f);
    tinyprop::dense_backward_input(dx.data(), w.data(), dy.data(), rp, n_rows, n_in);
    ref_backward_input(dx_ref.data(), w.data(), dy.data(), rp, n_rows, n_in);
    if (!same_bits(dx.data(), dx_ref.data(), dx.size())) fail("dense_backward_input", n_in, n_out, n_rows);

    std::vector<float> dw(w.size());
    for (float& f : dw) f = sample(rng, 0);
    std::vector<float> dw_ref = dw;
    tinyprop::dense_accumulate_weight_grad(dw.data(), x.data(), dy.data(), rp, n_rows, n_in);
    ref_accumulate(dw_ref.data(), x.data(), dy.data(), rp, n_rows, n_in);
    if (!same_bits(dw.data(), dw_ref.data(), dw.size())) fail("dense_accumulate_weight_grad", n_in, n_out, n_rows);

    const float d = tinyprop::dot(w.data(), x.data(), n_in), d_ref = ref_dot(w.data(), x.data(), n_in);
    if (!same_bits(&d, &d_ref, 1)) fail("dot", n_in, 0, 0);
    checks += 3;
  }
  for (int it = 0; it < 50000; ++it) {
    const uint32_t n = 1 + rng.uniform_below(300), k = 1 + rng.uniform_below(n);
    const int kind = static_cast<int>(rng.uniform_below(4));
    std::vector<float> v(n);
    for (float& f : v) f = sample(rng, kind);
    std::vector<uint32_t> idx(k), idx_heap(k), idx_small(k);
    (void)tinyprop::select_top_k(v.data(), n, k, idx.data());
    (void)tinyprop::select_top_k_heap(v.data(), n, k, idx_heap.data());
    const bool small_k = k <= tinyprop::kMaxSmallSelect && k < n;
    if (small_k) (void)tinyprop::select_top_k_small(v.data(), n, k, idx_small.data());
    // The exact set, in ascending index order (the summation order of the propagated error),
    // NaN and infinities included; and the heap path (every target without SSE) the same.
    const std::vector<uint32_t> want = brute_top_k(v.data(), n, k);
    if (idx != want) fail("select_top_k (n, k, kind)", n, k, static_cast<uint32_t>(kind));
    if (idx_heap != want) fail("select_top_k_heap (n, k, kind)", n, k, static_cast<uint32_t>(kind));
    if (small_k && idx_small != want) {
      fail("select_top_k_small (n, k, kind)", n, k, static_cast<uint32_t>(kind));
    }
    ++checks;
  }
  printf("%llu checks, %d mismatches\n", static_cast<unsigned long long>(checks), failures);
  return failures == 0 ? 0 : 1;
}
