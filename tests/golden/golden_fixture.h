// Helpers of the golden tests: read the PyTorch fixtures written by refgen/make_golden.py,
// compare float buffers with a stated tolerance, and build a tinyprop model from a fixture.
#pragma once
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tinyprop/tinyprop.h"

namespace tinyprop::golden {

using Json = nlohmann::json;

// Loads tests/fixtures/<name>. Fails the current test (and returns null) if it is missing.
Json load_fixture(const std::string& name);

// JSON numbers (a flat list, or a list of rows) as float32, row-major.
std::vector<float> floats(const Json& j);

// |got - want| <= abs + rel * |want|, element by element.
struct Tolerance {
  double rel;
  double abs;
};

// Compares two buffers; on failure names `what`, the number of bad elements, the worst one,
// and the largest absolute and relative errors.
::testing::AssertionResult all_close(const std::vector<float>& got,
                                     const std::vector<float>& want, Tolerance tol,
                                     const std::string& what);
::testing::AssertionResult all_close(const float* got, const std::vector<float>& want,
                                     Tolerance tol, const std::string& what);
::testing::AssertionResult close(float got, float want, Tolerance tol, const std::string& what);

LayerKind layer_kind(const std::string& name);
LossKind loss_kind(const std::string& name);

// The fixture's "model" object as a ModelSpec.
ModelSpec model_spec(const Json& model);

// A model and trainer bound to one heap block that outlives them (not movable: the trainer
// keeps a pointer to the model).
struct TrainingSetup {
  struct alignas(kArenaAlignment) Block {
    unsigned char bytes[kArenaAlignment];
  };
  std::vector<Block> arena;
  Model model;
  Trainer trainer;
};

// Binds spec + config; fails the current test (and returns null) on any error status.
std::unique_ptr<TrainingSetup> bind(const ModelSpec& spec, const TrainConfig& config);

// Copies a fixture's per-layer parameter list [{"layer", "w", "b"}, ...] into the model.
void set_params(Model& model, const Json& layers);

// The target of sample s of a fixture's "data" (labels for softmax cross-entropy, else
// value vectors; `values` must stay alive while the Target is used).
Target target_of(const Json& data, size_t s, std::vector<float>* values);

}  // namespace tinyprop::golden
