// The run record beside a host checkpoint (run_record.h).
#include "formats/run_record.h"

#include <zlib.h>

#include <fstream>
#include <sstream>

#include "util/atomic_file.h"
#include "util/error.h"
#include "util/float_value.h"

namespace tinyprop::host {
namespace {

// zlib's CRC-32, as for the .tpm file (the host tools link zlib; the core's crc32_update is the
// same function, for the device).
uint32_t crc_of(uint32_t crc, const void* data, size_t n) {
  return static_cast<uint32_t>(crc32_z(crc, static_cast<const Bytef*>(data), n));
}

// For messages: the value as typed (float_value), with the digits a float can carry.
std::string float_text(float x) {
  std::ostringstream o;
  o.precision(7);
  o << float_value(x);
  return o.str();
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
  const uint32_t crc = crc_of(0, train.x.data(), train.x.size() * sizeof(float));
  r.data_crc = crc_of(crc, train.y.data(), train.y.size() * sizeof(uint32_t));
  return r;
}

std::string run_record_path(const std::string& checkpoint) { return checkpoint + ".run.json"; }

// The rates as doubles of the floats themselves (exact both ways, so the check compares the
// very floats of the two runs; float_value would round some to 7 digits).
nlohmann::json run_record_json(const RunRecord& r) {
  return {{"seed", r.seed},
          {"epochs", r.epochs},
          {"lr", static_cast<double>(r.lr)},
          {"lr_end", static_cast<double>(r.lr_end)},
          {"samples", r.samples},
          {"data_crc32", r.data_crc}};
}

void write_run_record(const std::string& checkpoint, const RunRecord& r) {
  nlohmann::json j = run_record_json(r);
  j["tool"] = "tinyprop finetune";
  write_text_file(run_record_path(checkpoint), j.dump(2) + "\n");
}

bool read_run_record(const std::string& checkpoint, RunRecord* out) {
  const std::string path = run_record_path(checkpoint);
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    out->seed = j.at("seed").get<uint64_t>();
    out->epochs = j.at("epochs").get<uint32_t>();
    out->lr = static_cast<float>(j.at("lr").get<double>());
    out->lr_end = static_cast<float>(j.at("lr_end").get<double>());
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
