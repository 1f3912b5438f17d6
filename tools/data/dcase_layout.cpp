#include "data/dcase_layout.h"

#include <math.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

#include "util/error.h"
#include "tinyprop/rng.h"

namespace tinyprop::host::audio {
namespace fs = std::filesystem;
namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

// Regular .wav files in dir, sorted by name (directory order is not portable).
std::vector<fs::path> wav_files(const fs::path& dir, std::vector<std::string>* warnings) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!ends_with(lower, ".wav")) continue;
    if (!it->is_regular_file(ec)) {
      warnings->push_back(it->path().string() + ": ignored (not a regular file)");
      continue;
    }
    out.push_back(it->path());
  }
  if (ec) throw Error(dir.string() + ": cannot list: " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

size_t DcaseMachine::test_normal_count() const {
  return static_cast<size_t>(std::count_if(test.begin(), test.end(), [](const DcaseClip& c) { return !c.anomaly; }));
}
size_t DcaseMachine::test_anomaly_count() const { return test.size() - test_normal_count(); }

std::vector<std::string> DcaseLayout::machine_types() const {
  std::set<std::string> types;
  for (const DcaseMachine& m : machines) types.insert(m.type);
  return {types.begin(), types.end()};
}

bool parse_dcase_clip_name(const std::string& file_name, bool* anomaly, std::string* id,
                           uint32_t* number) {
  // <normal|anomaly>_id_<digits>_<digits>.wav
  std::string stem = file_name;
  if (!ends_with(stem, ".wav")) return false;
  stem.resize(stem.size() - 4);
  std::string rest;
  if (stem.rfind("normal_id_", 0) == 0) {
    *anomaly = false;
    rest = stem.substr(10);
  } else if (stem.rfind("anomaly_id_", 0) == 0) {
    *anomaly = true;
    rest = stem.substr(11);
  } else {
    return false;
  }
  const size_t sep = rest.find('_');
  if (sep == std::string::npos) return false;
  const std::string id_digits = rest.substr(0, sep), num_digits = rest.substr(sep + 1);
  if (!all_digits(id_digits) || !all_digits(num_digits) || num_digits.size() > 9) return false;
  *id = "id_" + id_digits;
  *number = static_cast<uint32_t>(std::stoul(num_digits));
  return true;
}

DcaseLayout scan_dcase_layout(const std::string& root, const std::vector<std::string>& machine_types) {
  if (!is_dir(root)) throw Error(root + ": DCASE data folder not found");
  DcaseLayout layout;
  layout.root = root;

  std::vector<std::string> types = machine_types;
  if (types.empty()) {
    std::error_code ec;
    for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
      if (is_dir(it->path() / "train") || is_dir(it->path() / "test")) {
        types.push_back(it->path().filename().string());
      }
    }
    std::sort(types.begin(), types.end());
    if (types.empty()) {
      throw Error(root + ": no machine type folders (expected <root>/<type>/{train,test}/*.wav)");
    }
  }

  for (const std::string& type : types) {
    const fs::path dir = fs::path(root) / type;
    if (!is_dir(dir)) throw Error(dir.string() + ": machine type folder not found");
    if (!is_dir(dir / "train") || !is_dir(dir / "test")) {
      throw Error(dir.string() + ": needs both train/ and test/ folders");
    }
    std::map<std::string, DcaseMachine> by_id;
    for (const char* part : {"train", "test"}) {
      const bool is_train = std::string(part) == "train";
      for (const fs::path& p : wav_files(dir / part, &layout.warnings)) {
        DcaseClip clip;
        clip.path = p.string();
        std::string id;
        if (!parse_dcase_clip_name(p.filename().string(), &clip.anomaly, &id, &clip.number)) {
          layout.warnings.push_back(clip.path +
                                    ": ignored (name is not <normal|anomaly>_id_XX_NNNNNNNN.wav)");
          continue;
        }
        if (is_train && clip.anomaly) {
          layout.warnings.push_back(clip.path + ": ignored (anomalous clip in a train folder)");
          continue;
        }
        DcaseMachine& m = by_id[id];
        m.type = type;
        m.id = id;
        (is_train ? m.train : m.test).push_back(std::move(clip));
      }
    }
    for (auto& [id, m] : by_id) {
      std::sort(m.train.begin(), m.train.end(),
                [](const DcaseClip& a, const DcaseClip& b) { return a.number < b.number; });
      std::sort(m.test.begin(), m.test.end(), [](const DcaseClip& a, const DcaseClip& b) {
        return std::make_pair(a.anomaly, a.number) < std::make_pair(b.anomaly, b.number);
      });
      layout.machines.push_back(std::move(m));
    }
  }
  if (layout.machines.empty()) throw Error(root + ": no DCASE clips found");
  return layout;
}

void split_clips(const std::vector<DcaseClip>& clips, double fraction, uint64_t seed,
                 std::vector<DcaseClip>* first, std::vector<DcaseClip>* rest) {
  if (!(fraction >= 0.0 && fraction <= 1.0)) throw Error("clip split: fraction must be in [0, 1]");
  const size_t n = clips.size();
  std::vector<uint32_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
  Rng rng(seed);
  rng.shuffle(order.data(), static_cast<uint32_t>(n));
  size_t n_first = static_cast<size_t>(llround(fraction * static_cast<double>(n)));
  if (n >= 2 && fraction > 0.0 && fraction < 1.0) n_first = std::clamp<size_t>(n_first, 1, n - 1);
  first->clear();
  rest->clear();
  for (size_t i = 0; i < n; ++i) (i < n_first ? first : rest)->push_back(clips[order[i]]);
}

}  // namespace tinyprop::host::audio
