// Zero-skipping (kernels/dense.h): skipping all-zero input blocks gives the dense loops' bits in
// the forward pass, the accumulated weight gradients and the plain-SGD row updates, and the
// counters report the MACs actually done next to the unchanged dense counts.
#include <gtest/gtest.h>
#include <math.h>

#include <string>

#include "test_conv_util.h"
#include "test_util.h"
#include "tinyprop/kernels/dense.h"

namespace tinyprop_test {
namespace {

// x [n]: each block of four is all zeros with probability p_zero_block; the other blocks and
// the tail get zeros with probability 0.3. Zeros are -0 or +0 at random (both must be skipped).
std::vector<float> sparse_input(Rng& rng, uint32_t n, float p_zero_block) {
  std::vector<float> x(n);
  bool zero_block = false;
  for (uint32_t i = 0; i < n; ++i) {
    if (i % 4 == 0) zero_block = i + 4 <= n && rng.uniform01() < p_zero_block;
    const float v = rng.uniform(-1.0f, 1.0f);
    const bool zero = zero_block || rng.uniform01() < 0.3f;
    x[i] = zero ? (rng.uniform01() < 0.5f ? -0.0f : 0.0f) : v;
  }
  return x;
}

// Blocks of x holding a nonzero, counted independently of find_nonzero_blocks.
uint32_t nonzero_blocks(const std::vector<float>& x) {
  uint32_t count = 0;
  for (size_t b = 0; b + 4 <= x.size(); b += 4) {
    if (x[b] != 0.0f || x[b + 1] != 0.0f || x[b + 2] != 0.0f || x[b + 3] != 0.0f) ++count;
  }
  return count;
}

// The early dense decision: each of the first 16 blocks holds a nonzero.
bool dense_probe(const std::vector<float>& x) {
  if (x.size() < 64) return false;
  const std::vector<float> head(x.begin(), x.begin() + 64);
  return nonzero_blocks(head) == 16;
}

NonzeroBlocks dense_decision() {
  NonzeroBlocks nz;
  nz.skip = false;
  return nz;
}

TEST(ZeroSkipKernels, ForwardHasTheDenseBitsAndCountsTheMacsDone) {
  Rng rng(11);
  uint32_t skipped_cases = 0, dense_cases = 0;
  for (uint32_t n_in : {1u, 3u, 4u, 5u, 7u, 8u, 13u, 64u, 127u, 784u, 1030u, 2601u}) {
    for (float p : {0.0f, 0.5f, 0.8f, 0.97f, 1.0f}) {
      const uint32_t n_out = 9;
      const std::vector<float> x = sparse_input(rng, n_in, p);
      const std::vector<float> w = random_vector(rng, static_cast<size_t>(n_in) * n_out, -1, 1);
      const std::vector<float> b = random_vector(rng, n_out, -0.5f, 0.5f);
      for (const float* bias : {b.data(), static_cast<const float*>(nullptr)}) {
        std::vector<float> dense(n_out), skip(n_out);
        const uint64_t dense_macs =
            dense_forward_nz(dense.data(), x.data(), w.data(), bias, n_in, n_out,
                             dense_decision());
        const uint64_t done = dense_forward(skip.data(), x.data(), w.data(), bias, n_in, n_out);
        EXPECT_TRUE(same_bits(dense.data(), skip.data(), n_out)) << n_in << " p " << p;
        EXPECT_EQ(dense_macs, uint64_t{n_in} * n_out);

        const uint32_t listed = nonzero_blocks(x), blocks = n_in / 4;
        const bool expect_skip = blocks > 0 && listed * 100 <= blocks * kZeroSkipMaxPercent &&
                                 listed <= kMaxNonzeroBlocks && !dense_probe(x);
        NonzeroBlocks nz;
        find_nonzero_blocks(x.data(), n_in, &nz);
        EXPECT_EQ(nz.skip, expect_skip) << n_in << " p " << p;
        const uint64_t expect_done =
            expect_skip ? uint64_t{4u * listed + n_in % 4} * n_out : uint64_t{n_in} * n_out;
        EXPECT_EQ(done, expect_done) << n_in << " p " << p;
        (expect_skip ? skipped_cases : dense_cases) += 1;
      }
    }
  }
  // A dense head (16 nonzero blocks) then zeros: dense by the probe, the same bits.
  {
    std::vector<float> x(400, 0.0f);
    for (uint32_t i = 0; i < 64; ++i) x[i] = rng.uniform(0.5f, 1.0f);
    NonzeroBlocks nz;
    find_nonzero_blocks(x.data(), 400, &nz);
    EXPECT_FALSE(nz.skip);
    x[3] = 0.0f; x[2] = -0.0f; x[1] = 0.0f; x[0] = 0.0f;  // one zero block in the head: skip
    find_nonzero_blocks(x.data(), 400, &nz);
    EXPECT_TRUE(nz.skip);
    EXPECT_EQ(nz.count, 15u);
  }
  // Both paths ran, including the list overflow at 2601 inputs with few zero blocks.
  EXPECT_GT(skipped_cases, 20u);
  EXPECT_GT(dense_cases, 10u);
}

// The sign of a zero sum: a lane sum starts at +0 and an IEEE sum is -0 only when both operands
// are -0, so every dot is +0 when its value is zero, with or without the skipped +-0 products.
TEST(ZeroSkipKernels, ZeroSumsArePlusZeroOnBothPaths) {
  const uint32_t n_in = 16, n_out = 3;
  std::vector<float> x(n_in, -0.0f);
  x[5] = 2.0f;  // one nonzero block; the other three are -0 and skipped
  std::vector<float> w(static_cast<size_t>(n_in) * n_out, -1.0f);
  // Row 0: every product -0 or exactly cancelling; rows 1, 2: zero weights against x[5].
  w[4] = 1.0f; w[5] = 0.0f;
  w[n_in + 5] = -0.0f;
  w[2 * n_in + 5] = 0.0f;
  std::vector<float> dense(n_out), skip(n_out);
  dense_forward_nz(dense.data(), x.data(), w.data(), nullptr, n_in, n_out, dense_decision());
  NonzeroBlocks nz;
  find_nonzero_blocks(x.data(), n_in, &nz);
  ASSERT_TRUE(nz.skip);
  ASSERT_EQ(nz.count, 1u);
  dense_forward_nz(skip.data(), x.data(), w.data(), nullptr, n_in, n_out, nz);
  for (uint32_t j = 0; j < n_out; ++j) {
    EXPECT_EQ(dense[j], 0.0f);
    EXPECT_FALSE(signbit(dense[j])) << j;
    EXPECT_FALSE(signbit(skip[j])) << j;
  }
}

TEST(ZeroSkipKernels, AccumulatedWeightGradientsHaveTheDenseBits) {
  Rng rng(12);
  for (uint32_t n_in : {5u, 8u, 30u, 784u}) {
    const uint32_t n_out = 7;
    const std::vector<float> x = sparse_input(rng, n_in, 0.85f);
    NonzeroBlocks nz;
    find_nonzero_blocks(x.data(), n_in, &nz);
    if (n_in >= 8) {
      EXPECT_TRUE(nz.skip) << n_in;
    }
    const std::vector<uint32_t> rows = {4, 1, 1, 6, 0};  // a repeated row, out of order
    for (const uint32_t* r : {static_cast<const uint32_t*>(nullptr), rows.data()}) {
      const uint32_t k = r == nullptr ? n_out : static_cast<uint32_t>(rows.size());
      // dw as the trainer holds it: +0, then sums of earlier samples (never -0).
      std::vector<float> dense(static_cast<size_t>(n_in) * n_out, 0.0f);
      for (size_t i = 0; i < dense.size(); i += 3) dense[i] = rng.uniform(-1.0f, 1.0f);
      std::vector<float> skip = dense;
      const std::vector<float> dy = random_vector(rng, n_out, -1.0f, 1.0f);
      dense_accumulate_weight_grad(dense.data(), x.data(), dy.data(), r, k, n_in);
      dense_accumulate_weight_grad_nz(skip.data(), x.data(), dy.data(), r, k, n_in, nz);
      EXPECT_TRUE(same_bits(dense.data(), skip.data(), dense.size())) << n_in;
    }
  }
}

// axpy_nz is axpy except for the documented case: y[i] == -0 in a skipped block where
// a * x[i] == +0, which axpy turns into +0 and axpy_nz leaves at -0.
TEST(ZeroSkipKernels, RowUpdateMatchesAxpyAndKeepsMinusZeroWeights) {
  Rng rng(13);
  const uint32_t n = 403;
  const std::vector<float> x = sparse_input(rng, n, 0.85f);
  NonzeroBlocks nz;
  find_nonzero_blocks(x.data(), n, &nz);
  ASSERT_TRUE(nz.skip);
  for (float a : {0.37f, -0.37f}) {
    std::vector<float> y = random_vector(rng, n, -1.0f, 1.0f);
    for (uint32_t i = 0; i < n; i += 5) y[i] = -0.0f;  // weights that are -0
    std::vector<float> dense = y, skip = y;
    axpy(dense.data(), a, x.data(), n);
    axpy_nz(skip.data(), a, x.data(), n, nz);
    uint32_t sign_flips = 0;
    for (uint32_t i = 0; i < n; ++i) {
      if (memcmp(&dense[i], &skip[i], sizeof(float)) == 0) continue;
      // The only difference allowed: -0 kept where dense computed -0 + (+0) = +0.
      const bool skipped_block = i < n - n % 4 && x[i - i % 4] == 0.0f &&
                                 x[i - i % 4 + 1] == 0.0f && x[i - i % 4 + 2] == 0.0f &&
                                 x[i - i % 4 + 3] == 0.0f;
      EXPECT_TRUE(skipped_block && y[i] == 0.0f && signbit(y[i]) && signbit(skip[i]) &&
                  !signbit(dense[i]) && !signbit(a * x[i]))
          << i;
      ++sign_flips;
    }
    // The case occurs (some -0 weights meet +0 products), so the test shows the rule.
    EXPECT_GT(sign_flips, 0u);
    // Without -0 weights the bits are axpy's.
    std::vector<float> y2 = random_vector(rng, n, -1.0f, 1.0f), d2 = y2;
    axpy(d2.data(), a, x.data(), n);
    axpy_nz(y2.data(), a, x.data(), n, nz);
    EXPECT_TRUE(same_bits(d2.data(), y2.data(), n));
  }
}

// Training: the same samples with zero-skipping on (the default) and off give the same bits in
// every parameter, optimizer buffer, loss and k, on every dense configuration; the dense MAC
// counts are unchanged and the MACs done are fewer exactly where inputs have zero blocks.
struct SkipCase {
  const char* name;
  TrainCase opt;
  Method method;
  float ratio;      // static ratio (kStatic), else unused
  bool sparse_bias;
  int model;        // 0: MLP 30-24-13-5 ReLU, 1: first layer frozen, 2: CNN -> flatten -> dense
};
void PrintTo(const SkipCase& c, std::ostream* os) { *os << c.name; }

ModelSpec skip_model(int which) {
  if (which == 2) return small_cnn(4, 4);
  ModelSpec spec = mlp_spec({30, 24, 13, 5}, LayerKind::kReLU);
  if (which == 1) spec.layers[0].trainable = false;
  return spec;
}

struct SkipRun {
  std::vector<float> params, losses;
  std::vector<uint32_t> ks;
  RunCounters counters;
};

SkipRun run(const SkipCase& sc, bool zero_skip) {
  TrainConfig cfg = sc.opt.config(sc.method);
  cfg.sparsity.ratio = sc.ratio;
  cfg.sparsity.sparse_bias = sc.sparse_bias;
  const ModelSpec spec = skip_model(sc.model);
  Bound b(spec, cfg, 5);
  EXPECT_EQ(b.status, Status::kOk);
  SkipRun r;
  if (!ok(b.status)) return r;
  b.model.set_zero_skipping(zero_skip);
  Rng rng(99);
  const uint32_t dim = spec.input.size();
  for (uint32_t s = 0; s < 120; ++s) {
    const std::vector<float> x = sparse_input(rng, dim, 0.8f);
    StepCounters c;
    b.trainer.train_sample(x.data(), Target::of_label(s % 4), &c);
    r.counters.add(c);
    r.losses.push_back(b.trainer.last_loss());
    for (uint32_t l = 0; l < b.model.n_layers(); ++l) r.ks.push_back(c.k[l]);
  }
  b.trainer.flush(nullptr);
  r.params = copy_of(b.model.params(), b.model.param_count());
  return r;
}

class ZeroSkipTraining : public ::testing::TestWithParam<SkipCase> {};

TEST_P(ZeroSkipTraining, SameBitsAsDenseAndHonestCounts) {
  const SkipCase sc = GetParam();
  const SkipRun dense = run(sc, false);
  const SkipRun skip = run(sc, true);
  ASSERT_FALSE(dense.params.empty());
  EXPECT_TRUE(same_bits(dense.params.data(), skip.params.data(), dense.params.size()));
  EXPECT_TRUE(same_bits(dense.losses.data(), skip.losses.data(), dense.losses.size()));
  EXPECT_EQ(dense.ks, skip.ks);

  const RunCounters &d = dense.counters, &s = skip.counters;
  EXPECT_EQ(d.forward_macs, s.forward_macs);
  EXPECT_EQ(d.backward_macs, s.backward_macs);
  EXPECT_EQ(d.backward_macs_full, s.backward_macs_full);
  EXPECT_EQ(d.forward_macs_done, d.forward_macs);  // off: every MAC is done
  EXPECT_EQ(d.backward_macs_done, d.backward_macs);
  // An MLP's input layer sees zero blocks on every sample: fewer forward MACs done (the CNN's
  // convolution skips window rows of zeros and its dense layer zero blocks, when there are any).
  if (sc.model != 2) {
    EXPECT_LT(s.forward_macs_done, s.forward_macs);
  } else {
    EXPECT_LE(s.forward_macs_done, s.forward_macs);
  }
  EXPECT_GT(s.forward_macs_done, 0u);
  // The first layer's weight gradient skips them too when it trains and the optimizer lets a
  // zero gradient be a no-op (plain SGD at batch 1; any optimizer when gradients accumulate).
  const bool first_trains = sc.model != 1 && sc.model != 2;
  const bool plain_or_accumulated = sc.opt.batch > 1 ||
                                    (sc.opt.kind == OptimizerKind::kSgd && sc.opt.momentum == 0);
  if (first_trains && plain_or_accumulated) {
    EXPECT_LT(s.backward_macs_done, s.backward_macs);
  } else {
    EXPECT_LE(s.backward_macs_done, s.backward_macs);
  }
}

const TrainCase kSgd1{"sgd_b1", OptimizerKind::kSgd, 0.05f, 0.0f, 1};
const TrainCase kSgd8{"sgd_b8", OptimizerKind::kSgd, 0.1f, 0.0f, 8};
const TrainCase kMom1{"momentum_b1", OptimizerKind::kSgd, 0.02f, 0.9f, 1};
const TrainCase kAdam1{"adam_b1", OptimizerKind::kAdam, 0.005f, 0.0f, 1};
const TrainCase kAdam8{"adam_b8", OptimizerKind::kAdam, 0.01f, 0.0f, 8};

INSTANTIATE_TEST_SUITE_P(
    DenseConfigs, ZeroSkipTraining,
    ::testing::Values(SkipCase{"full_sgd_b1", kSgd1, Method::kFull, 1.0f, false, 0},
                      SkipCase{"tinyprop_sgd_b1", kSgd1, Method::kTinyProp, 1.0f, false, 0},
                      SkipCase{"static03_sgd_b1_sparse_bias", kSgd1, Method::kStatic, 0.3f, true, 0},
                      SkipCase{"static03_sgd_b8", kSgd8, Method::kStatic, 0.3f, false, 0},
                      SkipCase{"tinyprop_sgd_b8_sparse_bias", kSgd8, Method::kTinyProp, 1.0f, true, 0},
                      SkipCase{"tinyprop_momentum_b1", kMom1, Method::kTinyProp, 1.0f, false, 0},
                      SkipCase{"full_adam_b1", kAdam1, Method::kFull, 1.0f, false, 0},
                      SkipCase{"tinypropv2_adam_b8", kAdam8, Method::kTinyPropV2, 1.0f, false, 0},
                      SkipCase{"tinyprop_frozen_first_sgd_b1", kSgd1, Method::kTinyProp, 1.0f, false, 1},
                      SkipCase{"static03_cnn_sgd_b1", kSgd1, Method::kStatic, 0.3f, false, 2},
                      SkipCase{"tinyprop_cnn_sgd_b8", kSgd8, Method::kTinyProp, 1.0f, false, 2}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace tinyprop_test

namespace tinyprop_test {
namespace {

// A list kept in a buffer of nonzero_block_capacity(n) entries (a trainer's arena list) has the
// decision and the list of the stack scan, and never writes past that capacity.
TEST(ZeroSkipKeptList, SameDecisionAndListAsTheStackScanWithinItsCapacity) {
  Rng rng(23);
  uint32_t skipped_cases = 0, dense_cases = 0;
  for (uint32_t n_in : {1u, 4u, 7u, 8u, 13u, 64u, 127u, 200u, 784u, 2048u, 2601u}) {
    for (float p : {0.0f, 0.3f, 0.5f, 0.8f, 0.97f, 1.0f}) {
      const std::vector<float> x = sparse_input(rng, n_in, p);
      NonzeroBlocks stack;
      find_nonzero_blocks(x.data(), n_in, &stack);
      const uint32_t cap = nonzero_block_capacity(n_in);
      EXPECT_LE(cap, kMaxNonzeroBlocks);
      std::vector<uint16_t> kept(cap + 1, 0xBEEF);  // one sentinel past the capacity
      const BlockList list = find_nonzero_blocks_into(x.data(), n_in, kept.data());
      const std::string where = "n_in " + std::to_string(n_in) + " p " + std::to_string(p);
      EXPECT_EQ(list.skip, stack.skip) << where;
      EXPECT_EQ(list.count, stack.count) << where;
      EXPECT_EQ(list.index, kept.data()) << where;
      EXPECT_EQ(kept[cap], 0xBEEF) << where;
      if (stack.skip) {
        for (uint32_t t = 0; t < stack.count; ++t) EXPECT_EQ(kept[t], stack.index[t]) << where;
      }
      (stack.skip ? skipped_cases : dense_cases) += 1;
    }
  }
  EXPECT_GT(skipped_cases, 10u);
  EXPECT_GT(dense_cases, 10u);
}

// The trainer's forward pass keeps each trainable dense layer's input list for the update, and
// the update spends it: a forward pass on another input before train_sample (loss() on x1)
// leaves the weights exactly those of training on x2 alone.
TEST(ZeroSkipKeptList, TrainerKeepsTheForwardListAndTheUpdateSpendsIt) {
  const ModelSpec spec = mlp_spec({200, 24, 10}, LayerKind::kReLU);
  const TrainConfig cfg = make_config(Method::kTinyProp, OptimizerKind::kSgd, 1, 0.05f);
  Rng rng(5);
  const std::vector<float> x1 = sparse_input(rng, 200, 0.8f);
  const std::vector<float> x2 = sparse_input(rng, 200, 0.6f);
  Bound a(spec, cfg), b(spec, cfg);
  ASSERT_EQ(a.status, Status::kOk);
  ASSERT_EQ(b.status, Status::kOk);

  (void)a.trainer.loss(x1.data(), Target::of_label(3));
  const LayerTrainState& st = a.trainer.state(0);
  ASSERT_NE(st.input_blocks, nullptr);
  ASSERT_TRUE(st.input_blocks_kept);
  NonzeroBlocks scan;
  find_nonzero_blocks(x1.data(), 200, &scan);
  ASSERT_TRUE(scan.skip);
  EXPECT_TRUE(st.input_blocks_skip);
  ASSERT_EQ(st.input_block_count, scan.count);
  for (uint32_t t = 0; t < scan.count; ++t) EXPECT_EQ(st.input_blocks[t], scan.index[t]);

  a.trainer.train_sample(x2.data(), Target::of_label(3), nullptr);
  b.trainer.train_sample(x2.data(), Target::of_label(3), nullptr);
  EXPECT_FALSE(a.trainer.state(0).input_blocks_kept) << "the update spends the list";
  EXPECT_TRUE(same_bits(a.model.params(), b.model.params(), a.model.param_count()));
  // And the same bits as training without zero-skipping at all.
  Bound dense(spec, cfg);
  dense.model.set_zero_skipping(false);
  dense.trainer.train_sample(x2.data(), Target::of_label(3), nullptr);
  EXPECT_TRUE(same_bits(a.model.params(), dense.model.params(), a.model.param_count()));
}

}  // namespace
}  // namespace tinyprop_test
