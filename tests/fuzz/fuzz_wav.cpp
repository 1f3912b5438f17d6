// Fuzz target "wav": an audio file through host::audio::read_audio_mono, the libsndfile reader of
// the audio pipeline (WAV and whatever else libsndfile recognises in the bytes).
// Properties:
//   * a refusal is a one-line host::Error naming the file;
//   * a clip that loads has frames, a positive sample rate and at least one file channel;
//   * asking for any other sample rate refuses the same file, naming the rate;
//   * the mono samples written back as a 32-bit float WAV (libsndfile, same rate) read back as
//     the same samples, bit for bit.
#include <sndfile.h>

#include "data/wav.h"
#include "fuzz_common.h"

namespace {

using namespace tinyprop;

// Writes mono float samples; false when libsndfile refuses the format (an exotic rate).
bool write_float_wav(const std::string& path, const std::vector<float>& samples, uint32_t rate) {
  SF_INFO info{};
  info.samplerate = static_cast<int>(rate);
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
  if (!sf_format_check(&info)) return false;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (f == nullptr) return false;
  const sf_count_t n = static_cast<sf_count_t>(samples.size());
  const bool all = sf_writef_float(f, samples.data(), n) == n;
  sf_close(f);
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ScratchDir& dir = fuzz::ScratchDir::get();
  const std::string path = dir.write("clip.wav", data, size);
  host::audio::MonoAudio clip;
  try {
    clip = host::audio::read_audio_mono(path);
  } catch (const host::Error& e) {
    fuzz::require_clear_error(e, path);
    return 0;
  }
  FUZZ_REQUIRE(!clip.samples.empty() && clip.sample_rate > 0 && clip.file_channels >= 1);

  const uint32_t other_rate = clip.sample_rate == 16000 ? 44100 : 16000;
  try {
    host::audio::read_audio_mono(path, other_rate);
    FUZZ_REQUIRE_MSG(false, "a clip at another sample rate was accepted");
  } catch (const host::Error& e) {
    const std::string msg = e.what();
    FUZZ_REQUIRE_MSG(msg.find(path) != std::string::npos && msg.find("sample rate") != std::string::npos, msg);
  }

  const std::string copy = dir.path_of("copy.wav");
  dir.remember("copy.wav");
  if (!write_float_wav(copy, clip.samples, clip.sample_rate)) {
    fuzz::outcome("accepted (libsndfile cannot write a float WAV at this rate: no round trip)");
    return 0;
  }
  const host::audio::MonoAudio back = host::audio::read_audio_mono(copy, clip.sample_rate);
  FUZZ_REQUIRE(back.file_channels == 1 && back.samples.size() == clip.samples.size());
  for (size_t i = 0; i < clip.samples.size(); ++i) {
    FUZZ_REQUIRE(fuzz::same_bits(back.samples[i], clip.samples[i]));
  }
  fuzz::outcome("accepted");
  return 0;
}
