// The run record beside a host checkpoint (run_record.h).
#include "formats/run_record.h"

#include <stdlib.h>
#include <zlib.h>

#include <fstream>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/atomic_file.h"
#include "util/error.h"

namespace tinyprop::host {
namespace {

uint32_t crc_of(uint32_t crc, const void* data, size_t n) {
  return static_cast<uint32_t>(crc32_z(crc, static_cast<const Bytef*>(data), n));
}

// A float as the shortest decimal text that reads back as the same float ("0.001", not
// "0.00100000005"): 9 significant digits always do.
std::string float_text(float x) {
  std::string text;
  for (int digits = 6; digits <= 9; ++digits) {
    std::ostringstream o;
    o.precision(digits);
    o << x;
    text = o.str();
    if (strtof(text.c_str(), nullptr) == x) break;
  }
  return text;
}

}  // namespace

RunRecord make_run_record(const Dataset& train, uint64_t seed, uint32_t epochs, float lr,
                          float lr_end) {
  RunRecord r;
  r.seed = seed;
  r.epochs = epochs;
  r.lr = lr;
  r.lr_end = lr_end;
  r.samples = train.size();
  uint32_t crc = crc_of(0, nullptr, 0);
  crc = crc_of(crc, train.x.data(), train.x.size() * sizeof(float));
  r.data_crc = crc_of(crc, train.y.data(), train.y.size() * sizeof(uint32_t));
  return r;
}

std::string run_record_path(const std::string& checkpoint) { return checkpoint + ".run.json"; }

void write_run_record(const std::string& checkpoint, const RunRecord& r) {
  nlohmann::json j;
  j["tool"] = "tinyprop finetune";
  j["seed"] = r.seed;
  j["epochs"] = r.epochs;
  j["lr"] = float_text(r.lr);
  j["lr_end"] = float_text(r.lr_end);
  j["samples"] = r.samples;
  j["data_crc32"] = r.data_crc;
  const std::string text = j.dump(2) + "\n";
  write_file_atomic(run_record_path(checkpoint), std::vector<uint8_t>(text.begin(), text.end()));
}

bool read_run_record(const std::string& checkpoint, RunRecord* out) {
  const std::string path = run_record_path(checkpoint);
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    out->seed = j.at("seed").get<uint64_t>();
    out->epochs = j.at("epochs").get<uint32_t>();
    out->lr = std::stof(j.at("lr").get<std::string>());
    out->lr_end = std::stof(j.at("lr_end").get<std::string>());
    out->samples = j.at("samples").get<uint64_t>();
    out->data_crc = j.at("data_crc32").get<uint32_t>();
  } catch (const std::exception& e) {
    throw Error(path + ": not a run record of tinyprop finetune (" + e.what() +
                "); remove it to resume unchecked");
  }
  return true;
}

std::string describe_run_record(const RunRecord& r) {
  std::ostringstream o;
  o << "seed " << r.seed << ", epochs " << r.epochs << ", lr " << float_text(r.lr) << ", lr-end "
    << float_text(r.lr_end) << ", " << r.samples << " training samples (CRC-32 " << std::hex
    << r.data_crc << ")";
  return o.str();
}

bool check_run_record(const std::string& checkpoint, const RunRecord& now) {
  RunRecord then;
  if (!read_run_record(checkpoint, &then)) return false;
  const std::string path = run_record_path(checkpoint);
  auto differs = [&](const std::string& what, const std::string& a, const std::string& b) {
    throw Error(checkpoint + ": the run was started with " + what + " " + a + ", this one has " +
                what + " " + b + " (give the flags the run started with; " + path +
                " records them)");
  };
  if (then.seed != now.seed) differs("--seed", std::to_string(then.seed), std::to_string(now.seed));
  if (then.epochs != now.epochs) {
    differs("--epochs", std::to_string(then.epochs), std::to_string(now.epochs));
  }
  if (then.lr != now.lr) differs("--lr", float_text(then.lr), float_text(now.lr));
  if (then.lr_end != now.lr_end) differs("--lr-end", float_text(then.lr_end), float_text(now.lr_end));
  if (then.samples != now.samples || then.data_crc != now.data_crc) {
    std::ostringstream a, b;
    a << then.samples << " training samples (CRC-32 " << std::hex << then.data_crc << ")";
    b << now.samples << " (CRC-32 " << std::hex << now.data_crc << ")";
    throw Error(checkpoint + ": the run was started on other data: " + a.str() + ", this one has " +
                b.str() + " (give the data and --subset the run started with)");
  }
  return true;
}

}  // namespace tinyprop::host
