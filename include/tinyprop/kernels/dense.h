// Dense-layer kernels: plain functions over raw buffers.
//
// Backward kernels take a row list: `rows` holds the selected output neurons (n_rows of them),
// or is null for "all rows 0..n_rows-1". Full backprop is the same code with rows = null, which
// is what makes ratio-1 sparse training bit-identical to full training.
#pragma once
#include <stdint.h>

namespace tinyprop {

// Zero-skipping. An input x[i] == 0 (either sign) adds an exact zero to every forward sum and
// changes no weight gradient, so the kernels below may skip it. They skip whole blocks of four
// inputs x[4b..4b+3] (b < n / 4) that are all zeros, which keeps the four-lane order of the
// dense dot (one block is one element per lane) and its SIMD shape; the tail n - n % 4 .. n - 1
// is always computed. Skipping pays only when few blocks hold a nonzero (a listed block costs
// an index load more than a dense one), so the list is used when at most
// kZeroSkipMaxPercent % of the blocks are listed; else the dense loops run.
inline constexpr uint32_t kMaxNonzeroBlocks = 256;   // list capacity: 512 bytes of stack
inline constexpr uint32_t kZeroSkipMaxPercent = 50;  // measured, docs/BENCHMARKS.md

// A zero-skip decision and its list, wherever the list is stored (the kernels read only this).
struct BlockList {
  bool skip = false;                // true: only the listed blocks (plus the tail) are computed
  uint32_t count = 0;               // listed blocks (valid when skip)
  const uint16_t* index = nullptr;  // blocks with a nonzero element, increasing
};

// The same with its list on the stack.
struct NonzeroBlocks {
  bool skip = false;
  uint32_t count = 0;
  uint16_t index[kMaxNonzeroBlocks];
  operator BlockList() const { return BlockList{skip, count, index}; }
};

// Lists the blocks of x [n] with a nonzero element (NaN counts as nonzero) and decides skip:
// the list fits, n / 4 fits in uint16_t, count <= kZeroSkipMaxPercent % of n / 4, and not all
// of the first 16 blocks hold a nonzero (a dense input stops the scan there).
void find_nonzero_blocks(const float* x, uint32_t n, NonzeroBlocks* nz);
// Entries the list of an input of n floats can need: min(kZeroSkipMaxPercent % of n / 4,
// kMaxNonzeroBlocks), 0 where skipping never applies. A list is longer than that only when
// the dense loop is chosen, so a buffer of this size gives the decision of a NonzeroBlocks.
uint32_t nonzero_block_capacity(uint32_t n);
// find_nonzero_blocks into index [nonzero_block_capacity(n)] (kept for a later pass over the
// same input, such as the weight update after the forward pass): the same decision and list.
BlockList find_nonzero_blocks_into(const float* x, uint32_t n, uint16_t* index);
// The dense decision (skip = false): the reference path.
inline NonzeroBlocks dense_blocks() { return NonzeroBlocks{}; }
// MACs one row of length n actually does under nz (n when not skipping).
inline uint32_t row_macs_done(const BlockList& nz, uint32_t n) {
  return nz.skip ? 4u * nz.count + n % 4u : n;
}

// y[j] = b[j] + sum_i w[j, i] x[i]            w: [n_out, n_in], b may be null
// Skips all-zero input blocks where that pays (find_nonzero_blocks); the bits are those of the
// dense loop for finite weights (a weight of +-inf or NaN against a zero input gives NaN only in
// the dense loop). Returns the MACs done (n_out * n_in without skipping).
uint64_t dense_forward(float* y, const float* x, const float* w, const float* b, uint32_t n_in,
                       uint32_t n_out);
// The same with the caller's decision (dense_blocks() for the dense loop).
uint64_t dense_forward_nz(float* y, const float* x, const float* w, const float* b,
                          uint32_t n_in, uint32_t n_out, const BlockList& nz);

// dx = sum_{j in rows} dy[j] * w[j, :]        (overwrites dx [n_in])
void dense_backward_input(float* dx, const float* w, const float* dy, const uint32_t* rows,
                          uint32_t n_rows, uint32_t n_in);

// dw[j, :] += dy[j] * x   for j in rows        (accumulates into dw [n_out, n_in])
void dense_accumulate_weight_grad(float* dw, const float* x, const float* dy,
                                  const uint32_t* rows, uint32_t n_rows, uint32_t n_in);
// The same over the blocks nz lists (x's nonzero blocks) and the tail: same bits as the dense
// loop when no dw element is -0 (the trainer's gradients start at +0, and a float sum starting
// at +0 is never -0, so adding the skipped +-0 products would change nothing).
void dense_accumulate_weight_grad_nz(float* dw, const float* x, const float* dy,
                                     const uint32_t* rows, uint32_t n_rows, uint32_t n_in,
                                     const BlockList& nz);

// Plain SGD, batch 1, the weight gradient dy[j] x consumed in its update:
//   w[j, :] += (-lr dy[j]) x   for j in rows (null: 0..n_rows-1), over nz's blocks and the tail
// Row by row the bits of axpy (dense nz) or axpy_nz with the factor -lr dy[j]; four rows share
// each load of x.
void dense_sgd_update_rows(float* w, const float* x, const float* dy, float lr,
                           const uint32_t* rows, uint32_t n_rows, uint32_t n_in,
                           const BlockList& nz);

// Dot product with a fixed 4-way accumulation order (same bits on every platform).
float dot(const float* a, const float* b, uint32_t n);
// y += a * x
void axpy(float* y, float a, const float* x, uint32_t n);
// y += a * x over the blocks nz lists and the tail (all of y without skipping). Same bits as
// axpy for finite a, except that an element y[i] == -0 in a skipped block stays -0 where axpy
// adds a * x[i] = +0 and makes it +0 (equal values; training never makes a -0 weight, and a -0
// weight gives the same forward and error bits, whose sums are never -0).
void axpy_nz(float* y, float a, const float* x, uint32_t n, const BlockList& nz);

}  // namespace tinyprop
