// The big objects a firmware keeps as globals (Model, Trainer, ModelSpec) must start as all
// zero bytes from a constant (constexpr) initialiser: the compiler then puts a global of them
// into .bss (zero-filled at start-up) instead of .data, whose initial image costs flash and
// RAM alike. Each test needs both halves: the constexpr variable fails to compile when the
// default constructor stops being a constant expression (the object would be initialised at
// run time), the byte scan fails when a non-zero default creeps into a member. The firmware's
// sections themselves are checked by tests/mcu/run-tests.sh.
#include <gtest/gtest.h>

#include "test_util.h"

namespace tinyprop_test {
namespace {

template <typename T>
size_t nonzero_bytes(const T& object) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(&object);
  size_t nonzero = 0;
  for (size_t i = 0; i < sizeof object; ++i) nonzero += bytes[i] != 0 ? 1u : 0u;
  return nonzero;
}

TEST(Placement, AnUnboundModelIsConstantAllZeroBytes) {
  static constexpr Model kModel{};
  EXPECT_EQ(nonzero_bytes(kModel), 0u);
  EXPECT_EQ(kModel.n_layers(), 0u);
  EXPECT_FALSE(kModel.bound());
}

TEST(Placement, AnUnboundTrainerIsConstantAllZeroBytes) {
  static constexpr Trainer kTrainer{};
  EXPECT_EQ(nonzero_bytes(kTrainer), 0u);
  EXPECT_FALSE(kTrainer.bound());
}

TEST(Placement, AnEmptySpecIsConstantAllZeroBytes) {
  static constexpr ModelSpec kSpec{};
  EXPECT_EQ(nonzero_bytes(kSpec), 0u);
  EXPECT_EQ(kSpec.n_layers, 0u);
  EXPECT_EQ(kSpec.validate(), Status::kBadShape) << "an empty spec is not a model";
}

// The zero state is only the unbound one: binding gives the configured values (the defaults'
// bits are kept, so training is unchanged), and layers added to an empty spec get LayerSpec's
// defaults, not the blank unused slots.
TEST(Placement, BindingAndAddingRestoreTheDefaults) {
  ModelSpec spec;
  spec.input = Shape{1, 1, 6};
  ASSERT_EQ(spec.add_dense(4), Status::kOk);
  ASSERT_EQ(spec.add_activation(LayerKind::kLeakyReLU), Status::kOk);
  ASSERT_EQ(spec.add_dense(3), Status::kOk);
  EXPECT_TRUE(spec.layers[0].trainable);
  EXPECT_EQ(spec.layers[1].alpha, 0.01f);
  EXPECT_EQ(spec.layers[2].stride_h, 1u);
  EXPECT_EQ(spec.layers[3].stride_h, 0u) << "an unused slot stays blank";

  static Model model;
  static Trainer trainer;
  alignas(16) static unsigned char memory[16384];
  const TrainConfig config;
  ASSERT_EQ(bind_training(spec, config, memory, sizeof memory, &model, &trainer), Status::kOk);
  EXPECT_EQ(trainer.config().optimizer.learning_rate, config.optimizer.learning_rate);
  EXPECT_EQ(trainer.config().batch_size, 1u);
  EXPECT_EQ(trainer.step_backward_cap(), UINT64_MAX) << "no bound configured";
  EXPECT_EQ(trainer.state(0).depth, 1);
  EXPECT_EQ(trainer.state(1).depth, -1) << "not trainable";
  EXPECT_EQ(trainer.state(2).budget_share, 1.0f);
}

}  // namespace
}  // namespace tinyprop_test
