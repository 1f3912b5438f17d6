// Shared helpers of the model-file tests (test_model_file*.cpp): bit-exact comparisons, awkward
// float values, byte edits behind a valid size and CRC, and a bound model + trainer on the heap.
#pragma once
#include <gtest/gtest.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "formats/model_file.h"
#include "formats/model_file_format.h"
#include "tinyprop/tinyprop.h"

namespace tinyprop::test {

inline uint32_t bits_of(float v) {
  uint32_t b;
  memcpy(&b, &v, sizeof(b));
  return b;
}

// Params with awkward bit patterns (signed zero, subnormals, extremes, NaN payload) plus
// pseudo-random values: a round trip must keep every bit.
inline std::vector<float> awkward_values(size_t n, uint64_t seed) {
  std::vector<float> v(n);
  Rng rng(seed);
  for (float& x : v) x = rng.normal();
  const float specials[] = {-0.0f,
                            std::numeric_limits<float>::denorm_min(),
                            -1e-40f,
                            std::numeric_limits<float>::max(),
                            -std::numeric_limits<float>::min(),
                            std::numeric_limits<float>::infinity(),
                            std::nanf("0x1234")};
  for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]) && i < n; ++i)
    v[i * 3 % n] = specials[i];
  return v;
}

// Every LayerSpec field, bit for bit.
inline void expect_same_spec(const ModelSpec& a, const ModelSpec& b) {
  EXPECT_EQ(a.input.h, b.input.h);
  EXPECT_EQ(a.input.w, b.input.w);
  EXPECT_EQ(a.input.c, b.input.c);
  EXPECT_EQ(a.loss, b.loss);
  ASSERT_EQ(a.n_layers, b.n_layers);
  for (uint32_t i = 0; i < a.n_layers; ++i) {
    const LayerSpec& x = a.layers[i];
    const LayerSpec& y = b.layers[i];
    EXPECT_EQ(x.kind, y.kind) << i;
    EXPECT_EQ(x.units, y.units) << i;
    EXPECT_EQ(bits_of(x.alpha), bits_of(y.alpha)) << i;
    EXPECT_EQ(x.trainable, y.trainable) << i;
    EXPECT_EQ(x.filters, y.filters) << i;
    EXPECT_EQ(x.kernel_h, y.kernel_h) << i;
    EXPECT_EQ(x.kernel_w, y.kernel_w) << i;
    EXPECT_EQ(x.stride_h, y.stride_h) << i;
    EXPECT_EQ(x.stride_w, y.stride_w) << i;
    EXPECT_EQ(x.pad_h, y.pad_h) << i;
    EXPECT_EQ(x.pad_w, y.pad_w) << i;
    EXPECT_EQ(x.pad_same, y.pad_same) << i;
  }
}

inline void expect_same(const host::ModelFile& a, const host::ModelFile& b) {
  expect_same_spec(a.spec, b.spec);
  ASSERT_EQ(a.params.size(), b.params.size());
  for (size_t i = 0; i < a.params.size(); ++i)
    EXPECT_EQ(bits_of(a.params[i]), bits_of(b.params[i])) << i;
  EXPECT_EQ(a.has_optimizer_state, b.has_optimizer_state);
  EXPECT_EQ(a.optimizer, b.optimizer);
  EXPECT_EQ(a.optimizer_steps, b.optimizer_steps);
  ASSERT_EQ(a.optimizer_state.size(), b.optimizer_state.size());
  for (size_t i = 0; i < a.optimizer_state.size(); ++i) {
    EXPECT_EQ(bits_of(a.optimizer_state[i]), bits_of(b.optimizer_state[i])) << i;
  }
  EXPECT_EQ(a.metadata, b.metadata);
}

// After editing a file's bytes on purpose: set the declared size and recompute the CRC, so
// that only the edit itself is wrong.
inline void fix_size_and_crc(std::vector<uint8_t>* b) {
  const uint64_t size = b->size();
  for (int i = 0; i < 8; ++i)
    (*b)[host::tpm::kFileSizeOffset + static_cast<size_t>(i)] =
        static_cast<uint8_t>(size >> (8 * i));
  const size_t body = b->size() - 4;
  const uint32_t crc = static_cast<uint32_t>(crc32_z(crc32_z(0L, Z_NULL, 0), b->data(), body));
  for (int i = 0; i < 4; ++i)
    (*b)[body + static_cast<size_t>(i)] = static_cast<uint8_t>(crc >> (8 * i));
}

inline void put_le32(std::vector<uint8_t>* b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    (*b)[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}

// A CNN with every window kind and geometry the format stores: a rectangular strided conv with
// asymmetric explicit padding, a frozen depthwise conv with "same" padding, max pooling, padded
// overlapping average pooling, a 1x1 conv, leaky ReLU, global average pooling, flatten, dense.
// Shapes: 9x8x2 -> 5x7x4 -> 5x7x4 -> 2x3x4 -> 2x3x4 -> 2x3x3 -> 1x1x3 -> 1x1x3 -> 5 -> 3.
inline ModelSpec every_kind_cnn() {
  ModelSpec s;
  s.input = Shape{9, 8, 2};
  LayerSpec conv;
  conv.kind = LayerKind::kConv2D;
  conv.filters = 4;
  conv.kernel_h = 3;
  conv.kernel_w = 2;
  conv.stride_h = 2;
  conv.stride_w = 1;
  conv.pad_h = 1;
  conv.pad_w = 0;
  EXPECT_TRUE(ok(s.add(conv)));                                                  // 0
  EXPECT_TRUE(ok(s.add_activation(LayerKind::kReLU)));                           // 1
  EXPECT_TRUE(ok(s.add_depthwise_conv2d(3, 1, kPadSame, /*trainable=*/false)));  // 2
  EXPECT_TRUE(ok(s.add_max_pool2d(2)));                                          // 3
  EXPECT_TRUE(ok(s.add_avg_pool2d(3, 1, 1)));                                    // 4
  EXPECT_TRUE(ok(s.add_conv2d(3, 1)));                                           // 5
  EXPECT_TRUE(ok(s.add_activation(LayerKind::kLeakyReLU, 0.25f)));               // 6
  EXPECT_TRUE(ok(s.add_global_avg_pool()));                                      // 7
  EXPECT_TRUE(ok(s.add_flatten()));                                              // 8
  EXPECT_TRUE(ok(s.add_dense(5)));                                               // 9
  EXPECT_TRUE(ok(s.add_activation(LayerKind::kTanh)));                           // 10
  EXPECT_TRUE(ok(s.add_dense(3)));                                               // 11
  EXPECT_TRUE(ok(s.validate()));
  return s;
}

// A model and trainer bound on one heap arena (aligned as the core requires).
struct BoundTraining {
  std::unique_ptr<uint8_t[]> memory;
  Model model;
  Trainer trainer;

  BoundTraining(const ModelSpec& spec, const TrainConfig& config) {
    MemoryPlan plan;
    EXPECT_TRUE(ok(Trainer::plan(spec, config, &plan)));
    memory.reset(new uint8_t[plan.total() + kArenaAlignment]);
    const uintptr_t at = reinterpret_cast<uintptr_t>(memory.get());
    const size_t pad = (kArenaAlignment - at % kArenaAlignment) % kArenaAlignment;
    EXPECT_TRUE(
        ok(bind_training(spec, config, memory.get() + pad, plan.total(), &model, &trainer)));
  }
};

}  // namespace tinyprop::test
