#include "data/logmel.h"

#include <float.h>
#include <math.h>

#include <algorithm>
#include <sstream>

#include "data/wav.h"
#include "util/error.h"

namespace tinyprop::host::audio {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Slaney's Auditory Toolbox mel scale (librosa htk=False): linear 3 mels per 200 Hz up to
// 1 kHz (mel 15), then logarithmic with 27 mels per factor 6.4.
constexpr double kSlaneyHzPerMel = 200.0 / 3.0;
constexpr double kSlaneyBreakHz = 1000.0;
constexpr double kSlaneyBreakMel = kSlaneyBreakHz / kSlaneyHzPerMel;  // 15
const double kSlaneyLogStep = log(6.4) / 27.0;

// Index into the signal for padded position i - pad, reflecting at the ends without repeating
// the edge sample (numpy.pad mode "reflect"; periodic, so pads longer than the signal work too).
size_t reflect_index(long i, long n) {
  if (n == 1) return 0;
  const long period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  return static_cast<size_t>(i >= n ? period - i : i);
}

const char* scale_name(MelScale s) { return s == MelScale::kHtk ? "htk" : "slaney"; }
const char* padding_name(FramePadding p) {
  switch (p) {
    case FramePadding::kReflect: return "reflect";
    case FramePadding::kConstant: return "constant";
    case FramePadding::kNone: return "none";
  }
  return "?";
}

}  // namespace

void LogMelConfig::validate() const {
  auto bad = [](const std::string& what) { throw Error("log-mel config: " + what); };
  if (sample_rate == 0) bad("sample_rate must be positive");
  if (n_fft < 16) bad("n_fft must be at least 16, got " + std::to_string(n_fft));
  if (hop_length == 0) bad("hop_length must be positive");
  if (n_mels == 0) bad("n_mels must be positive");
  if (frames == 0) bad("frames must be positive");
  if (!(power > 0.0)) bad("power must be positive");
  const double top = fmax > 0.0 ? fmax : sample_rate / 2.0;
  if (fmin < 0.0 || !(top > fmin) || top > sample_rate / 2.0) {
    bad("need 0 <= fmin < fmax <= sample_rate / 2");
  }
}

std::string LogMelConfig::describe() const {
  std::ostringstream s;
  s << "sr=" << sample_rate << " n_fft=" << n_fft << " hop=" << hop_length << " n_mels=" << n_mels
    << " frames=" << frames << " power=" << power << " fmin=" << fmin
    << " fmax=" << (fmax > 0.0 ? fmax : sample_rate / 2.0) << " mel=" << scale_name(mel_scale)
    << (slaney_norm ? "+area_norm" : "") << " pad=" << padding_name(padding);
  return s.str();
}

double hz_to_mel(double hz, MelScale scale) {
  if (scale == MelScale::kHtk) return 2595.0 * log10(1.0 + hz / 700.0);
  if (hz < kSlaneyBreakHz) return hz / kSlaneyHzPerMel;
  return kSlaneyBreakMel + log(hz / kSlaneyBreakHz) / kSlaneyLogStep;
}

double mel_to_hz(double mel, MelScale scale) {
  if (scale == MelScale::kHtk) return 700.0 * (pow(10.0, mel / 2595.0) - 1.0);
  if (mel < kSlaneyBreakMel) return mel * kSlaneyHzPerMel;
  return kSlaneyBreakHz * exp(kSlaneyLogStep * (mel - kSlaneyBreakMel));
}

// librosa.filters.mel: n_mels + 2 points equally spaced in mel between fmin and fmax; filter m
// rises linearly from point m to m + 1 and falls to point m + 2 (in Hz, over the FFT bin centre
// frequencies k * sr / n_fft). With Slaney normalisation each triangle is scaled by
// 2 / (f[m + 2] - f[m]) so that all have the same area.
std::vector<float> mel_filterbank(const LogMelConfig& cfg) {
  cfg.validate();
  const uint32_t bins = cfg.n_fft / 2 + 1;
  const double fmax = cfg.fmax > 0.0 ? cfg.fmax : cfg.sample_rate / 2.0;
  const double mel_lo = hz_to_mel(cfg.fmin, cfg.mel_scale);
  const double mel_hi = hz_to_mel(fmax, cfg.mel_scale);
  std::vector<double> points(cfg.n_mels + 2);  // [n_mels + 2] Hz
  for (uint32_t i = 0; i < points.size(); ++i) {
    const double mel = mel_lo + (mel_hi - mel_lo) * i / static_cast<double>(cfg.n_mels + 1);
    points[i] = mel_to_hz(mel, cfg.mel_scale);
  }
  std::vector<float> w(static_cast<size_t>(cfg.n_mels) * bins, 0.0f);  // [n_mels, bins]
  for (uint32_t m = 0; m < cfg.n_mels; ++m) {
    const double left = points[m], centre = points[m + 1], right = points[m + 2];
    const double scale = cfg.slaney_norm ? 2.0 / (right - left) : 1.0;
    for (uint32_t k = 0; k < bins; ++k) {
      const double f = static_cast<double>(k) * cfg.sample_rate / cfg.n_fft;
      const double rising = (f - left) / (centre - left);
      const double falling = (right - f) / (right - centre);
      const double v = fmin(rising, falling);
      if (v > 0.0) w[static_cast<size_t>(m) * bins + k] = static_cast<float>(v * scale);
    }
  }
  return w;
}

LogMelExtractor::LogMelExtractor(const LogMelConfig& cfg) : cfg_(cfg), fft_((cfg.validate(), cfg.n_fft)) {
  const uint32_t n = cfg_.n_fft, bins = fft_.bins();
  window_.resize(n);
  for (uint32_t t = 0; t < n; ++t) {
    window_[t] = static_cast<float>(0.5 - 0.5 * cos(2.0 * kPi * t / n));
  }
  filters_ = mel_filterbank(cfg_);
  first_.assign(cfg_.n_mels, 0);
  last_.assign(cfg_.n_mels, 0);
  for (uint32_t m = 0; m < cfg_.n_mels; ++m) {
    const float* row = &filters_[static_cast<size_t>(m) * bins];
    uint32_t a = 0, b = bins;
    while (a < bins && row[a] == 0.0f) ++a;
    while (b > a && row[b - 1] == 0.0f) --b;
    first_[m] = a;
    last_[m] = b;  // an empty filter (too many mels for the FFT size) keeps a == b: mel = 0
  }
  spectrum_.resize(bins);
}

size_t LogMelExtractor::frame_count(size_t n_samples) const {
  if (cfg_.padding == FramePadding::kNone) {
    return n_samples < cfg_.n_fft ? 0 : 1 + (n_samples - cfg_.n_fft) / cfg_.hop_length;
  }
  // centre padding adds n_fft / 2 on each side: 1 + (n + 2 (n_fft / 2) - n_fft) / hop
  if (n_samples == 0) return 0;
  return 1 + (n_samples + 2 * (cfg_.n_fft / 2) - cfg_.n_fft) / cfg_.hop_length;
}

std::vector<float> LogMelExtractor::log_mel(const float* samples, size_t n) {
  const size_t n_frames = frame_count(n);
  const uint32_t n_fft = cfg_.n_fft, bins = fft_.bins();
  const long pad = cfg_.padding == FramePadding::kNone ? 0 : static_cast<long>(n_fft / 2);
  std::vector<float> out(n_frames * cfg_.n_mels);  // [n_frames, n_mels]
  float* in = fft_.input();
  for (size_t f = 0; f < n_frames; ++f) {
    const long start = static_cast<long>(f * cfg_.hop_length) - pad;  // in signal samples
    for (uint32_t t = 0; t < n_fft; ++t) {
      const long i = start + static_cast<long>(t);
      float x;
      if (i >= 0 && i < static_cast<long>(n)) {
        x = samples[i];
      } else if (cfg_.padding == FramePadding::kReflect) {
        x = samples[reflect_index(i, static_cast<long>(n))];
      } else {
        x = 0.0f;
      }
      in[t] = window_[t] * x;
    }
    fft_.execute();
    const std::complex<float>* X = fft_.output();
    for (uint32_t k = 0; k < bins; ++k) {
      const float p = X[k].real() * X[k].real() + X[k].imag() * X[k].imag();  // |X|^2
      spectrum_[k] = cfg_.power == 2.0 ? p : static_cast<float>(pow(sqrt(p), cfg_.power));
    }
    // M = W S (each row summed in double over its nonzero bins), L = 20 / power log10(M + eps)
    const double db_scale = 20.0 / cfg_.power;
    for (uint32_t m = 0; m < cfg_.n_mels; ++m) {
      const float* row = &filters_[static_cast<size_t>(m) * bins];
      double mel = 0.0;
      for (uint32_t k = first_[m]; k < last_[m]; ++k) mel += static_cast<double>(row[k]) * spectrum_[k];
      out[f * cfg_.n_mels + m] = static_cast<float>(db_scale * log10(mel + DBL_EPSILON));
    }
  }
  return out;
}

std::vector<float> stack_frames(const std::vector<float>& log_mel, size_t n_frames,
                                uint32_t n_mels, uint32_t frames) {
  if (n_frames < frames) return {};
  const size_t n_vectors = n_frames - frames + 1;
  const size_t dim = static_cast<size_t>(n_mels) * frames;
  std::vector<float> v(n_vectors * dim);  // [n_vectors, frames * n_mels]
  for (size_t i = 0; i < n_vectors; ++i) {
    // frames i .. i + frames - 1 are contiguous in the frame-major log-mel matrix
    const float* src = &log_mel[i * n_mels];
    std::copy(src, src + dim, &v[i * dim]);
  }
  return v;
}

std::vector<float> LogMelExtractor::vectors(const float* samples, size_t n) {
  return stack_frames(log_mel(samples, n), frame_count(n), cfg_.n_mels, cfg_.frames);
}

std::vector<float> clip_vectors(LogMelExtractor& extractor, const std::string& path,
                                size_t* n_vectors) {
  const LogMelConfig& cfg = extractor.config();
  const MonoAudio audio = read_audio_mono(path, cfg.sample_rate);
  std::vector<float> v = extractor.vectors(audio.samples.data(), audio.samples.size());
  const size_t count = v.size() / cfg.vector_dim();
  if (count == 0) {
    throw Error(path + ": too short for one feature vector (" +
                std::to_string(audio.samples.size()) + " samples, " +
                std::to_string(extractor.frame_count(audio.samples.size())) + " frames, need " +
                std::to_string(cfg.frames) + ")");
  }
  if (n_vectors != nullptr) *n_vectors = count;
  return v;
}

}  // namespace tinyprop::host::audio
