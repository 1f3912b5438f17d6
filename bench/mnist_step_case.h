// The MNIST training-step case shared by zero_skip_bench (wall time) and step_icount (callgrind):
// 784-128-64-10, SGD lr 0.01, batch 1, one Trainer::train_sample per step on the first MNIST
// test images scaled to [0, 1], labels i mod 10.
#pragma once
#include <stdint.h>

#include <memory>
#include <vector>

#include "tinyprop/tinyprop.h"

namespace tinyprop::bench {

constexpr uint32_t kMnistPixels = 784;

// The first `count` MNIST test images scaled to [0, 1] ($TINYPROP_DATA_DIR/mnist or
// data/mnist), or empty without the file.
std::vector<float> mnist_images(uint32_t count);

struct MnistStepCase {
  ModelSpec spec;
  TrainConfig cfg;
  std::vector<unsigned char> arena;
  Model model;
  Trainer trainer;
  const std::vector<float>* images = nullptr;
  uint32_t next = 0;  // the next image (cycles)

  // One training step on the next image; its counters in *c.
  void step(StepCounters* c);
};

// A bound case (weights from Rng(7)), or null with *error set when a stage fails.
std::unique_ptr<MnistStepCase> make_mnist_step_case(Method method, bool zero_skip,
                                                    const std::vector<float>* images,
                                                    const char** error);

}  // namespace tinyprop::bench
