#include "tinyprop/kernels/dense.h"

#include <stddef.h>

#include "kernels/dot4.h"
#include "kernels/rows4.h"
#include "kernels/rows4_axpy.h"

namespace tinyprop {
namespace {

inline uint32_t row_at(const uint32_t* rows, uint32_t t) { return rows != nullptr ? rows[t] : t; }

inline const float* row_ptr(const float* base, uint32_t j, uint32_t len) {
  return base + static_cast<size_t>(j) * len;
}

// The FPv4/FPv5 Cortex-M uses error_rows4 (rows4_axpy.h), x86 error_rows (below); the Cortex-M55
// and the cores without an FPU use the C loops here.
#if !defined(TINYPROP_ARM_VFP_ROWS4) && !defined(TINYPROP_FLOAT4)
// y += a0 w0 + a1 w1 + a2 w2 + a3 w3, evaluated per element strictly left to right:
//   y[i] = (((y[i] + a0 w0[i]) + a1 w1[i]) + a2 w2[i]) + a3 w3[i]
// which is exactly what four successive axpy calls compute (every product and sum rounded to
// float, no contraction), so blocking rows changes no bits. It saves three loads and stores of
// y per element; the 4-element unroll with a size_t index (no 32-bit wrap to rule out) lets
// GCC's SLP vectorizer use SSE on x86 at -O2, and on a Cortex-M it halves the loop overhead.
// On the Cortex-M55 Helium does the whole blocks (error_rows_mve, rows4_axpy.h: the same
// operations per element), and the C loops only the tail.
void axpy_rows4(float* __restrict y, const float a[4], const float* __restrict w0,
                const float* __restrict w1, const float* __restrict w2,
                const float* __restrict w3, uint32_t n) {
  const float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
  size_t i = 0;
#if defined(TINYPROP_ARM_MVE_ROWS4)
  const float* const w[4] = {w0, w1, w2, w3};
  error_rows_mve<4>(y, a, w, n / 4u);
  i = n - n % 4u;
#endif
  for (; i + 4 <= n; i += 4) {
    y[i] = (((y[i] + a0 * w0[i]) + a1 * w1[i]) + a2 * w2[i]) + a3 * w3[i];
    y[i + 1] = (((y[i + 1] + a0 * w0[i + 1]) + a1 * w1[i + 1]) + a2 * w2[i + 1]) +
               a3 * w3[i + 1];
    y[i + 2] = (((y[i + 2] + a0 * w0[i + 2]) + a1 * w1[i + 2]) + a2 * w2[i + 2]) +
               a3 * w3[i + 2];
    y[i + 3] = (((y[i + 3] + a0 * w0[i + 3]) + a1 * w1[i + 3]) + a2 * w2[i + 3]) +
               a3 * w3[i + 3];
  }
  for (; i < n; ++i) y[i] = (((y[i] + a0 * w0[i]) + a1 * w1[i]) + a2 * w2[i]) + a3 * w3[i];
}

// y += a0 w0 + a1 w1, per element left to right, like two successive axpy calls: for the one
// to three rows left after the blocks of four.
void axpy_rows2(float* __restrict y, float a0, const float* __restrict w0, float a1,
                const float* __restrict w1, uint32_t n) {
  size_t i = 0;
#if defined(TINYPROP_ARM_MVE_ROWS4)
  const float a[4] = {a0, a1, 0.0f, 0.0f};  // rows 2 and 3 are not read
  const float* const w[4] = {w0, w1, w0, w1};
  error_rows_mve<2>(y, a, w, n / 4u);
  i = n - n % 4u;
#endif
  for (; i + 4 <= n; i += 4) {
    y[i] = (y[i] + a0 * w0[i]) + a1 * w1[i];
    y[i + 1] = (y[i + 1] + a0 * w0[i + 1]) + a1 * w1[i + 1];
    y[i + 2] = (y[i + 2] + a0 * w0[i + 2]) + a1 * w1[i + 2];
    y[i + 3] = (y[i + 3] + a0 * w0[i + 3]) + a1 * w1[i + 3];
  }
  for (; i < n; ++i) y[i] = (y[i] + a0 * w0[i]) + a1 * w1[i];
}
#endif

#if !defined(TINYPROP_ARM_VFP_ROWS4)  // the Cortex-M blocks four rows (axpy_row_list)
// y0 += a0 x and y1 += a1 x: two weight-gradient rows per pass, so each x[i] is loaded once for
// both. Every element is still y[i] + a x[i] as in axpy: same bits.
void axpy_pair(float* __restrict y0, float a0, float* __restrict y1, float a1,
               const float* __restrict x, uint32_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    y0[i] += a0 * x[i];
    y0[i + 1] += a0 * x[i + 1];
    y0[i + 2] += a0 * x[i + 2];
    y0[i + 3] += a0 * x[i + 3];
    y1[i] += a1 * x[i];
    y1[i + 1] += a1 * x[i + 1];
    y1[i + 2] += a1 * x[i + 2];
    y1[i + 3] += a1 * x[i + 3];
  }
  for (; i < n; ++i) {
    y0[i] += a0 * x[i];
    y1[i] += a1 * x[i];
  }
}
#endif

#if defined(TINYPROP_FLOAT4)
// ---- x86: the propagated error and the SGD row update, one to seven rows per pass ----------
// Rows go in groups of four in list order, except that the five to seven rows left at the end
// form one group: one pass over dx (or x) instead of a group of four and one of one to three
// (a sparse call at k = 6 is one pass, where it was a four-row and a two-row one). Each group
// size is its own loop with the rows' pointers and factors in registers; every element is
// still computed row after row in list order, so the bits are those of one axpy per row.

// Runs pass(RowCount<R>{}, t) for the groups of rows t .. t + R - 1 that cover 0 .. n_rows - 1
// (n_rows >= 1): fours, the last group of five to seven rows whole.
template <typename Pass>
inline void for_each_group(uint32_t n_rows, Pass pass) {
  uint32_t t = 0;
  for (; t + 8 <= n_rows; t += 4) pass(RowCount<4>{}, t);
  with_row_count<7>(n_rows - t, [&](auto rc) { pass(rc, t); });
}

// Rows t .. t + R - 1 of the list (null: t ..): their pointers into m [.., n_in] and the
// factors coef dy[j] (coef = 1 gives dy[j] exactly), each also in all four lanes.
template <uint32_t R, typename T>
struct RowGroup {
  T* w[R];
  float a[R];
  Float4 av[R];
  __attribute__((always_inline))
  RowGroup(T* m, const float* dy, float coef, const uint32_t* rows, uint32_t t, uint32_t n_in) {
#pragma GCC unroll 8
    for (uint32_t r = 0; r < R; ++r) {
      const uint32_t j = row_at(rows, t + r);
      w[r] = m + static_cast<size_t>(j) * n_in;
      a[r] = coef * dy[j];
      av[r] = Float4{a[r], a[r], a[r], a[r]};
    }
  }
};

// dx[i] = (((dx[i] + a0 w0[i]) + a1 w1[i]) + ...) + a_{R-1} w_{R-1}[i], left to right. The
// first group of a call starts from +0 in a register instead of a cleared dx (kFirst): +0 + p
// is what dx = 0 followed by dx += p computes (+0 also for p = -0), without dx's load.
template <uint32_t R, bool kFirst>
__attribute__((always_inline)) inline void error_rows(float* __restrict dx,
                                                      const RowGroup<R, const float>& g,
                                                      uint32_t n_in) {
  const size_t whole = n_in - n_in % 4u;
  const Float4 zero = {0.0f, 0.0f, 0.0f, 0.0f};
  for (size_t i = 0; i < whole; i += 4) {
    Float4 acc = (kFirst ? zero : load4(dx + i)) + g.av[0] * load4(g.w[0] + i);
#pragma GCC unroll 8
    for (uint32_t r = 1; r < R; ++r) acc = acc + g.av[r] * load4(g.w[r] + i);
    store4(dx + i, acc);
  }
  for (size_t i = whole; i < n_in; ++i) {
    float s = kFirst ? 0.0f : dx[i];
#pragma GCC unroll 8
    for (uint32_t r = 0; r < R; ++r) s = s + g.a[r] * g.w[r][i];
    dx[i] = s;
  }
}

// w_r[i] += a_r x[i] for the R rows over the whole blocks at element offsets offset(b), b <
// n_blocks (every block, or x's listed nonzero blocks), then over the tail: axpy's w + a x per
// element. A row listed twice sees the earlier copy's result: each row's block is stored
// before the next row's is loaded (the rows may alias).
template <uint32_t R, typename Offset>
__attribute__((always_inline)) inline void sgd_rows(const RowGroup<R, float>& g,
                                                    const float* __restrict x, uint32_t n_in,
                                                    uint32_t n_blocks, Offset offset) {
  for (uint32_t b = 0; b < n_blocks; ++b) {
    const size_t i = offset(b);
    const Float4 xv = load4(x + i);
#pragma GCC unroll 8
    for (uint32_t r = 0; r < R; ++r) store4(g.w[r] + i, load4(g.w[r] + i) + g.av[r] * xv);
  }
  if (n_in % 4u != 0) {
#pragma GCC unroll 8
    for (uint32_t r = 0; r < R; ++r) {
      for (size_t i = n_in - n_in % 4u; i < n_in; ++i) g.w[r][i] += g.a[r] * x[i];
    }
  }
}

// The SGD row update of the listed rows over the blocks offset(b), b < n_blocks.
template <typename Offset>
void sgd_row_list(float* w, const float* x, const float* dy, float coef, const uint32_t* rows,
                  uint32_t n_rows, uint32_t n_in, uint32_t n_blocks, Offset offset) {
  for_each_group(n_rows, [&](auto rc, uint32_t t) {
    constexpr uint32_t R = decltype(rc)::value;
    sgd_rows<R>(RowGroup<R, float>(w, dy, coef, rows, t, n_in), x, n_in, n_blocks, offset);
  });
}
#endif

}  // namespace

// The fixed-order dot of dot4.h (same bits on every platform).
float dot(const float* __restrict a, const float* __restrict b, uint32_t n) {
  return dot4(a, b, n);
}

// y[i] += a x[i]: every element independent, so the 4-element unroll (SSE through SLP on x86,
// less loop overhead on a Cortex-M) gives the same bits as the plain loop.
void axpy(float* __restrict y, float a, const float* __restrict x, uint32_t n) {
  size_t i = 0;
#if defined(TINYPROP_ARM_VFP_ROWS4)
  // Cortex-M with a single-precision FPU: the same four products and sums per block, in the
  // C operand order (a x, then y + a x), from one VLDM of x and of y and one VSTM of y: 13
  // instructions per four elements where GCC's code for the loop below takes 23.
  if (n >= 4) {
    uint32_t blocks = n / 4u;
    float* py = y;
    const float* px = x;
    __asm__ volatile(
        "1:\n\t"
        "vldmia %[x]!, {s8-s11}\n\t"
        "vldmia %[y], {s12-s15}\n\t"
        "vmul.f32 s8, %[a], s8\n\t"
        "vmul.f32 s9, %[a], s9\n\t"
        "vmul.f32 s10, %[a], s10\n\t"
        "vmul.f32 s11, %[a], s11\n\t"
        "vadd.f32 s12, s12, s8\n\t"
        "vadd.f32 s13, s13, s9\n\t"
        "vadd.f32 s14, s14, s10\n\t"
        "vadd.f32 s15, s15, s11\n\t"
        "vstmia %[y]!, {s12-s15}\n\t"
        "subs %[blocks], %[blocks], #1\n\t"
        "bne 1b\n\t"
        : [x] "+r"(px), [y] "+r"(py), [blocks] "+r"(blocks)
        : [a] "t"(a)
        : "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15", "cc", "memory");
    i = n - n % 4u;
  }
#endif
  for (; i + 4 <= n; i += 4) {
    y[i] += a * x[i];
    y[i + 1] += a * x[i + 1];
    y[i + 2] += a * x[i + 2];
    y[i + 3] += a * x[i + 3];
  }
  for (; i < n; ++i) y[i] += a * x[i];
}

// The first block b >= blk of x [4 n_blocks] that holds a nonzero, or n_blocks: a block is all
// zeros exactly when its four floats are +0 or -0 (!= 0 is false for both zeros, true for NaN),
// the inputs whose products are exact zeros for finite weights. On a Cortex-M the same test on
// the bit patterns: a float is +-0 exactly when its bits without the sign bit are 0, so
// (b0 | b1 | b2 | b3) << 1 == 0 decides the same blocks; the loop is LDM, three ORR, LSLS and
// the branches, 8 instructions per zero block (13 in GCC's code for the same C, 22 with four
// float compares). On x86 the float compares (an OR of the bit patterns was tried: more x86
// instructions).
inline uint32_t next_nonzero_block(const float* x, uint32_t blk, uint32_t n_blocks) {
#if defined(__arm__) && defined(__thumb2__)
  if (blk >= n_blocks) return n_blocks;
  const float* p = x + 4 * static_cast<size_t>(blk);
  uint32_t left = n_blocks - blk;
  // Fixed registers: an LDM list must be in ascending order; r8 rather than r7, which is the
  // Thumb frame pointer that clang reserves.
  register uint32_t b0 __asm__("r4");
  register uint32_t b1 __asm__("r5");
  register uint32_t b2 __asm__("r6");
  register uint32_t b3 __asm__("r8");
  __asm__ volatile(
      "1:\n\t"
      "ldmia %[p]!, {r4-r6, r8}\n\t"
      "orr r4, r4, r5\n\t"
      "orr r6, r6, r8\n\t"
      "orr r4, r4, r6\n\t"
      "lsls r4, r4, #1\n\t"
      "bne 2f\n\t"
      "subs %[left], %[left], #1\n\t"
      "bne 1b\n"
      "2:\n\t"
      : [p] "+r"(p), [left] "+r"(left), "=r"(b0), "=r"(b1), "=r"(b2), "=r"(b3)
      :
      : "cc", "memory");
  return n_blocks - left;
#else
  for (; blk < n_blocks; ++blk) {
    const float* v = x + static_cast<size_t>(blk) * 4u;
    if (v[0] != 0.0f || v[1] != 0.0f || v[2] != 0.0f || v[3] != 0.0f) break;
  }
  return blk;
#endif
}

// Blocks a dense input is probed for before it is declared dense (see below).
constexpr uint32_t kZeroSkipProbeBlocks = 16;

uint32_t nonzero_block_capacity(uint32_t n) {
  const uint32_t n_blocks = n / 4u;
  if (n_blocks == 0 || n_blocks > 65535u) return 0;
  const uint32_t limit = static_cast<uint32_t>(
      (static_cast<uint64_t>(n_blocks) * kZeroSkipMaxPercent) / 100u);
  return limit < kMaxNonzeroBlocks ? limit : kMaxNonzeroBlocks;
}

#if defined(TINYPROP_FLOAT4)
// x86: the same list and decision without a data-dependent branch. Where the zero blocks of
// an image or a ReLU output lie follows no pattern a branch predictor learns, so the branching
// scan mispredicts at most changes between zero and nonzero runs. Each block is stored
// at the list's end whether or not it holds a nonzero (the next store overwrites it if not;
// once the list is full, into a local instead: nothing is written past the capacity) and the
// count advances by the compare's mask (cmpneqps: true for a NaN, false for +-0). The two early
// "dense" answers are taken after the pass instead of as soon as they are certain: every
// first-16 block nonzero (checked after 16 blocks), more nonzero blocks than the capacity.
namespace {

typedef int32_t Int4 __attribute__((vector_size(16)));

inline void list_nonzero_blocks(const float* x, uint32_t from, uint32_t to, uint32_t cap,
                                uint16_t* index, uint32_t* count) {
  const Float4 zero = {0.0f, 0.0f, 0.0f, 0.0f};
  uint16_t overflow = 0;  // where the stores go once the list is full (a select, not a branch)
  uint32_t c = *count;
  for (uint32_t blk = from; blk < to; ++blk) {
    const Int4 nonzero = load4(x + 4 * static_cast<size_t>(blk)) != zero;
    *(c < cap ? index + c : &overflow) = static_cast<uint16_t>(blk);
    c += __builtin_ia32_movmskps(reinterpret_cast<Float4>(nonzero)) != 0 ? 1u : 0u;
  }
  *count = c;
}

}  // namespace
#endif

BlockList find_nonzero_blocks_into(const float* x, uint32_t n, uint16_t* index) {
  BlockList nz;
  nz.index = index;
  const uint32_t n_blocks = n / 4u;
  if (n_blocks == 0 || n_blocks > 65535u) return nz;
  const uint32_t cap = nonzero_block_capacity(n);
#if defined(TINYPROP_FLOAT4)
  const uint32_t probe = n_blocks < kZeroSkipProbeBlocks ? n_blocks : kZeroSkipProbeBlocks;
  uint32_t count = 0;
  list_nonzero_blocks(x, 0, probe, cap, index, &count);
  if (count == kZeroSkipProbeBlocks) return nz;  // dense: every probed block nonzero
  list_nonzero_blocks(x, probe, n_blocks, cap, index, &count);
  if (count > cap) return nz;  // too many nonzero blocks: the dense loop is cheaper
#else
  uint32_t count = 0;
  for (uint32_t blk = next_nonzero_block(x, 0, n_blocks); blk < n_blocks;
       blk = next_nonzero_block(x, blk + 1, n_blocks)) {
    // Too many nonzero blocks: the dense loop is cheaper. A dense input (no zero block among
    // the first kZeroSkipProbeBlocks) is recognised early: a decision that only affects the
    // speed, never the bits, and keeps the scan short where nothing can be skipped.
    if (count == cap || (count == blk && blk + 1 == kZeroSkipProbeBlocks)) return nz;
    index[count++] = static_cast<uint16_t>(blk);
  }
#endif
  nz.count = count;
  nz.skip = true;
  return nz;
}

void find_nonzero_blocks(const float* x, uint32_t n, NonzeroBlocks* nz) {
  const BlockList found = find_nonzero_blocks_into(x, n, nz->index);
  nz->skip = found.skip;
  nz->count = found.count;
}

// Four rows per pass (rows4.h: each input block loaded once for four rows), each row's lane
// sums combined and its tail added exactly as in dot4 / dot4_blocks; the one to three rows
// left take the one-row dot.
uint64_t dense_forward_nz(float* y, const float* x, const float* w, const float* b,
                          uint32_t n_in, uint32_t n_out, const BlockList& nz) {
  const size_t whole = n_in - n_in % 4u;
  uint32_t j = 0;
  for (; j + 4 <= n_out; j += 4) {
    float lanes[16];
    const float* row = row_ptr(w, j, n_in);
    if (nz.skip) {
      rows4_lanes_blocks(row, n_in, x, nz.index, nz.count, lanes);
    } else {
      rows4_lanes(row, n_in, x, n_in / 4u, lanes);
    }
    for (uint32_t r = 0; r < 4; ++r) {
      const float* l = lanes + 4 * r;
      float s = (l[0] + l[1]) + (l[2] + l[3]);
      const float* rr = row + static_cast<size_t>(r) * n_in;
      for (size_t i = whole; i < n_in; ++i) s += rr[i] * x[i];
      y[j + r] = ((b != nullptr) ? b[j + r] : 0.0f) + s;
    }
  }
  for (; j < n_out; ++j) {
    const float bias = (b != nullptr) ? b[j] : 0.0f;
    const float* row = row_ptr(w, j, n_in);
    y[j] = bias + (nz.skip ? dot4_blocks(row, x, n_in, nz.index, nz.count) : dot(row, x, n_in));
  }
  return static_cast<uint64_t>(row_macs_done(nz, n_in)) * n_out;
}

uint64_t dense_forward(float* y, const float* x, const float* w, const float* b, uint32_t n_in,
                       uint32_t n_out) {
  NonzeroBlocks nz;
  find_nonzero_blocks(x, n_in, &nz);
  return dense_forward_nz(y, x, w, b, n_in, n_out, nz);
}

// The listed blocks and the tail of axpy: every element is the same y[i] + a x[i].
void axpy_nz(float* __restrict y, float a, const float* __restrict x, uint32_t n,
             const BlockList& nz) {
  if (!nz.skip) {
    axpy(y, a, x, n);
    return;
  }
  for (uint32_t t = 0; t < nz.count; ++t) {
    const size_t i = static_cast<size_t>(nz.index[t]) * 4u;
#if defined(TINYPROP_FLOAT4)
    *reinterpret_cast<Float4*>(y + i) = load4(y + i) + a * load4(x + i);  // lane-wise, same bits
#else
    float* __restrict py = y + i;  // immediate offsets on a Cortex-M, as in dot4_blocks
    const float* __restrict px = x + i;
    py[0] += a * px[0];
    py[1] += a * px[1];
    py[2] += a * px[2];
    py[3] += a * px[3];
#endif
  }
  for (size_t i = n - n % 4u; i < n; ++i) y[i] += a * x[i];
}

// w[j, :] += (coef dy[j]) x for j in rows over nz's blocks and the tail, up to four rows per
// pass over x (rows4_axpy.h): every element is axpy's w + a x with a = coef dy[j] (coef = 1
// gives dy[j] exactly), so the bits are those of one axpy / axpy_nz call per row in list
// order, a repeated row included.
// nz null: the dense loop (no list to build or copy).
static void axpy_row_list(float* w, const float* x, const float* dy, float coef,
                          const uint32_t* rows, uint32_t n_rows, uint32_t n_in,
                          const BlockList* nz) {
  const bool skip = nz != nullptr && nz->skip;
#if defined(TINYPROP_FLOAT4)
  // x86: one to seven rows per pass (for_each_group).
  if (n_rows == 0) return;
  if (skip) {
    const uint16_t* blocks = nz->index;
    sgd_row_list(w, x, dy, coef, rows, n_rows, n_in, nz->count,
                 [blocks](uint32_t b) { return 4 * static_cast<size_t>(blocks[b]); });
  } else {
    sgd_row_list(w, x, dy, coef, rows, n_rows, n_in, n_in / 4u,
                 [](uint32_t b) { return 4 * static_cast<size_t>(b); });
  }
#else
  const size_t whole = n_in - n_in % 4u;
  // Rows t .. t + group - 1 (group 1 to 4; unused entries of ws and a are never read).
  auto pass = [&](uint32_t t, uint32_t group) {
    float* ws[4];
    float a[4];
    for (uint32_t r = 0; r < group; ++r) {
      const uint32_t j = row_at(rows, t + r);
      ws[r] = w + static_cast<size_t>(j) * n_in;
      a[r] = coef * dy[j];
    }
    for (uint32_t r = group; r < 4; ++r) {
      ws[r] = ws[0];
      a[r] = 0.0f;
    }
    if (skip) {
      sgd_rows4_blocks(ws, a, x, nz->index, nz->count, group);
    } else {
      sgd_rows4(ws, a, x, n_in / 4u, group);
    }
    for (uint32_t r = 0; r < group; ++r) {
      for (size_t i = whole; i < n_in; ++i) ws[r][i] += a[r] * x[i];
    }
  };
  uint32_t t = 0;
  for (; t + 4 <= n_rows; t += 4) pass(t, 4);
  if (t < n_rows) pass(t, n_rows - t);
#endif
}

// dx = 0, then dx += dy[j] w[j, :] for the rows in list order, four rows per pass over dx, then
// two, then one (the blocked helpers keep the per-element summation order of one axpy per row).
void dense_backward_input(float* dx, const float* w, const float* dy, const uint32_t* rows,
                          uint32_t n_rows, uint32_t n_in) {
#if defined(TINYPROP_FLOAT4)
  // x86: one to seven rows per pass (for_each_group), the first pass writing dx without
  // clearing it first.
  if (n_rows == 0) {
    for (uint32_t i = 0; i < n_in; ++i) dx[i] = 0.0f;
    return;
  }
  for_each_group(n_rows, [&](auto rc, uint32_t t) {
    constexpr uint32_t R = decltype(rc)::value;
    const RowGroup<R, const float> g(w, dy, 1.0f, rows, t, n_in);
    if (t == 0) {
      error_rows<R, true>(dx, g, n_in);
    } else {
      error_rows<R, false>(dx, g, n_in);
    }
  });
#else
  for (uint32_t i = 0; i < n_in; ++i) dx[i] = 0.0f;
#if defined(TINYPROP_ARM_VFP_ROWS4)
  // Groups of up to four rows in list order, each element summed row after row (error_rows4
  // over the whole blocks, then the tail in C in the same order).
  const size_t whole = n_in - n_in % 4u;
  auto pass = [&](uint32_t t, uint32_t group) {
    const float* ws[4];
    float a[4];
    for (uint32_t r = 0; r < group; ++r) {
      const uint32_t j = row_at(rows, t + r);
      ws[r] = row_ptr(w, j, n_in);
      a[r] = dy[j];
    }
    for (uint32_t r = group; r < 4; ++r) {  // never read
      ws[r] = ws[0];
      a[r] = 0.0f;
    }
    error_rows4(dx, a, ws, n_in / 4u, group);
    for (size_t i = whole; i < n_in; ++i) {
      for (uint32_t r = 0; r < group; ++r) dx[i] += a[r] * ws[r][i];
    }
  };
  uint32_t t = 0;
  for (; t + 4 <= n_rows; t += 4) pass(t, 4);
  if (t < n_rows) pass(t, n_rows - t);
#else
  uint32_t t = 0;
  for (; t + 4 <= n_rows; t += 4) {
    const uint32_t j0 = row_at(rows, t), j1 = row_at(rows, t + 1);
    const uint32_t j2 = row_at(rows, t + 2), j3 = row_at(rows, t + 3);
    const float a[4] = {dy[j0], dy[j1], dy[j2], dy[j3]};
    axpy_rows4(dx, a, row_ptr(w, j0, n_in), row_ptr(w, j1, n_in), row_ptr(w, j2, n_in),
               row_ptr(w, j3, n_in), n_in);
  }
  if (t + 2 <= n_rows) {
    const uint32_t j0 = row_at(rows, t), j1 = row_at(rows, t + 1);
    axpy_rows2(dx, dy[j0], row_ptr(w, j0, n_in), dy[j1], row_ptr(w, j1, n_in), n_in);
    t += 2;
  }
  if (t < n_rows) {
    const uint32_t j = row_at(rows, t);
    axpy(dx, dy[j], row_ptr(w, j, n_in), n_in);
  }
#endif
#endif
}

// With zero-skipping each row is one axpy_nz (its listed blocks only).
void dense_accumulate_weight_grad_nz(float* dw, const float* x, const float* dy,
                                     const uint32_t* rows, uint32_t n_rows, uint32_t n_in,
                                     const BlockList& nz) {
#if defined(TINYPROP_ARM_VFP_ROWS4)
  axpy_row_list(dw, x, dy, 1.0f, rows, n_rows, n_in, &nz);
#else
  if (!nz.skip) {
    dense_accumulate_weight_grad(dw, x, dy, rows, n_rows, n_in);
    return;
  }
  for (uint32_t t = 0; t < n_rows; ++t) {
    const uint32_t j = row_at(rows, t);
    axpy_nz(dw + static_cast<size_t>(j) * n_in, dy[j], x, n_in, nz);
  }
#endif
}

// dW[j, :] += dy[j] x for the listed rows, two rows per pass (x read once for both). A row
// listed twice in a row would alias the two outputs, so such a pair takes the one-row path.
void dense_accumulate_weight_grad(float* dw, const float* x, const float* dy,
                                  const uint32_t* rows, uint32_t n_rows, uint32_t n_in) {
#if defined(TINYPROP_ARM_VFP_ROWS4)
  axpy_row_list(dw, x, dy, 1.0f, rows, n_rows, n_in, nullptr);
#else
  uint32_t t = 0;
  for (; t + 2 <= n_rows; t += 2) {
    const uint32_t j0 = row_at(rows, t), j1 = row_at(rows, t + 1);
    float* const r0 = dw + static_cast<size_t>(j0) * n_in;
    float* const r1 = dw + static_cast<size_t>(j1) * n_in;
    if (j0 == j1) {
      axpy(r0, dy[j0], x, n_in);
      axpy(r1, dy[j1], x, n_in);
    } else {
      axpy_pair(r0, dy[j0], r1, dy[j1], x, n_in);
    }
  }
  if (t < n_rows) {
    const uint32_t j = row_at(rows, t);
    axpy(dw + static_cast<size_t>(j) * n_in, dy[j], x, n_in);
  }
#endif
}

// The factor optimizer_update passes to axpy for plain SGD is -lr scale = (-lr) dy[j].
void dense_sgd_update_rows(float* w, const float* x, const float* dy, float lr,
                           const uint32_t* rows, uint32_t n_rows, uint32_t n_in,
                           const BlockList& nz) {
  axpy_row_list(w, x, dy, -lr, rows, n_rows, n_in, &nz);
}

}  // namespace tinyprop
