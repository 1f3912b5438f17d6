// Helpers for the audio tests: scratch folders and WAV files written with libsndfile.
#pragma once
#include <sndfile.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "util/error.h"

namespace tinyprop::host::audio::testing {

// The message of the host::Error that f throws ("" if none).
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A fresh folder under the system temp dir, removed when the object goes away.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag) {
    path_ = std::filesystem::temp_directory_path() /
            ("tinyprop_" + tag + "_" + std::to_string(getpid()) + "_" + std::to_string(counter()++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path path_;
};

// Writes interleaved float samples [frames, channels] with the given libsndfile format
// (e.g. SF_FORMAT_WAV | SF_FORMAT_PCM_16). libsndfile scales floats by 2^(bits-1) for PCM.
inline void write_wav(const std::string& path, const std::vector<float>& interleaved, int channels,
                      int rate, int format) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (f == nullptr) throw std::runtime_error("cannot write " + path + ": " + sf_strerror(nullptr));
  // Without clipping, a float of exactly 1.0 would wrap to -32768 in 16-bit PCM.
  sf_command(f, SFC_SET_CLIPPING, nullptr, SF_TRUE);
  const sf_count_t frames = static_cast<sf_count_t>(interleaved.size() / channels);
  if (sf_writef_float(f, interleaved.data(), frames) != frames) {
    sf_close(f);
    throw std::runtime_error("short write " + path);
  }
  sf_close(f);
}

inline void write_wav16(const std::string& path, const std::vector<float>& mono, int rate = 16000) {
  write_wav(path, mono, 1, rate, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
}

}  // namespace tinyprop::host::audio::testing
