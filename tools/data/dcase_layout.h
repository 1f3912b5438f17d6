// The DCASE2020 Task 2 development-set layout:
//
//   <root>/<machine_type>/train/normal_id_XX_NNNNNNNN.wav
//   <root>/<machine_type>/test/normal_id_XX_NNNNNNNN.wav
//   <root>/<machine_type>/test/anomaly_id_XX_NNNNNNNN.wav
//
// XX: machine ID (digits), NNNNNNNN: clip number (digits). The loader lists files only; audio is
// read later (clip_vectors).
//
// Malformed names are IGNORED WITH A WARNING (collected in DcaseLayout::warnings; the caller
// prints them): a .wav file whose name does not match the pattern, or an anomaly clip in a train
// folder. Files that are not .wav (README, .DS_Store) and hidden files are ignored silently. A
// machine type folder without train/ or test/ is an error, as is a root with no usable clip.
#pragma once
#include <stdint.h>

#include <string>
#include <vector>

namespace tinyprop::host::audio {

struct DcaseClip {
  std::string path;
  bool anomaly = false;
  uint32_t number = 0;  // NNNNNNNN
};

// All clips of one machine: (type, id).
struct DcaseMachine {
  std::string type;  // folder name, e.g. "fan"
  std::string id;    // "id_00"
  std::vector<DcaseClip> train;  // normal clips, sorted by number
  std::vector<DcaseClip> test;   // normal and anomalous, sorted by (anomaly, number)

  size_t test_normal_count() const;
  size_t test_anomaly_count() const;
  std::string label() const { return type + "/" + id; }
};

struct DcaseLayout {
  std::string root;
  std::vector<DcaseMachine> machines;  // sorted by (type, id)
  std::vector<std::string> warnings;   // one line per ignored file

  std::vector<std::string> machine_types() const;  // distinct, sorted
};

// Scans root. machine_types: only these folders (empty = every folder below root that has a
// train/ or test/ folder). Throws host::Error with one line naming the path on a missing root,
// a requested type that does not exist, a type folder without train/ and test/, or no clips.
DcaseLayout scan_dcase_layout(const std::string& root,
                              const std::vector<std::string>& machine_types = {});

// Parses "normal_id_00_00000012.wav" / "anomaly_id_02_00000003.wav". False when the name does
// not match (then the outputs are unspecified).
bool parse_dcase_clip_name(const std::string& file_name, bool* anomaly, std::string* id,
                           uint32_t* number);

// Per-machine split of the normal training clips: a seeded shuffle (tinyprop::Rng), the first
// round(fraction * n) clips go to `first`, the rest to `rest`. Both keep at least one clip when
// n >= 2 and 0 < fraction < 1.
void split_clips(const std::vector<DcaseClip>& clips, double fraction, uint64_t seed,
                 std::vector<DcaseClip>* first, std::vector<DcaseClip>* rest);

}  // namespace tinyprop::host::audio
