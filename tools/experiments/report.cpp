#include "experiments/report.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "util/atomic_file.h"
#include "util/error.h"
#include "experiments/train_loop.h"

namespace tinyprop::host {

nlohmann::json counters_json(const RunCounters& c, const Model& model) {
  nlohmann::json j;
  j["steps"] = c.steps;
  j["skipped_steps"] = c.skipped;
  j["skip_rate"] = c.steps > 0 ? static_cast<double>(c.skipped) / static_cast<double>(c.steps) : 0.0;
  j["forward_macs"] = c.forward_macs;
  j["backward_macs"] = c.backward_macs;
  j["backward_macs_full"] = c.backward_macs_full;
  j["forward_macs_done"] = c.forward_macs_done;    // executed: exact-zero input blocks skipped
  j["backward_macs_done"] = c.backward_macs_done;
  j["selection_comparisons"] = c.selection_comparisons;
  j["updated_params"] = c.updated_params;
  j["backward_ratio"] = c.backward_ratio();
  j["total_ratio"] = c.total_ratio();
  nlohmann::json layers = nlohmann::json::array();
  for (uint32_t l : param_layers(model.spec())) {
    layers.push_back({{"layer", l},
                      {"shape", layer_label(model, l)},
                      {"mean_k_over_n", c.mean_ratio(l)}});
  }
  j["layers"] = layers;
  return j;
}

nlohmann::json memory_plan_json(const MemoryPlan& plan) {
  nlohmann::json j;
  for (size_t r = 0; r < static_cast<size_t>(Region::kCount); ++r) {
    j[region_name(static_cast<Region>(r))] = plan.bytes[r];
  }
  j["total"] = plan.total();
  return j;
}

nlohmann::json train_config_json(const TrainConfig& cfg) {
  nlohmann::json j;
  const OptimizerConfig& o = cfg.optimizer;
  j["optimizer"] = o.kind == OptimizerKind::kAdam ? "adam" : "sgd";
  j["learning_rate"] = float_value(o.learning_rate);
  if (o.kind == OptimizerKind::kSgd) {
    j["momentum"] = float_value(o.momentum);
  } else {
    j["beta1"] = float_value(o.beta1);
    j["beta2"] = float_value(o.beta2);
    j["epsilon"] = float_value(o.epsilon);
  }
  j["batch"] = cfg.batch_size;
  const SparsityConfig& s = cfg.sparsity;
  j["method"] = method_name(s.method);
  switch (s.method) {
    case Method::kFull:
      break;
    case Method::kStatic:
      j["ratio"] = float_value(s.ratio);
      break;
    case Method::kTinyPropV2:
      j["skip_threshold"] = float_value(s.skip_threshold);
      [[fallthrough]];
    case Method::kTinyProp:
      j["s_min"] = float_value(s.s_min);
      j["s_max"] = float_value(s.s_max);
      j["zeta"] = float_value(s.zeta);
      break;
    case Method::kBudget:
      j["budget"] = float_value(s.budget);
      break;
  }
  if (s.max_backward_macs > 0) j["max_backward_macs"] = s.max_backward_macs;
  if (s.method != Method::kFull) j["conv_selection"] = conv_selection_name(s.conv_selection);
  return j;
}

void check_output_path(const std::string& path, const std::string& flag,
                       const std::vector<NamedPath>& inputs) {
  if (path.empty()) throw Error(flag + ": empty path");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    throw Error(flag + ": '" + path + "' is a directory");
  }
  const std::string kind = non_regular_kind(path);
  if (!kind.empty()) {
    throw Error(flag + ": '" + path + "' is " + kind +
                ", expected a regular file or a new name (it is never replaced)");
  }
  for (const NamedPath& in : inputs) {
    if (!in.path.empty() && same_file(path, in.path)) {
      throw Error(flag + ": '" + path + "' is the same file as " + in.flag + " '" + in.path +
                  "' (the input would be overwritten)");
    }
  }
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw Error(flag + ": directory '" + dir + "' does not exist");
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    throw Error(flag + ": directory '" + dir + "' is not writable");
  }
}

void make_directories(const std::string& dir) {
  if (dir.empty()) return;
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (partial.empty()) continue;
    struct stat st {};
    if (::stat(partial.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) throw Error("'" + partial + "' exists and is not a directory");
      continue;
    }
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      throw Error("cannot create directory '" + partial + "': " + std::strerror(errno));
    }
  }
}

std::string command_line(int argc, const char* const* argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    const bool plain = !a.empty() && a.find_first_not_of(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=+./:,@%") ==
        std::string::npos;
    if (i > 0) out += ' ';
    if (plain) {
      out += a;
    } else {  // single quotes; an embedded ' becomes '\''
      out += '\'';
      for (char ch : a) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
      out += '\'';
    }
  }
  return out;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace tinyprop::host
