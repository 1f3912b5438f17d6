// The DCASE2020 Task 2 layout loader on a generated miniature layout, malformed names included.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "data/dcase_layout.h"
#include "util/error.h"
#include "test_audio_util.h"

namespace tinyprop::host::audio {
namespace {

using testing::error_of;

using testing::ScratchDir;

// The loader only lists files, so empty files are enough here.
void touch(const std::filesystem::path& p) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p.string()) << "";
}


class AudioLayout : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto root = dir_.path();
    for (int i = 0; i < 5; ++i) {
      char name[64];
      snprintf(name, sizeof name, "normal_id_00_%08d.wav", 4 - i);  // written out of order
      touch(root / "fan" / "train" / name);
      snprintf(name, sizeof name, "normal_id_02_%08d.wav", i);
      touch(root / "fan" / "train" / name);
    }
    touch(root / "fan" / "test" / "normal_id_00_00000000.wav");
    touch(root / "fan" / "test" / "anomaly_id_00_00000001.wav");
    touch(root / "fan" / "test" / "anomaly_id_00_00000000.wav");
    touch(root / "fan" / "test" / "normal_id_02_00000007.wav");
    touch(root / "fan" / "test" / "anomaly_id_02_00000003.wav");
    touch(root / "pump" / "train" / "normal_id_04_00000000.wav");
    touch(root / "pump" / "train" / "normal_id_04_00000001.wav");
    touch(root / "pump" / "test" / "normal_id_04_00000000.wav");
    touch(root / "pump" / "test" / "anomaly_id_04_00000000.wav");
    // Malformed .wav names: ignored with a warning each.
    for (const char* bad : {"normal_id_00.wav", "anomaly_id_xx_00000001.wav", "normal_id_00_0000000a.wav",
                            "normal-id_00_00000001.wav", "id_00_00000001.wav", "normal_id__00000001.wav"}) {
      touch(root / "fan" / "test" / bad);
    }
    touch(root / "fan" / "train" / "anomaly_id_00_00000009.wav");  // anomaly in train: warning
    // Ignored silently: not .wav, hidden, and a folder that is no machine type.
    touch(root / "fan" / "train" / "README.txt");
    touch(root / "fan" / "test" / ".normal_id_00_00000005.wav");
    touch(root / "docs" / "notes.wav");
  }
  ScratchDir dir_{"layout"};
};

TEST_F(AudioLayout, FindsMachinesClipsAndSplitsByIdAndLabel) {
  const DcaseLayout l = scan_dcase_layout(dir_.path().string());
  ASSERT_EQ(l.machines.size(), 3u);
  EXPECT_EQ(l.machines[0].label(), "fan/id_00");
  EXPECT_EQ(l.machines[1].label(), "fan/id_02");
  EXPECT_EQ(l.machines[2].label(), "pump/id_04");
  EXPECT_EQ(l.machine_types(), (std::vector<std::string>{"fan", "pump"}));

  const DcaseMachine& f0 = l.machines[0];
  ASSERT_EQ(f0.train.size(), 5u);
  for (uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(f0.train[i].number, i);  // sorted by clip number
    EXPECT_FALSE(f0.train[i].anomaly);
  }
  ASSERT_EQ(f0.test.size(), 3u);
  EXPECT_EQ(f0.test_normal_count(), 1u);
  EXPECT_EQ(f0.test_anomaly_count(), 2u);
  EXPECT_FALSE(f0.test[0].anomaly);  // normals first, then anomalies by number
  EXPECT_TRUE(f0.test[1].anomaly);
  EXPECT_EQ(f0.test[1].number, 0u);
  EXPECT_EQ(f0.test[2].number, 1u);
  EXPECT_EQ(l.machines[1].test.size(), 2u);
  EXPECT_EQ(l.machines[2].train.size(), 2u);
}

TEST_F(AudioLayout, MalformedNamesAreIgnoredWithOneWarningEach) {
  const DcaseLayout l = scan_dcase_layout(dir_.path().string());
  ASSERT_EQ(l.warnings.size(), 7u);
  size_t anomaly_in_train = 0, bad_name = 0;
  for (const std::string& w : l.warnings) {
    EXPECT_EQ(w.find('\n'), std::string::npos);
    EXPECT_EQ(w.rfind(dir_.path().string(), 0), 0u) << "warning names the file: " << w;
    if (w.find("anomalous clip in a train folder") != std::string::npos) ++anomaly_in_train;
    if (w.find("name is not <normal|anomaly>_id_XX_NNNNNNNN.wav") != std::string::npos) ++bad_name;
  }
  EXPECT_EQ(anomaly_in_train, 1u);
  EXPECT_EQ(bad_name, 6u);
}

TEST_F(AudioLayout, SelectedTypesOnlyAndClearErrors) {
  const DcaseLayout pump = scan_dcase_layout(dir_.path().string(), {"pump"});
  ASSERT_EQ(pump.machines.size(), 1u);
  EXPECT_TRUE(pump.warnings.empty());

  const std::string root = dir_.path().string();
  EXPECT_EQ(error_of([&] { scan_dcase_layout(root, {"valve"}); }),
            root + "/valve: machine type folder not found");
  EXPECT_EQ(error_of([&] { scan_dcase_layout(root + "/nowhere"); }),
            root + "/nowhere: DCASE data folder not found");
  std::filesystem::create_directories(dir_.path() / "slider" / "train");
  EXPECT_EQ(error_of([&] { scan_dcase_layout(root, {"slider"}); }),
            root + "/slider: needs both train/ and test/ folders");
  ScratchDir empty("layout_empty");
  EXPECT_NE(error_of([&] { scan_dcase_layout(empty.path().string()); }).find("no machine type folders"),
            std::string::npos);
}

TEST(AudioLayoutNames, ParsesDcaseNames) {
  bool anomaly = true;
  std::string id;
  uint32_t number = 0;
  ASSERT_TRUE(parse_dcase_clip_name("normal_id_00_00000012.wav", &anomaly, &id, &number));
  EXPECT_FALSE(anomaly);
  EXPECT_EQ(id, "id_00");
  EXPECT_EQ(number, 12u);
  ASSERT_TRUE(parse_dcase_clip_name("anomaly_id_06_00000348.wav", &anomaly, &id, &number));
  EXPECT_TRUE(anomaly);
  EXPECT_EQ(id, "id_06");
  EXPECT_EQ(number, 348u);
  for (const char* bad : {"normal_id_00_00000012.flac", "normal_id_00_.wav", "normal_id_0a_00000001.wav",
                          "anomaly_00_00000001.wav", "normal_id_00_00000001_extra.wav", ""}) {
    EXPECT_FALSE(parse_dcase_clip_name(bad, &anomaly, &id, &number)) << bad;
  }
}

TEST(AudioLayoutSplit, DeterministicDisjointAndComplete) {
  std::vector<DcaseClip> clips(20);
  for (uint32_t i = 0; i < 20; ++i) clips[i].number = i;
  std::vector<DcaseClip> a, b, a2, b2, c, d;
  split_clips(clips, 0.3, 42, &a, &b);
  split_clips(clips, 0.3, 42, &a2, &b2);
  split_clips(clips, 0.3, 43, &c, &d);
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), 14u);
  std::set<uint32_t> seen;
  for (const auto* part : {&a, &b})
    for (const DcaseClip& x : *part) seen.insert(x.number);
  EXPECT_EQ(seen.size(), 20u);
  std::vector<uint32_t> na, na2, nc;
  for (const DcaseClip& x : a) na.push_back(x.number);
  for (const DcaseClip& x : a2) na2.push_back(x.number);
  for (const DcaseClip& x : c) nc.push_back(x.number);
  EXPECT_EQ(na, na2);  // same seed, same split
  EXPECT_NE(na, nc);   // another seed, another split
  // Both parts keep a clip even when the fraction rounds to nothing.
  split_clips(std::vector<DcaseClip>(clips.begin(), clips.begin() + 3), 0.1, 1, &a, &b);
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(b.size(), 2u);
}

}  // namespace
}  // namespace tinyprop::host::audio
