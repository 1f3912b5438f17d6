#include "data/wav.h"

#include <sndfile.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmath>
#include <memory>

#include "data/file_bytes.h"
#include "util/error.h"

namespace tinyprop::host::audio {
namespace {

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfilePtr = std::unique_ptr<SNDFILE, SndfileCloser>;

uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

// libsndfile silently shortens a WAV whose data chunk runs past the end of the file (it only
// notes it in its log), so a cut-off download would load as a shorter clip. Walk the RIFF chunks
// ourselves and compare the declared data size with the bytes present. Files that are not
// RIFF/WAVE, and streamed WAVs whose size field is 0 or 0xFFFFFFFF (unknown), are not checked.
void check_wav_not_truncated(const std::string& path) {
  FILE* f = fopen(path.c_str(), "rb");
  if (f == nullptr) return;  // sf_open reports the reason
  uint8_t header[12];
  if (fread(header, 1, sizeof header, f) != sizeof header || memcmp(header, "RIFF", 4) != 0 ||
      memcmp(header + 8, "WAVE", 4) != 0) {
    fclose(f);
    return;
  }
  fseek(f, 0, SEEK_END);
  const long file_size = ftell(f);
  long pos = 12;
  while (pos + 8 <= file_size) {
    uint8_t chunk[8];
    fseek(f, pos, SEEK_SET);
    if (fread(chunk, 1, sizeof chunk, f) != sizeof chunk) break;
    const uint32_t size = le32(chunk + 4);
    if (memcmp(chunk, "data", 4) == 0) {
      fclose(f);
      const long present = file_size - (pos + 8);
      if (size != 0 && size != 0xFFFFFFFFu && static_cast<long>(size) > present) {
        throw Error(path + ": truncated: data chunk declares " + std::to_string(size) +
                    " bytes, file holds " + std::to_string(present));
      }
      return;
    }
    pos += 8 + static_cast<long>(size) + (size & 1u);  // chunks are padded to even sizes
  }
  fclose(f);
}

}  // namespace

MonoAudio read_audio_mono(const std::string& path, uint32_t expected_rate) {
  struct stat st;  // a FIFO would block libsndfile: refuse it (open_regular_file never waits)
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) fclose(open_regular_file(path));
  SF_INFO info;
  memset(&info, 0, sizeof info);
  SndfilePtr file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file) throw Error(path + ": cannot read audio: " + sf_strerror(nullptr));
  if (info.channels <= 0 || info.samplerate <= 0) {
    throw Error(path + ": cannot read audio: invalid header (channels or sample rate)");
  }
  if (expected_rate != 0 && static_cast<uint32_t>(info.samplerate) != expected_rate) {
    throw Error(path + ": sample rate " + std::to_string(info.samplerate) + " Hz, expected " +
                std::to_string(expected_rate) + " Hz");
  }
  check_wav_not_truncated(path);
  if (info.frames <= 0) throw Error(path + ": no audio frames");

  // Float reads scale integer PCM by 1 / 2^(bits-1) (libsndfile's default normalisation), the
  // same values librosa.load and soundfile.read return.
  const size_t channels = static_cast<size_t>(info.channels);
  const size_t frames = static_cast<size_t>(info.frames);
  std::vector<float> interleaved(frames * channels);  // [frames, channels]
  const sf_count_t got = sf_readf_float(file.get(), interleaved.data(), info.frames);
  if (got != info.frames) {
    throw Error(path + ": cannot read audio: got " + std::to_string(got) + " of " +
                std::to_string(info.frames) + " frames (" + sf_strerror(file.get()) + ")");
  }

  // Float WAVs can hold NaN or infinity; they would only surface much later as a bad score.
  for (size_t i = 0; i < interleaved.size(); ++i) {
    if (!std::isfinite(interleaved[i])) {
      throw Error(path + ": sample " + std::to_string(i / channels) +
                  (channels > 1 ? " (channel " + std::to_string(i % channels) + ")" : "") +
                  " is not finite (" + (std::isnan(interleaved[i]) ? "NaN" : "infinite") +
                  "), expected audio samples in [-1, 1]");
    }
  }

  MonoAudio out;
  out.sample_rate = static_cast<uint32_t>(info.samplerate);
  out.file_channels = static_cast<uint32_t>(info.channels);
  out.samples.resize(frames);
  if (channels == 1) {
    out.samples = std::move(interleaved);
  } else {
    // mono = mean over channels, summed in double so the order of channels does not matter
    const double inv = 1.0 / static_cast<double>(channels);
    for (size_t i = 0; i < frames; ++i) {
      double sum = 0.0;
      for (size_t c = 0; c < channels; ++c) sum += interleaved[i * channels + c];
      out.samples[i] = static_cast<float>(sum * inv);
    }
  }
  return out;
}

}  // namespace tinyprop::host::audio
