// scripts/make-synthetic-dcase.sh: same seed, same bytes; the DCASE layout; 16 kHz 16-bit mono.
// Skipped where SoX is not installed (scripts/install-deps.sh cli, run by `make test`, installs it).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <iterator>

#include "data/dcase_layout.h"
#include "data/logmel.h"
#include "data/wav.h"
#include "test_audio_util.h"
#include "../missing_dependency.h"

namespace tinyprop::host::audio {
namespace {

using testing::ScratchDir;

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void generate(const std::string& out, int seed) {
  const std::string cmd = std::string(TINYPROP_SOURCE_DIR) + "/scripts/make-synthetic-dcase.sh --quick --out '" +
                          out + "' --seed " + std::to_string(seed) + " > /dev/null";
  ASSERT_EQ(system(cmd.c_str()), 0) << cmd;
}

TEST(AudioSynthetic, DeterministicFromTheSeedInTheDcaseLayout) {
  if (system("command -v sox > /dev/null 2>&1") != 0) {
    TINYPROP_MISSING_DEPENDENCY("sox not installed");
  }
  ScratchDir a("syn_a"), b("syn_b"), c("syn_c");
  generate(a.path().string(), 3);
  generate(b.path().string(), 3);
  generate(c.path().string(), 4);

  const DcaseLayout la = scan_dcase_layout(a.path().string());
  EXPECT_TRUE(la.warnings.empty());
  ASSERT_EQ(la.machines.size(), 2u);  // --quick: synth_pump id_00 and id_02
  size_t differ = 0;
  for (const DcaseMachine& m : la.machines) {
    EXPECT_EQ(m.type, "synth_pump");
    EXPECT_EQ(m.train.size(), 12u);
    EXPECT_EQ(m.test_normal_count(), 8u);
    EXPECT_EQ(m.test_anomaly_count(), 8u);
    for (const auto* list : {&m.train, &m.test}) {
      for (const DcaseClip& clip : *list) {
        const std::string rel = std::filesystem::relative(clip.path, a.path()).string();
        const std::string bytes = bytes_of(clip.path);
        EXPECT_EQ(bytes, bytes_of((b.path() / rel).string())) << rel << ": same seed, other bytes";
        differ += bytes != bytes_of((c.path() / rel).string());
      }
    }
  }
  EXPECT_EQ(differ, 2u * (12 + 16)) << "another seed must change every clip";

  // Every clip: 1 s, 16 kHz, mono, not silent, and clips of one machine differ from each other.
  const MonoAudio first = read_audio_mono(la.machines[0].train[0].path, 16000);
  const MonoAudio second = read_audio_mono(la.machines[0].train[1].path, 16000);
  EXPECT_EQ(first.file_channels, 1u);
  EXPECT_EQ(first.samples.size(), 16000u);
  EXPECT_NE(first.samples, second.samples);
  double energy = 0;
  for (float v : first.samples) energy += static_cast<double>(v) * v;
  EXPECT_GT(energy / first.samples.size(), 1e-4);
  LogMelExtractor ex{LogMelConfig{}};
  size_t n = 0;
  clip_vectors(ex, la.machines[1].test.back().path, &n);
  EXPECT_EQ(n, 28u);
  EXPECT_TRUE(std::filesystem::exists(a.path() / "SYNTHETIC.txt"));
}

TEST(AudioSynthetic, RefusesToOverwriteAFolderThatIsNotSynthetic) {
  if (system("command -v sox > /dev/null 2>&1") != 0) {
    TINYPROP_MISSING_DEPENDENCY("sox not installed");
  }
  ScratchDir d("syn_keep");
  std::ofstream((d.path() / "precious.txt").string()) << "keep me\n";
  const std::string cmd = std::string(TINYPROP_SOURCE_DIR) + "/scripts/make-synthetic-dcase.sh --quick --out '" +
                          d.path().string() + "' > /dev/null 2>&1";
  EXPECT_NE(system(cmd.c_str()), 0);
  EXPECT_TRUE(std::filesystem::exists(d.path() / "precious.txt"));
}

}  // namespace
}  // namespace tinyprop::host::audio
