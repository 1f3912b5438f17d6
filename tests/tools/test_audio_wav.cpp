// WAV reading: formats, mix-down, and one-line errors that name the file.
#include <gtest/gtest.h>
#include <math.h>

#include <filesystem>
#include <fstream>

#include "data/wav.h"
#include "util/error.h"
#include "test_audio_util.h"

namespace tinyprop::host::audio {
namespace {

using testing::error_of;

using testing::ScratchDir;
using testing::write_wav;

// A ramp that uses the whole range and values no format can represent exactly.
std::vector<float> ramp(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = 0.9f * sinf(0.01f * static_cast<float>(i)) + 0.0123f;
  return v;
}


TEST(AudioWav, Mono16BitValuesAreIntegerOver32768) {
  ScratchDir dir("wav16");
  const std::vector<float> x = ramp(1000);
  write_wav(dir.file("a.wav"), x, 1, 16000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const MonoAudio a = read_audio_mono(dir.file("a.wav"), 16000);
  ASSERT_EQ(a.samples.size(), x.size());
  EXPECT_EQ(a.sample_rate, 16000u);
  EXPECT_EQ(a.file_channels, 1u);
  for (size_t i = 0; i < x.size(); ++i) {
    const float q = a.samples[i] * 32768.0f;
    EXPECT_EQ(q, roundf(q)) << "sample " << i << " is not k / 32768";
    EXPECT_NEAR(a.samples[i], x[i], 1.0 / 32768.0) << i;
  }
}

TEST(AudioWav, StereoIsAveragedToMono) {
  ScratchDir dir("stereo");
  const std::vector<float> l = ramp(500);
  std::vector<float> inter;  // [frames, 2]: left = ramp, right = 0.25 - ramp / 2
  for (float v : l) {
    inter.push_back(v);
    inter.push_back(0.25f - 0.5f * v);
  }
  write_wav(dir.file("s.wav"), inter, 2, 16000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  const MonoAudio a = read_audio_mono(dir.file("s.wav"), 16000);
  EXPECT_EQ(a.file_channels, 2u);
  ASSERT_EQ(a.samples.size(), l.size());
  for (size_t i = 0; i < l.size(); ++i) {
    EXPECT_NEAR(a.samples[i], (l[i] + 0.25f - 0.5f * l[i]) / 2.0f, 1e-7) << i;  // mean, not sum
  }
}

TEST(AudioWav, EightBitUnsigned) {
  ScratchDir dir("u8");
  const std::vector<float> x = ramp(300);
  write_wav(dir.file("u8.wav"), x, 1, 16000, SF_FORMAT_WAV | SF_FORMAT_PCM_U8);
  const MonoAudio a = read_audio_mono(dir.file("u8.wav"), 16000);
  ASSERT_EQ(a.samples.size(), x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const float q = a.samples[i] * 128.0f;  // unsigned 8-bit: (byte - 128) / 128
    EXPECT_EQ(q, roundf(q)) << i;
    EXPECT_NEAR(a.samples[i], x[i], 1.0 / 128.0) << i;
  }
}

TEST(AudioWav, TwentyFourBit) {
  ScratchDir dir("pcm24");
  const std::vector<float> x = ramp(300);
  write_wav(dir.file("p24.wav"), x, 1, 16000, SF_FORMAT_WAV | SF_FORMAT_PCM_24);
  const MonoAudio a = read_audio_mono(dir.file("p24.wav"), 16000);
  ASSERT_EQ(a.samples.size(), x.size());
  double max_err = 0.0;
  for (size_t i = 0; i < x.size(); ++i) max_err = fmax(max_err, fabs(a.samples[i] - x[i]));
  EXPECT_LE(max_err, 1.0 / 8388608.0);  // half a 24-bit step would be the rounding bound; 1 step is safe
  EXPECT_GT(max_err, 0.0);              // it did go through 24-bit quantisation
}

TEST(AudioWav, FloatIsExact) {
  ScratchDir dir("f32");
  const std::vector<float> x = ramp(300);
  write_wav(dir.file("f.wav"), x, 1, 16000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  const MonoAudio a = read_audio_mono(dir.file("f.wav"), 16000);
  EXPECT_EQ(a.samples, x);
}

TEST(AudioWav, ExpectedRateZeroAcceptsAnyRate) {
  ScratchDir dir("anyrate");
  write_wav(dir.file("r.wav"), ramp(100), 1, 22050, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  EXPECT_EQ(read_audio_mono(dir.file("r.wav"), 0).sample_rate, 22050u);
}

TEST(AudioWav, WrongSampleRateIsAOneLineErrorNamingTheFile) {
  ScratchDir dir("rate");
  const std::string path = dir.file("clip44k.wav");
  write_wav(path, ramp(100), 1, 44100, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const std::string msg = error_of([&] { read_audio_mono(path, 16000); });
  EXPECT_EQ(msg, path + ": sample rate 44100 Hz, expected 16000 Hz");
}

TEST(AudioWav, TruncatedFileIsRejected) {
  ScratchDir dir("trunc");
  const std::string path = dir.file("cut.wav");
  write_wav(path, ramp(16000), 1, 16000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const auto size = std::filesystem::file_size(path);  // 44-byte header + 32000 data bytes
  std::filesystem::resize_file(path, size - 12000);
  const std::string msg = error_of([&] { read_audio_mono(path, 16000); });
  EXPECT_EQ(msg, path + ": truncated: data chunk declares 32000 bytes, file holds 20000");
  EXPECT_EQ(msg.find('\n'), std::string::npos);
}

TEST(AudioWav, HeaderOnlyAndGarbageAndMissingFilesAreRejected) {
  ScratchDir dir("bad");
  const std::string cut = dir.file("header.wav");
  write_wav(cut, ramp(100), 1, 16000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  std::filesystem::resize_file(cut, 30);  // inside the fmt chunk
  std::string msg = error_of([&] { read_audio_mono(cut, 16000); });
  EXPECT_EQ(msg.rfind(cut + ": cannot read audio: ", 0), 0u) << msg;

  const std::string text = dir.file("notes.wav");
  std::ofstream(text) << "this is not audio\n";
  msg = error_of([&] { read_audio_mono(text, 16000); });
  EXPECT_EQ(msg.rfind(text + ": cannot read audio: ", 0), 0u) << msg;

  const std::string missing = dir.file("missing.wav");
  msg = error_of([&] { read_audio_mono(missing, 16000); });
  EXPECT_EQ(msg.rfind(missing + ": cannot read audio: ", 0), 0u) << msg;
  for (const std::string& m : {msg}) EXPECT_EQ(m.find('\n'), std::string::npos);
}

TEST(AudioWav, EmptyDataChunkIsAnError) {
  ScratchDir dir("empty");
  const std::string path = dir.file("empty.wav");
  write_wav(path, {}, 1, 16000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  EXPECT_EQ(error_of([&] { read_audio_mono(path, 16000); }), path + ": no audio frames");
}

}  // namespace
}  // namespace tinyprop::host::audio
