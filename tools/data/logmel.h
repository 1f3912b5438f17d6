// Log-mel features as in the DCASE2020 Task 2 baseline (librosa.feature.melspectrogram, then
// 20 / power * log10(mel + eps)), and the stacking of consecutive frames into model inputs.
//
//   frames:   centre-padded (reflect, n_fft / 2 each side), Hann window (periodic), hop samples
//   spectrum: S = |rfft(frame)|^power, bins 0 .. n_fft / 2
//   mel:      M = W S with W the librosa-default mel filterbank (Slaney mel scale, triangles
//             normalised to equal area: norm="slaney"); HTK scale optional
//   log:      L = 20 / power * log10(M + eps), eps = DBL_EPSILON (the baseline's
//             sys.float_info.epsilon)
//   vectors:  v_t = [L_t, L_t+1, ..., L_t+frames-1]  (frames * n_mels values, frame-major)
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <memory>
#include <string>
#include <vector>

#include "data/fft.h"

namespace tinyprop::host::audio {

enum class MelScale : uint8_t {
  kSlaney = 0,  // librosa default (htk=False): linear below 1 kHz, logarithmic above
  kHtk,         // mel = 2595 log10(1 + f / 700)
};

enum class FramePadding : uint8_t {
  kReflect = 0,  // center=True, pad_mode="reflect" (librosa < 0.10, the DCASE2020 baseline)
  kConstant,     // center=True, zero padding (librosa >= 0.10 default)
  kNone,         // center=False: the first frame starts at sample 0
};

struct LogMelConfig {
  uint32_t sample_rate = 16000;  // Hz; files at another rate are rejected
  uint32_t n_fft = 1024;         // FFT size = window length
  uint32_t hop_length = 512;
  uint32_t n_mels = 128;
  uint32_t frames = 5;           // consecutive frames per model input vector
  double power = 2.0;            // 2: power spectrogram, 1: magnitude
  double fmin = 0.0;             // Hz
  double fmax = 0.0;             // Hz; 0 means sample_rate / 2
  MelScale mel_scale = MelScale::kSlaney;
  bool slaney_norm = true;       // divide each triangle by its width in Hz / 2 (equal area)
  FramePadding padding = FramePadding::kReflect;

  uint32_t vector_dim() const { return n_mels * frames; }
  // Throws host::Error naming the first bad field.
  void validate() const;
  // "sr=16000 n_fft=1024 hop=512 n_mels=128 frames=5 power=2 mel=slaney pad=reflect"
  std::string describe() const;
};

// Mel scale conversions (librosa.hz_to_mel / mel_to_hz).
double hz_to_mel(double hz, MelScale scale);
double mel_to_hz(double mel, MelScale scale);

// The filterbank W [n_mels, n_fft / 2 + 1], row-major (librosa.filters.mel).
std::vector<float> mel_filterbank(const LogMelConfig& cfg);

// A reusable extractor: holds the FFT plan, the window and the filterbank.
class LogMelExtractor {
 public:
  explicit LogMelExtractor(const LogMelConfig& cfg);
  const LogMelConfig& config() const { return cfg_; }

  // Number of STFT frames for n samples.
  size_t frame_count(size_t n_samples) const;
  // Log-mel spectrogram [frame_count(n), n_mels], frame-major.
  std::vector<float> log_mel(const float* samples, size_t n);
  // Model inputs [n_vectors, frames * n_mels] with n_vectors = frame_count - frames + 1, or
  // none when the clip is shorter than `frames` frames.
  std::vector<float> vectors(const float* samples, size_t n);

 private:
  LogMelConfig cfg_;
  RealFft fft_;
  std::vector<float> window_;      // [n_fft] periodic Hann: 0.5 - 0.5 cos(2 pi t / n_fft)
  std::vector<float> filters_;     // [n_mels, bins] W
  std::vector<uint32_t> first_, last_;  // [n_mels] nonzero bin range [first, last) of each row
  std::vector<float> spectrum_;    // [bins] S of the current frame
};

// Stacks `frames` consecutive rows of a [n_frames, n_mels] matrix (see the header comment).
std::vector<float> stack_frames(const std::vector<float>& log_mel, size_t n_frames,
                                uint32_t n_mels, uint32_t frames);

// Reads a clip (read_audio_mono with the configured rate) and returns its vectors; n_vectors
// receives their count. Throws host::Error naming the file when it yields no vector.
std::vector<float> clip_vectors(LogMelExtractor& extractor, const std::string& path,
                                size_t* n_vectors);

}  // namespace tinyprop::host::audio
