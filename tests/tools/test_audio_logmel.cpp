// Log-mel features against the numpy/scipy reference (refgen/make_logmel.py), through the WAV
// reader, plus the mel scale against values librosa documents.
#include <gtest/gtest.h>
#include <math.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "data/logmel.h"
#include "data/wav.h"
#include "util/error.h"
#include "test_audio_util.h"

namespace tinyprop::host::audio {
namespace {

using testing::ScratchDir;

nlohmann::json load_fixture(const std::string& name) {
  const std::string path = std::string(TINYPROP_SOURCE_DIR) + "/tests/fixtures/" + name;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("missing fixture " + path + " (run refgen/make_logmel.py)");
  return nlohmann::json::parse(in);
}

LogMelConfig config_of(const nlohmann::json& c) {
  LogMelConfig cfg;
  cfg.sample_rate = c["sample_rate"];
  cfg.n_fft = c["n_fft"];
  cfg.hop_length = c["hop_length"];
  cfg.n_mels = c["n_mels"];
  cfg.frames = c["frames"];
  cfg.power = c["power"];
  cfg.fmin = c["fmin"];
  cfg.fmax = c["fmax"];
  cfg.mel_scale = c["mel_scale"] == "htk" ? MelScale::kHtk : MelScale::kSlaney;
  cfg.slaney_norm = c["slaney_norm"];
  const std::string pad = c["padding"];
  cfg.padding = pad == "reflect" ? FramePadding::kReflect
                : pad == "constant" ? FramePadding::kConstant : FramePadding::kNone;
  return cfg;
}

// Tolerances. The reference is float64; ours runs the FFT and the power spectrum in float32
// (FFTW single precision), so band powers carry a relative error of a few 1e-7 times the frame's
// largest bin. In dB that is 4.34 * relative error: well under 1e-3 dB for the bands of these
// signals (no band is near silence: the signal has -40 dBFS white noise). Filterbank weights
// are float32 in both.
constexpr double kDbTolerance = 1e-3;
constexpr double kWeightTolerance = 1e-6;  // relative

void check_fixture(const std::string& name) {
  const nlohmann::json fx = load_fixture(name);
  const LogMelConfig cfg = config_of(fx["config"]);
  SCOPED_TRACE(name + ": " + cfg.describe());

  // Filterbank, row by row.
  const std::vector<float> w = mel_filterbank(cfg);
  const uint32_t bins = cfg.n_fft / 2 + 1;
  ASSERT_EQ(fx["mel_filterbank"].size(), cfg.n_mels);
  for (uint32_t m = 0; m < cfg.n_mels; ++m) {
    const auto& row = fx["mel_filterbank"][m];
    const uint32_t first = row["first_bin"];
    const std::vector<double> ref = row["weights"].get<std::vector<double>>();
    for (uint32_t k = 0; k < bins; ++k) {
      const double expected = (k >= first && k < first + ref.size()) ? ref[k - first] : 0.0;
      EXPECT_NEAR(w[m * bins + k], expected, kWeightTolerance * fabs(expected) + 1e-12)
          << "mel " << m << " bin " << k;
    }
  }

  // The whole chain: int16 samples -> WAV -> reader -> log-mel.
  ScratchDir dir("logmel");
  const std::vector<int> pcm = fx["signal_int16"].get<std::vector<int>>();
  std::vector<float> x(pcm.size());
  for (size_t i = 0; i < pcm.size(); ++i) x[i] = static_cast<float>(pcm[i]) / 32768.0f;
  testing::write_wav16(dir.file("signal.wav"), x, static_cast<int>(cfg.sample_rate));
  const MonoAudio audio = read_audio_mono(dir.file("signal.wav"), cfg.sample_rate);
  ASSERT_EQ(audio.samples, x);

  LogMelExtractor ex(cfg);
  const size_t n_frames = fx["n_frames"];
  ASSERT_EQ(ex.frame_count(x.size()), n_frames);
  const std::vector<float> lm = ex.log_mel(audio.samples.data(), audio.samples.size());
  ASSERT_EQ(lm.size(), n_frames * cfg.n_mels);
  double max_err = 0.0;
  for (size_t f = 0; f < n_frames; ++f) {
    for (uint32_t m = 0; m < cfg.n_mels; ++m) {
      const double ref = fx["log_mel"][f][m];
      const double err = fabs(lm[f * cfg.n_mels + m] - ref);
      max_err = fmax(max_err, err);
      EXPECT_LE(err, kDbTolerance) << "frame " << f << " mel " << m;
    }
  }
  ::testing::Test::RecordProperty("max_abs_error_db", std::to_string(max_err));
  printf("%s: max |error| %.2e dB over %zu values\n", name.c_str(), max_err, lm.size());

  // Vectors: frames i .. i + frames - 1 side by side.
  const std::vector<float> v = ex.vectors(audio.samples.data(), audio.samples.size());
  const size_t dim = cfg.vector_dim();
  ASSERT_EQ(v.size(), (n_frames - cfg.frames + 1) * dim);
  for (size_t i = 0; i + cfg.frames <= n_frames; ++i) {
    for (uint32_t t = 0; t < cfg.frames; ++t) {
      for (uint32_t m = 0; m < cfg.n_mels; ++m) {
        ASSERT_EQ(v[i * dim + t * cfg.n_mels + m], lm[(i + t) * cfg.n_mels + m]);
      }
    }
  }
}

TEST(AudioLogMel, MatchesNumpyReferenceDcaseBaselineConfig) { check_fixture("logmel_dcase.json"); }

TEST(AudioLogMel, MatchesNumpyReferenceHtkConstantPadMagnitude) {
  check_fixture("logmel_htk_small.json");
}

TEST(AudioLogMel, SlaneyMelScaleMatchesLibrosaDocumentedFrequencies) {
  // librosa.mel_frequencies(n_mels=40) as printed in librosa's documentation (fmax 11025 Hz).
  const double documented[40] = {
      0.,       85.317,   170.635,  255.952,  341.269,  426.586,  511.904,  597.221,
      682.538,  767.855,  853.173,  938.49,   1024.856, 1119.114, 1222.042, 1334.436,
      1457.167, 1591.187, 1737.532, 1897.337, 2071.84,  2262.393, 2470.47,  2697.686,
      2945.799, 3216.731, 3512.582, 3835.643, 4188.417, 4573.636, 4994.285, 5453.621,
      5955.205, 6502.92,  7101.009, 7754.107, 8467.272, 9246.028, 10096.408, 11025.};
  const double top = hz_to_mel(11025.0, MelScale::kSlaney);
  for (int i = 0; i < 40; ++i) {
    EXPECT_NEAR(mel_to_hz(top * i / 39.0, MelScale::kSlaney), documented[i], 1e-3) << i;
  }
  EXPECT_DOUBLE_EQ(hz_to_mel(1000.0, MelScale::kSlaney), 15.0);
  EXPECT_NEAR(hz_to_mel(1000.0, MelScale::kHtk), 999.9855, 1e-3);  // 2595 log10(1 + 1000 / 700)
  for (double hz : {0.0, 123.0, 999.0, 1000.0, 4321.0, 8000.0}) {
    for (MelScale s : {MelScale::kSlaney, MelScale::kHtk}) {
      EXPECT_NEAR(mel_to_hz(hz_to_mel(hz, s), s), hz, 1e-9 * (1 + hz));
    }
  }
}

TEST(AudioLogMel, FrameCountsFollowLibrosa) {
  LogMelConfig cfg;  // n_fft 1024, hop 512, centred
  LogMelExtractor ex(cfg);
  EXPECT_EQ(ex.frame_count(160000), 313u);  // a 10 s DCASE clip: 1 + 160000 / 512
  EXPECT_EQ(ex.frame_count(32000), 63u);
  EXPECT_EQ(ex.frame_count(1), 1u);
  cfg.padding = FramePadding::kNone;
  LogMelExtractor raw(cfg);
  EXPECT_EQ(raw.frame_count(1023), 0u);
  EXPECT_EQ(raw.frame_count(1024), 1u);
  EXPECT_EQ(raw.frame_count(1024 + 511), 1u);
  EXPECT_EQ(raw.frame_count(1024 + 512), 2u);
}

TEST(AudioLogMel, SilenceGivesTheEpsilonFloor) {
  LogMelExtractor ex(LogMelConfig{});
  const std::vector<float> zeros(4000, 0.0f);
  for (float v : ex.log_mel(zeros.data(), zeros.size())) {
    EXPECT_NEAR(v, 10.0 * log10(2.220446049250313e-16), 1e-4);  // 10 log10(eps) = -156.5 dB
  }
}

TEST(AudioLogMel, ShortClipHasNoVectorAndIsAnErrorForClipVectors) {
  LogMelConfig cfg;
  LogMelExtractor ex(cfg);
  const std::vector<float> tiny(3 * 512, 0.1f);  // 4 frames < 5
  EXPECT_TRUE(ex.vectors(tiny.data(), tiny.size()).empty());
  ScratchDir dir("short");
  testing::write_wav16(dir.file("short.wav"), tiny);
  try {
    clip_vectors(ex, dir.file("short.wav"), nullptr);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(dir.file("short.wav") + ": too short", 0), 0u) << e.what();
  }
}

TEST(AudioLogMel, BadConfigurationsAreRejected) {
  LogMelConfig c;
  c.n_mels = 0;
  EXPECT_THROW(c.validate(), Error);
  c = LogMelConfig{};
  c.fmax = 9000.0;  // above Nyquist at 16 kHz
  EXPECT_THROW(c.validate(), Error);
  c = LogMelConfig{};
  c.hop_length = 0;
  EXPECT_THROW(LogMelExtractor{c}, Error);
}

}  // namespace
}  // namespace tinyprop::host::audio
