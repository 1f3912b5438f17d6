// The .tpm model file: bitwise round trips, damage detection (CRC, truncation, every field),
// forward-compatible layer records, and atomic writes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <string.h>
#include <unistd.h>

#include <cmath>
#include <limits>

#include "util/error.h"
#include "formats/model_file.h"
#include "formats/model_file_format.h"
#include "test_data_helpers.h"
#include "test_model_file_util.h"
#include "tinyprop/arena.h"
#include "tinyprop/model.h"

namespace tinyprop::host {
namespace {

using test::awkward_values;
using test::bits_of;
using test::contains;
using test::error_of;
using test::expect_same;
using test::fix_size_and_crc;
using test::read_bytes;
using test::TempDir;
using test::write_bytes;
using test::write_text;

// An MLP with every layer feature the format stores: leaky ReLU alpha, a frozen layer, sigmoid,
// a non-default loss and a non-flat input shape.
ModelFile rich_file() {
  ModelFile f;
  f.spec.input = Shape{2, 3, 1};
  f.spec.loss = LossKind::kMeanSquaredError;
  EXPECT_TRUE(ok(f.spec.add_dense(5, /*trainable=*/false)));
  EXPECT_TRUE(ok(f.spec.add_activation(LayerKind::kLeakyReLU, 0.2f)));
  EXPECT_TRUE(ok(f.spec.add_dense(4)));
  EXPECT_TRUE(ok(f.spec.add_activation(LayerKind::kSigmoid)));
  EXPECT_TRUE(ok(f.spec.add_dense(3)));
  EXPECT_TRUE(ok(f.spec.validate()));
  f.params = awkward_values(f.spec.param_count(), 1);
  f.metadata = std::string("{\"accuracy\": 0.97}\n") + '\0' + "\xff tail";
  return f;
}

// Trainable parameters of rich_file(): layers 2 and 4 (layer 0 is frozen).
constexpr size_t kRichTrainable = (5 * 4 + 4) + (4 * 3 + 3);

size_t layer_record_offset(uint32_t i) {
  return tpm::kHeaderBytes + tpm::kArchitectureBytes + i * (tpm::kLayerRecordHeadBytes + 4u * tpm::kV1LayerFields);
}

TEST(ModelFile, RoundTripIsBitwise) {
  TempDir dir;
  const ModelFile f = rich_file();
  save_model(dir.file("m.tpm"), f);
  expect_same(f, load_model(dir.file("m.tpm")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.tpm.tmp")));
}

TEST(ModelFile, RoundTripOfParsedMlpAndOptimizerStates) {
  TempDir dir;
  ModelFile f;
  f.spec = parse_model_spec("mlp:7-6-3");
  f.params = awkward_values(f.spec.param_count(), 2);
  const size_t trainable = f.spec.param_count();
  struct Case {
    OptimizerKind kind;
    size_t floats;
  } cases[] = {{OptimizerKind::kAdam, 2 * trainable}, {OptimizerKind::kSgd, trainable}, {OptimizerKind::kSgd, 0}};
  for (const Case& c : cases) {
    f.has_optimizer_state = true;
    f.optimizer = c.kind;
    f.optimizer_steps = 0x0123456789ABCDEFull;
    f.optimizer_state = awkward_values(c.floats, 3);
    save_model(dir.file("m.tpm"), f);
    expect_same(f, load_model(dir.file("m.tpm")));
  }
}

TEST(ModelFile, OptimizerStateCountsOnlyTrainableLayers) {
  TempDir dir;
  ModelFile f = rich_file();
  f.has_optimizer_state = true;
  f.optimizer = OptimizerKind::kAdam;
  f.optimizer_state.assign(2 * kRichTrainable, 0.5f);
  save_model(dir.file("m.tpm"), f);
  expect_same(f, load_model(dir.file("m.tpm")));
  f.optimizer_state.pop_back();
  const std::string msg = error_of([&] { save_model(dir.file("m.tpm"), f); });
  EXPECT_TRUE(contains(msg, "optimizer state has 77 floats, expected 78 for adam")) << msg;
  f.has_optimizer_state = false;
  EXPECT_TRUE(contains(error_of([&] { save_model(dir.file("m.tpm"), f); }), "has_optimizer_state is false"));
}

TEST(ModelFile, BytesAreExplicitLittleEndian) {
  TempDir dir;
  ModelFile f;
  f.spec = parse_model_spec("mlp:2-2");
  f.params = {1.0f, -2.0f, 0.5f, 0.25f, 0.0f, 3.0f};
  f.metadata = "hi";
  save_model(dir.file("m.tpm"), f);
  const std::vector<uint8_t> b = read_bytes(dir.file("m.tpm"));
  // header 20 + architecture 20 + one layer record 12 + count 4 + 6 floats 24 + metadata 4+2 + CRC 4
  ASSERT_EQ(b.size(), 90u);
  const std::vector<uint8_t> head(b.begin(), b.begin() + 20);
  EXPECT_EQ(head, (std::vector<uint8_t>{'T', 'P', 'M', 'F', 1, 0, 0, 0, 90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  const std::vector<uint8_t> arch(b.begin() + 20, b.begin() + 52);
  EXPECT_EQ(arch, (std::vector<uint8_t>{1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0,  // input 1x1x2
                                        0, 0, 0, 0, 1, 0, 0, 0,              // loss 0, reserved, 1 layer
                                        0, 1, 2, 0,                          // dense, trainable, 2 fields
                                        2, 0, 0, 0, 0x0a, 0xd7, 0x23, 0x3c})); // units 2, alpha 0.01f
  // param count 6, then -2.0f = 0xc0000000 as the second float.
  EXPECT_EQ(b[52], 6);
  EXPECT_EQ(b[60], 0x00);
  EXPECT_EQ(b[63], 0xc0);
}

// A file written by the version-1 writer before the format stored window layers (commit
// 1d65a48): input 1x2x2, dense 3 (frozen), leaky_relu 0.2, dense 2, mean squared error; params
// 0.125 (i - 10) with params[10] = -0.0; Adam state 0.5 i (16 floats) after 7 steps; metadata
// "v1". It must keep loading, and today's writer must still produce exactly these bytes.
TEST(ModelFile, FileOfTheFirstVersion1WriterLoadsAndReencodesIdentically) {
  // clang-format off
  const std::vector<uint8_t> v1 = {
      0x54, 0x50, 0x4d, 0x46, 0x01, 0x00, 0x00, 0x00, 0x06, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
      0x02, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00,
      0x0a, 0xd7, 0x23, 0x3c, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xcd, 0xcc, 0x4c, 0x3e,
      0x00, 0x01, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x0a, 0xd7, 0x23, 0x3c, 0x17, 0x00, 0x00, 0x00,
      0x00, 0x00, 0xa0, 0xbf, 0x00, 0x00, 0x90, 0xbf, 0x00, 0x00, 0x80, 0xbf, 0x00, 0x00, 0x60, 0xbf,
      0x00, 0x00, 0x40, 0xbf, 0x00, 0x00, 0x20, 0xbf, 0x00, 0x00, 0x00, 0xbf, 0x00, 0x00, 0xc0, 0xbe,
      0x00, 0x00, 0x80, 0xbe, 0x00, 0x00, 0x00, 0xbe, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x3e,
      0x00, 0x00, 0x80, 0x3e, 0x00, 0x00, 0xc0, 0x3e, 0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x20, 0x3f,
      0x00, 0x00, 0x40, 0x3f, 0x00, 0x00, 0x60, 0x3f, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x90, 0x3f,
      0x00, 0x00, 0xa0, 0x3f, 0x00, 0x00, 0xb0, 0x3f, 0x00, 0x00, 0xc0, 0x3f, 0x01, 0x00, 0x00, 0x00,
      0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0x40,
      0x00, 0x00, 0x20, 0x40, 0x00, 0x00, 0x40, 0x40, 0x00, 0x00, 0x60, 0x40, 0x00, 0x00, 0x80, 0x40,
      0x00, 0x00, 0x90, 0x40, 0x00, 0x00, 0xa0, 0x40, 0x00, 0x00, 0xb0, 0x40, 0x00, 0x00, 0xc0, 0x40,
      0x00, 0x00, 0xd0, 0x40, 0x00, 0x00, 0xe0, 0x40, 0x00, 0x00, 0xf0, 0x40, 0x02, 0x00, 0x00, 0x00,
      0x76, 0x31, 0xa9, 0xee, 0xe7, 0x29};
  // clang-format on
  ModelFile expected;
  expected.spec.input = Shape{1, 2, 2};
  expected.spec.loss = LossKind::kMeanSquaredError;
  ASSERT_TRUE(ok(expected.spec.add_dense(3, false)));
  ASSERT_TRUE(ok(expected.spec.add_activation(LayerKind::kLeakyReLU, 0.2f)));
  ASSERT_TRUE(ok(expected.spec.add_dense(2)));
  for (int i = 0; i < 23; ++i) expected.params.push_back(0.125f * static_cast<float>(i - 10));
  expected.params[10] = -0.0f;
  expected.has_optimizer_state = true;
  expected.optimizer = OptimizerKind::kAdam;
  expected.optimizer_steps = 7;
  for (int i = 0; i < 16; ++i) expected.optimizer_state.push_back(0.5f * static_cast<float>(i));
  expected.metadata = "v1";
  expect_same(expected, load_model_from_bytes(v1, "v1.tpm"));
  EXPECT_EQ(encode_model(expected, "v1.tpm"), v1);
}

// Every single-bit flip, in memory (load_model_from_bytes runs every check load_model does;
// thousands of files would make the test slow), then one flip through a real file.
TEST(ModelFile, EveryFlippedBitIsDetected) {
  ModelFile f = rich_file();
  f.has_optimizer_state = true;
  f.optimizer = OptimizerKind::kSgd;
  f.optimizer_state.assign(kRichTrainable, 0.25f);
  const std::vector<uint8_t> good = encode_model(f, "m.tpm");
  expect_same(f, load_model_from_bytes(good, "m.tpm"));
  size_t crc_messages = 0;
  for (size_t byte = 0; byte < good.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<uint8_t> bad = good;
      bad[byte] ^= static_cast<uint8_t>(1u << bit);
      const std::string msg = error_of([&] { load_model_from_bytes(bad, "bad.tpm"); });
      ASSERT_NE(msg, "(no error)") << "byte " << byte << " bit " << bit;
      EXPECT_EQ(msg.rfind("bad.tpm: ", 0), 0u) << msg;
      crc_messages += contains(msg, "CRC mismatch (file damaged)");
    }
  }
  // Only flips in the magic, version and size fields (16 bytes) get a more specific message.
  EXPECT_EQ(crc_messages, (good.size() - 16) * 8);

  TempDir dir;
  save_model(dir.file("m.tpm"), f);
  std::vector<uint8_t> bad = read_bytes(dir.file("m.tpm"));
  EXPECT_EQ(bad, good);
  bad[bad.size() / 2] ^= 0x10;
  write_bytes(dir.file("bad.tpm"), bad);
  EXPECT_EQ(error_of([&] { load_model(dir.file("bad.tpm")); }), dir.file("bad.tpm") + ": CRC mismatch (file damaged)");
}

TEST(ModelFile, TruncatedAtEveryLength) {
  const std::vector<uint8_t> good = encode_model(rich_file(), "m.tpm");
  for (size_t len = 0; len < good.size(); ++len) {
    const std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<ptrdiff_t>(len));
    const std::string msg = error_of([&] { load_model_from_bytes(cut, "t.tpm"); });
    if (len < 4) {
      EXPECT_TRUE(contains(msg, "bad magic")) << len << ": " << msg;
    } else {
      EXPECT_TRUE(contains(msg, "truncated")) << len << ": " << msg;
    }
  }
  TempDir dir;
  write_bytes(dir.file("t.tpm"), std::vector<uint8_t>(good.begin(), good.end() - 1));
  EXPECT_EQ(error_of([&] { load_model(dir.file("t.tpm")); }),
            dir.file("t.tpm") + ": truncated: expected " + std::to_string(good.size()) + " bytes, got " +
                std::to_string(good.size() - 1));
}

TEST(ModelFile, TrailingBytesMagicAndVersion) {
  TempDir dir;
  save_model(dir.file("m.tpm"), rich_file());
  std::vector<uint8_t> b = read_bytes(dir.file("m.tpm"));
  b.push_back(0);
  write_bytes(dir.file("x.tpm"), b);
  EXPECT_TRUE(contains(error_of([&] { load_model(dir.file("x.tpm")); }), "1 trailing bytes"));

  b = read_bytes(dir.file("m.tpm"));
  b[0] = 'X';
  write_bytes(dir.file("x.tpm"), b);
  EXPECT_EQ(error_of([&] { load_model(dir.file("x.tpm")); }),
            dir.file("x.tpm") + ": bad magic (not a tinyprop .tpm model file)");

  b = read_bytes(dir.file("m.tpm"));
  b[tpm::kVersionOffset] = 2;
  write_bytes(dir.file("x.tpm"), b);
  EXPECT_EQ(error_of([&] { load_model(dir.file("x.tpm")); }),
            dir.file("x.tpm") + ": unsupported format version 2 (this build reads version 1)");

  write_text(dir.file("x.tpm"), "mlp:784-10\n");
  EXPECT_TRUE(contains(error_of([&] { load_model(dir.file("x.tpm")); }), "bad magic"));
  EXPECT_TRUE(contains(error_of([&] { load_model(dir.file("none.tpm")); }), "none.tpm: cannot open"));
}

TEST(ModelFile, ConsistentButWrongContentIsRejected) {
  TempDir dir;
  save_model(dir.file("m.tpm"), rich_file());
  const std::vector<uint8_t> good = read_bytes(dir.file("m.tpm"));
  auto load_edited = [&](auto edit) {
    std::vector<uint8_t> b = good;
    edit(&b);
    fix_size_and_crc(&b);
    write_bytes(dir.file("e.tpm"), b);
    return error_of([&] { load_model(dir.file("e.tpm")); });
  };
  const size_t rec2 = layer_record_offset(2);  // the second dense layer (4 units)
  const size_t count_at = layer_record_offset(5);
  std::string msg = load_edited([&](std::vector<uint8_t>* b) { (*b)[count_at] ^= 1; });
  EXPECT_TRUE(contains(msg, "param count mismatch: file has 75, the architecture needs 74")) << msg;
  msg = load_edited([&](std::vector<uint8_t>* b) { (*b)[rec2 + 4] = 0; });  // units 4 -> 0
  EXPECT_TRUE(contains(msg, "invalid model spec (bad shape)")) << msg;
  msg = load_edited([&](std::vector<uint8_t>* b) { (*b)[rec2] = 11; });  // 0-10 are known
  EXPECT_TRUE(contains(msg, "layer 2: unknown layer kind 11")) << msg;
  msg = load_edited([&](std::vector<uint8_t>* b) { (*b)[rec2 + 1] = 0x80; });
  EXPECT_TRUE(contains(msg, "layer 2: unknown layer flags")) << msg;
  msg = load_edited([&](std::vector<uint8_t>* b) { (*b)[tpm::kHeaderBytes + 12] = 7; });
  EXPECT_TRUE(contains(msg, "unknown loss kind 7")) << msg;
  msg = load_edited([&](std::vector<uint8_t>* b) { (*b)[tpm::kFlagsOffset] = 4; });
  EXPECT_TRUE(contains(msg, "unknown header flags")) << msg;
  msg = load_edited([&](std::vector<uint8_t>* b) { (*b)[tpm::kHeaderBytes + 16] = 25; });  // n_layers
  EXPECT_TRUE(contains(msg, "25 layers, this build supports at most 24")) << msg;
  msg = load_edited([&](std::vector<uint8_t>* b) {  // metadata length beyond the body
    (*b)[b->size() - 4 - rich_file().metadata.size() - 4 + 1] = 200;
  });
  EXPECT_TRUE(contains(msg, "truncated")) << msg;
  msg = load_edited([&](std::vector<uint8_t>* b) { b->insert(b->end() - 4, 0); });
  EXPECT_TRUE(contains(msg, "malformed: 1 unparsed bytes before the CRC")) << msg;
}

// docs/MODEL_FORMAT.md: a reader skips extension fields it does not know when they are zero,
// and refuses the file when they are set. This is what lets conv layers add fields later.
TEST(ModelFile, LayerRecordsCarryExtensionFields) {
  TempDir dir;
  const ModelFile f = rich_file();
  save_model(dir.file("m.tpm"), f);
  std::vector<uint8_t> b = read_bytes(dir.file("m.tpm"));
  const size_t rec = layer_record_offset(0);
  b[rec + 2] = tpm::kV1LayerFields + 3;  // three more fields, all zero
  b.insert(b.begin() + static_cast<ptrdiff_t>(rec + 4 + 4 * tpm::kV1LayerFields), 12, 0);
  fix_size_and_crc(&b);
  write_bytes(dir.file("ext.tpm"), b);
  expect_same(f, load_model(dir.file("ext.tpm")));

  b[rec + 4 + 4 * tpm::kV1LayerFields + 4] = 3;  // the second extension field is set
  fix_size_and_crc(&b);
  write_bytes(dir.file("ext.tpm"), b);
  const std::string msg = error_of([&] { load_model(dir.file("ext.tpm")); });
  EXPECT_TRUE(contains(msg, "layer 0: extension field 3 is set")) << msg;

  b = read_bytes(dir.file("m.tpm"));
  b[rec + 2] = 1;  // fewer fields than version 1 needs
  b.erase(b.begin() + static_cast<ptrdiff_t>(rec + 8), b.begin() + static_cast<ptrdiff_t>(rec + 12));
  fix_size_and_crc(&b);
  write_bytes(dir.file("ext.tpm"), b);
  EXPECT_TRUE(contains(error_of([&] { load_model(dir.file("ext.tpm")); }), "layer 0: has 1 fields, needs 2"));
}

// A small fuzz: random edits with a recomputed size and CRC reach the field parser, which must
// answer every input with a loaded model or a host::Error (and, under ASan, touch no bad memory).
TEST(ModelFile, RandomEditsBehindAValidCrcAreHandled) {
  ModelFile f = rich_file();
  f.has_optimizer_state = true;
  f.optimizer = OptimizerKind::kAdam;
  f.optimizer_state.assign(2 * kRichTrainable, 1.0f);
  const std::vector<uint8_t> good = encode_model(f, "m.tpm");
  Rng rng(2024);
  size_t loaded = 0, refused = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<uint8_t> b = good;
    const uint32_t edits = 1 + rng.uniform_below(4);
    for (uint32_t e = 0; e < edits; ++e) {
      // Edit after the size field so that the edit reaches the parser.
      const size_t at = tpm::kFlagsOffset + rng.uniform_below(static_cast<uint32_t>(b.size() - 4 - tpm::kFlagsOffset));
      switch (rng.uniform_below(3)) {
        case 0: b[at] = static_cast<uint8_t>(rng.next_u32()); break;
        case 1: b.erase(b.begin() + static_cast<ptrdiff_t>(at)); break;
        default: b.insert(b.begin() + static_cast<ptrdiff_t>(at), static_cast<uint8_t>(rng.next_u32())); break;
      }
    }
    fix_size_and_crc(&b);
    try {
      load_model_from_bytes(b, "fuzz.tpm");
      ++loaded;
    } catch (const Error& e) {
      ++refused;
      EXPECT_EQ(std::string(e.what()).rfind("fuzz.tpm: ", 0), 0u) << e.what();
    }
  }
  EXPECT_EQ(loaded + refused, 3000u);
  EXPECT_GT(refused, 1000u);  // most random edits break some field
}

TEST(ModelFile, SaveRefusesInconsistentModels) {
  TempDir dir;
  ModelFile f = rich_file();
  f.params.pop_back();
  EXPECT_TRUE(contains(error_of([&] { save_model(dir.file("m.tpm"), f); }), "73 parameters given, the architecture needs 74"));
  f = rich_file();
  f.spec.layers[2].units = 0;
  EXPECT_TRUE(contains(error_of([&] { save_model(dir.file("m.tpm"), f); }), "invalid model spec"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.tpm")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.tpm.tmp")));
}

// A layer kind the format does not know (a newer core) is refused on save rather than being
// written without its fields.
TEST(ModelFile, KindsTheFormatCannotStoreAreRefused) {
  TempDir dir;
  ModelFile f = rich_file();
  f.spec.layers[1].kind = static_cast<LayerKind>(11);
  const std::string msg = error_of([&] { save_model(dir.file("m.tpm"), f); });
  EXPECT_TRUE(
      contains(msg, "cannot save: layer 1 has kind 11, which the .tpm format does not know"))
      << msg;
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.tpm")));
}

TEST(ModelFile, StaleTempFileFromACrashDoesNotMatter) {
  TempDir dir;
  const ModelFile old_file = rich_file();
  save_model(dir.file("m.tpm"), old_file);
  // A crash during a later save left half a file behind under the temporary name.
  std::vector<uint8_t> half = read_bytes(dir.file("m.tpm"));
  half.resize(half.size() / 2);
  write_bytes(dir.file("m.tpm.tmp"), half);
  expect_same(old_file, load_model(dir.file("m.tpm")));
  // The next save replaces the model and leaves the stale file alone (saves write to a new,
  // uniquely named temporary file and never open an existing one).
  ModelFile new_file = rich_file();
  new_file.params = awkward_values(new_file.params.size(), 99);
  save_model(dir.file("m.tpm"), new_file);
  expect_same(new_file, load_model(dir.file("m.tpm")));
  EXPECT_EQ(read_bytes(dir.file("m.tpm.tmp")), half);
}

TEST(ModelFile, FailedWriteLeavesTheOldFileIntact) {
  TempDir dir;
  const ModelFile old_file = rich_file();
  save_model(dir.file("m.tpm"), old_file);
  ModelFile new_file = rich_file();
  new_file.params = awkward_values(new_file.params.size(), 5);

  // A write that fails midway (as on a full disk): a file size limit of 64 bytes makes write()
  // fail with EFBIG (SIGXFSZ ignored). The temporary file is removed.
  {
    struct rlimit old_limit {};
    ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = old_limit;
    small.rlim_cur = 64;
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
    const std::string msg = error_of([&] { save_model(dir.file("m.tpm"), new_file); });
    setrlimit(RLIMIT_FSIZE, &old_limit);
    signal(SIGXFSZ, old_handler);
    EXPECT_TRUE(contains(msg, "m.tpm: write failed (old file left unchanged)")) << msg;
    expect_same(old_file, load_model(dir.file("m.tpm")));
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
      EXPECT_EQ(e.path().filename().string(), "m.tpm") << "left behind: " << e.path();
    }
  }
  // A planted m.tpm.tmp (a link to /dev/full, or a directory) is neither followed nor in the way.
  if (std::filesystem::exists("/dev/full")) {
    std::filesystem::create_symlink("/dev/full", dir.file("m.tpm.tmp"));
    save_model(dir.file("m.tpm"), new_file);
    expect_same(new_file, load_model(dir.file("m.tpm")));
    EXPECT_TRUE(std::filesystem::is_symlink(dir.file("m.tpm.tmp")));
    std::filesystem::remove(dir.file("m.tpm.tmp"));
    save_model(dir.file("m.tpm"), old_file);
  }
  std::filesystem::create_directory(dir.file("m.tpm.tmp"));
  save_model(dir.file("m.tpm"), new_file);
  expect_same(new_file, load_model(dir.file("m.tpm")));
  // Saving into a directory that does not exist.
  EXPECT_TRUE(contains(error_of([&] { save_model(dir.file("no/such/dir/m.tpm"), new_file); }), "cannot create"));
}

TEST(ModelFile, CopyParamsIntoABoundModel) {
  const ModelFile f = rich_file();
  MemoryPlan plan;
  ASSERT_TRUE(ok(Model::plan(f.spec, &plan)));
  std::vector<float> arena_mem(plan.total() / sizeof(float) + 16);  // float-aligned; realign below
  auto* base = reinterpret_cast<uint8_t*>(arena_mem.data());
  const size_t pad = (kArenaAlignment - reinterpret_cast<uintptr_t>(base) % kArenaAlignment) % kArenaAlignment;
  Arena arena(base + pad, plan.total());
  Model model;
  ASSERT_TRUE(ok(model.bind(f.spec, arena)));
  copy_params_into(f, model);
  for (uint32_t i = 0; i < model.param_count(); ++i) EXPECT_EQ(bits_of(model.params()[i]), bits_of(f.params[i]));

  ModelFile other;
  other.spec = parse_model_spec("mlp:6-3");
  other.params.assign(other.spec.param_count(), 0.0f);
  EXPECT_TRUE(contains(error_of([&] { copy_params_into(other, model); }), "model file has 21 parameters, the bound model 74"));
  Model unbound;
  EXPECT_TRUE(contains(error_of([&] { copy_params_into(f, unbound); }), "not bound"));
}

}  // namespace
}  // namespace tinyprop::host
