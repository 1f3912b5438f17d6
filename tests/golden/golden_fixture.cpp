#include "golden_fixture.h"

#include <cmath>
#include <fstream>
#include <sstream>

namespace tinyprop::golden {

Json load_fixture(const std::string& name) {
  const std::string path = std::string(TINYPROP_FIXTURE_DIR) + "/" + name;
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "missing fixture " << path
                  << " (regenerate: /usr/bin/python3 refgen/make_golden.py)";
    return Json();
  }
  return Json::parse(in);
}

std::vector<float> floats(const Json& j) {
  std::vector<float> out;
  for (const Json& v : j) {
    if (v.is_array()) {
      for (const Json& u : v) out.push_back(static_cast<float>(u.get<double>()));
    } else {
      // The fixture holds the shortest decimal of a float32: double then float is exact.
      out.push_back(static_cast<float>(v.get<double>()));
    }
  }
  return out;
}

::testing::AssertionResult all_close(const float* got, const std::vector<float>& want,
                                     Tolerance tol, const std::string& what) {
  size_t bad = 0, worst = 0;
  double worst_excess = -1.0, max_abs = 0.0, max_rel = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double g = got[i], w = want[i];
    const double err = std::fabs(g - w);
    const double allowed = tol.abs + tol.rel * std::fabs(w);
    max_abs = std::fmax(max_abs, err);
    if (w != 0.0) max_rel = std::fmax(max_rel, err / std::fabs(w));
    // !(err <= allowed) also catches NaN.
    if (!(err <= allowed)) {
      ++bad;
      if (err - allowed > worst_excess || std::isnan(err)) {
        worst_excess = err - allowed;
        worst = i;
      }
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  std::ostringstream msg;
  msg.precision(9);
  msg << what << ": " << bad << " of " << want.size() << " elements outside |err| <= "
      << tol.abs << " + " << tol.rel << " |want|; worst [" << worst << "] got " << got[worst]
      << " want " << want[worst] << "; max abs err " << max_abs << ", max rel err " << max_rel;
  return ::testing::AssertionFailure() << msg.str();
}

::testing::AssertionResult all_close(const std::vector<float>& got,
                                     const std::vector<float>& want, Tolerance tol,
                                     const std::string& what) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure()
           << what << ": size " << got.size() << ", fixture has " << want.size();
  }
  return all_close(got.data(), want, tol, what);
}

::testing::AssertionResult close(float got, float want, Tolerance tol, const std::string& what) {
  return all_close(&got, std::vector<float>{want}, tol, what);
}

LayerKind layer_kind(const std::string& name) {
  if (name == "dense") return LayerKind::kDense;
  if (name == "relu") return LayerKind::kReLU;
  if (name == "leaky_relu") return LayerKind::kLeakyReLU;
  if (name == "sigmoid") return LayerKind::kSigmoid;
  if (name == "tanh") return LayerKind::kTanh;
  ADD_FAILURE() << "unknown layer kind in fixture: " << name;
  return LayerKind::kDense;
}

LossKind loss_kind(const std::string& name) {
  if (name == "softmax_cross_entropy") return LossKind::kSoftmaxCrossEntropy;
  if (name == "binary_cross_entropy") return LossKind::kBinaryCrossEntropy;
  if (name == "mean_squared_error") return LossKind::kMeanSquaredError;
  ADD_FAILURE() << "unknown loss in fixture: " << name;
  return LossKind::kSoftmaxCrossEntropy;
}

ModelSpec model_spec(const Json& model) {
  ModelSpec spec;
  spec.input = Shape{1, 1, model.at("input").get<uint32_t>()};
  spec.loss = loss_kind(model.at("loss").get<std::string>());
  for (const Json& l : model.at("layers")) {
    const LayerKind kind = layer_kind(l.at("kind").get<std::string>());
    Status s;
    if (kind == LayerKind::kDense) {
      s = spec.add_dense(l.at("units").get<uint32_t>());
    } else {
      s = spec.add_activation(kind, static_cast<float>(l.value("alpha", 0.01)));
    }
    EXPECT_EQ(s, Status::kOk) << status_name(s);
  }
  return spec;
}

std::unique_ptr<TrainingSetup> bind(const ModelSpec& spec, const TrainConfig& config) {
  MemoryPlan plan;
  Status s = Trainer::plan(spec, config, &plan);
  if (!ok(s)) {
    ADD_FAILURE() << "Trainer::plan: " << status_name(s);
    return nullptr;
  }
  auto setup = std::make_unique<TrainingSetup>();
  const size_t blocks = (plan.total() + kArenaAlignment - 1) / kArenaAlignment;
  setup->arena.resize(blocks);
  s = bind_training(spec, config, setup->arena.data(), blocks * kArenaAlignment, &setup->model,
                    &setup->trainer);
  if (!ok(s)) {
    ADD_FAILURE() << "bind_training: " << status_name(s);
    return nullptr;
  }
  return setup;
}

void set_params(Model& model, const Json& layers) {
  for (const Json& p : layers) {
    Layer& l = model.layer(p.at("layer").get<uint32_t>());
    const std::vector<float> w = floats(p.at("w"));
    const std::vector<float> b = floats(p.at("b"));
    ASSERT_EQ(w.size(), l.n_weights);
    ASSERT_EQ(b.size(), l.n_bias);
    for (size_t i = 0; i < w.size(); ++i) l.w[i] = w[i];
    for (size_t i = 0; i < b.size(); ++i) l.b[i] = b[i];
  }
}

Target target_of(const Json& data, size_t s, std::vector<float>* values) {
  if (data.contains("labels")) return Target::of_label(data.at("labels").at(s).get<uint32_t>());
  *values = floats(data.at("targets").at(s));
  return Target::of_values(values->data());
}

}  // namespace tinyprop::golden
