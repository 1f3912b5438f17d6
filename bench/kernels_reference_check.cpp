// The optimised kernels against plain reference loops, bit for bit: src/kernels/dense.cpp
// (unrolled axpy, row-blocked dense_backward_input and dense_accumulate_weight_grad) must not
// change any float operation or its order; src/sparsity/select.cpp (bound-seeded heap,
// hole-based sift) must return the same indices in the same heap order with the same comparison
// count as a textbook heap running the same algorithm, because the order of the rows is the
// summation order of dx in sparse training; and its set must be the brute-force top k.
// Built and registered as a ctest test by bench/CMakeLists.txt; exits 1 on the first mismatch.
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <vector>

#include "tinyprop/kernels/dense.h"
#include "tinyprop/rng.h"
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

bool ref_ranks_below(const float* v, uint32_t a, uint32_t b, uint64_t* cmps) {
  ++*cmps;
  const float fa = fabsf(v[a]), fb = fabsf(v[b]);
  return fa < fb || (fa == fb && a > b);
}

void ref_sift_down(const float* v, uint32_t* heap, uint32_t size, uint32_t pos, uint64_t* cmps) {
  for (;;) {
    const uint32_t left = 2 * pos + 1;
    if (left >= size) return;
    uint32_t lowest = left;
    if (left + 1 < size && ref_ranks_below(v, heap[left + 1], heap[left], cmps)) lowest = left + 1;
    if (!ref_ranks_below(v, heap[lowest], heap[pos], cmps)) return;
    const uint32_t tmp = heap[pos];
    heap[pos] = heap[lowest];
    heap[lowest] = tmp;
    pos = lowest;
  }
}

// The selection of src/sparsity/select.cpp written plainly: the bound tau from k block maxima
// (k <= n / 3), the first k elements reaching it seed the heap (else the first k elements), then
// a textbook heap: heapify, and offer every later element in index order. Comparisons are
// counted as the fast version documents them.
uint64_t ref_select(const float* v, uint32_t n, uint32_t k, uint32_t* idx) {
  uint64_t cmps = 0;
  if (k == n) {
    for (uint32_t i = 0; i < k; ++i) idx[i] = i;
    return 0;
  }
  uint32_t next = 0;
  if (n / k >= 3) {
    const uint32_t b = n / k;
    float tau = INFINITY;
    for (uint32_t t = 0; t < k; ++t) {
      float m = fabsf(v[t * b]);
      for (uint32_t j = 1; j < b; ++j) {
        if (fabsf(v[t * b + j]) > m) m = fabsf(v[t * b + j]);  // a NaN never replaces m
      }
      if (m < tau) tau = m;
    }
    cmps += static_cast<uint64_t>(k) * b;
    uint32_t size = 0;
    while (next < n && size < k) {
      if (fabsf(v[next]) >= tau) idx[size++] = next;
      ++next;
    }
    cmps += next;
    if (size < k) next = 0;
  }
  if (next == 0) {
    for (uint32_t i = 0; i < k; ++i) idx[i] = i;
    next = k;
  }
  for (uint32_t p = k / 2; p-- > 0;) ref_sift_down(v, idx, k, p, &cmps);
  for (uint32_t i = next; i < n; ++i) {
    ++cmps;
    if (fabsf(v[i]) > fabsf(v[idx[0]])) {
      idx[0] = i;
      ref_sift_down(v, idx, k, 0, &cmps);
    }
  }
  return cmps;
}

// The k best by (|v| descending, index ascending), sorted by index; finite inputs only.
std::vector<uint32_t> brute_top_k(const float* v, uint32_t n, uint32_t k) {
  std::vector<uint32_t> order(n);
  for (uint32_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [v](uint32_t a, uint32_t b) { return fabsf(v[a]) > fabsf(v[b]); });
  order.resize(k);
  std::sort(order.begin(), order.end());
  return order;
}

// ---- inputs -------------------------------------------------------------------------------

// Normal values, with signed zeros, ties, infinities and NaN mixed in by `kind`.
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
    std::vector<uint32_t> idx(k), idx_ref(k);
    const uint64_t cmps = tinyprop::select_top_k(v.data(), n, k, idx.data());
    const uint64_t cmps_ref = ref_select(v.data(), n, k, idx_ref.data());
    if (idx != idx_ref || cmps != cmps_ref) fail("select_top_k (n, k, kind)", n, k, static_cast<uint32_t>(kind));
    if (kind != 3) {  // no NaN: the set must be the brute-force top k
      std::vector<uint32_t> sorted = idx;
      std::sort(sorted.begin(), sorted.end());
      if (sorted != brute_top_k(v.data(), n, k)) fail("select_top_k set", n, k, static_cast<uint32_t>(kind));
    }
    checks += 2;
  }
  printf("%llu checks, %d mismatches\n", static_cast<unsigned long long>(checks), failures);
  return failures == 0 ? 0 : 1;
}
