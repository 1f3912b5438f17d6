// Reading audio files with libsndfile, mixed down to one channel of float samples.
#pragma once
#include <stdint.h>

#include <string>
#include <vector>

namespace tinyprop::host::audio {

struct MonoAudio {
  std::vector<float> samples;  // [frames] in [-1, 1]: integer PCM scaled by 1 / 2^(bits-1)
  uint32_t sample_rate = 0;    // Hz
  uint32_t file_channels = 0;  // channels in the file before the mix-down
};

// Reads any file libsndfile understands (WAV 8/16/24/32-bit PCM, float, FLAC, ...) and averages
// its channels into one (librosa's to_mono: the mean, not the sum). expected_rate = 0 accepts
// any rate; otherwise a different rate is an error (no resampling is done on purpose: features
// of a resampled clip would differ from the ones the model was trained on).
//
// Throws host::Error with a one-line message naming the file:
//   "<path>: cannot read audio: <libsndfile's reason>"
//   "<path>: sample rate 44100 Hz, expected 16000 Hz"
//   "<path>: truncated: data chunk declares 32000 bytes, file holds 19956"
//   "<path>: no audio frames"
MonoAudio read_audio_mono(const std::string& path, uint32_t expected_rate = 0);

}  // namespace tinyprop::host::audio
