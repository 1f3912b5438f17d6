// Regression tests of the parser defects found by the robustness review: each one fed the
// reproducer committed under tests/fuzz/corpus/ (or built here) and failed before its fix.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "data/wav.h"
#include "data/dataset.h"
#include "data/file_bytes.h"
#include "util/error.h"
#include "formats/model_file.h"
#include "test_bad_input_util.h"
#include "test_data_helpers.h"
#include "experiments/train_loop.h"

namespace tinyprop::host {
namespace {

using test::contains;
using test::corpus_file;
using test::error_of;
using test::TempDir;
using test::write_bytes;
using test::write_text;

// ---- CSV: header detection (a typo or a byte-order mark must not drop the first sample) ----

TEST(BadInputCsv, FirstRowWithOneMalformedFieldIsAnErrorNotAHeader) {
  const std::string path = corpus_file("csv", "first-row-typo");  // "1,2x,0\n3,4,1\n5,6,0\n"
  const std::string msg = error_of([&] { load_csv(path); });
  EXPECT_TRUE(contains(msg, "defect-first-row-typo:1: field 2 '2x' is not a number")) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(BadInputCsv, ByteOrderMarkIsStrippedAndTheFirstRowIsData) {
  const Dataset d = load_csv(corpus_file("csv", "bom-first-row"));  // BOM "1,2,0\n3,4,1\n"
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d.x, (std::vector<float>{1.0f, 2.0f, 3.0f, 4.0f}));
  EXPECT_EQ(d.y, (std::vector<uint32_t>{0, 1}));
  // A header after a BOM is still a header.
  TempDir dir;
  write_text(dir.file("h.csv"), "\xEF\xBB\xBF" "a,b,label\n1,2,0\n");
  EXPECT_EQ(load_csv(dir.file("h.csv")).size(), 1u);
}

TEST(BadInputCsv, HeaderOfNamesOnlyIsStillAccepted) {
  TempDir dir;
  write_text(dir.file("h.csv"), "f1, f2 ,label\n1,2,0\n3,4,1\n");
  EXPECT_EQ(load_csv(dir.file("h.csv")).size(), 2u);
}

// ---- CSV: streaming (peak memory about the parsed floats plus one line) ----

// Peak memory growth of loading `text` as CSV, in bytes, in a child process.
long csv_peak_bytes(const std::string& path) {
  const long kib = test::child_peak_growth_kib([&] { (void)load_csv(path); });
  return kib < 0 ? kib : kib * 1024;
}

TEST(BadInputCsv, OneLineFileIsStreamedNotCopiedManyTimes) {
  TempDir dir;
  // One row of 2^21 features "1," (4 MiB of text, 8 MiB of floats) and a label.
  const size_t n = size_t{1} << 21;
  std::string text;
  text.reserve(2 * n + 2);
  for (size_t i = 0; i < n; ++i) text += "1,";
  text += "0\n";
  write_text(dir.file("wide.csv"), text);
  const long peak = csv_peak_bytes(dir.file("wide.csv"));
  ASSERT_GE(peak, 0) << "could not measure (or load_csv threw)";
  // Floats 8 MiB + the line (4 MiB, up to twice that while it grows) + slack. Before streaming
  // the loader held the file twice plus a std::string per field: ~36x the file size.
  const long floats = static_cast<long>(n * sizeof(float));
  if (test::kResidentBoundsApply) {
    EXPECT_LT(peak, floats + 3 * static_cast<long>(text.size()) + (8l << 20)) << peak;
  }
  const Dataset d = load_csv(dir.file("wide.csv"));
  EXPECT_EQ(d.size(), 1u);
  EXPECT_EQ(d.x.size(), n);
}

TEST(BadInputCsv, ManyRowsCostAboutTheirFloats) {
  TempDir dir;
  const size_t rows = 100000, cols = 10;  // 1e6 floats = 4 MB, text ~2.2 MB
  std::string text = "a,b,c,d,e,f,g,h,i,j,y\n";
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) text += std::to_string((r + c) % 10) + ",";
    text += std::to_string(r % 3) + "\n";
  }
  write_text(dir.file("rows.csv"), text);
  const long peak = csv_peak_bytes(dir.file("rows.csv"));
  ASSERT_GE(peak, 0);
  const long parsed = static_cast<long>(rows * (cols * sizeof(float) + sizeof(uint32_t)));
  // Before streaming: the file twice and the float vector growing by doubling (~2.5x).
  if (test::kResidentBoundsApply) EXPECT_LT(peak, parsed + (2l << 20)) << peak;
  const Dataset d = load_csv(dir.file("rows.csv"));
  ASSERT_EQ(d.size(), rows);
  EXPECT_EQ(d.x.size(), rows * cols);
  EXPECT_EQ(d.x[cols + 1], 2.0f);  // row 1, column 1: (1 + 1) % 10
  EXPECT_EQ(d.y[rows - 1], (rows - 1) % 3);
}

TEST(BadInputCsv, GzipCsvIsStreamedToo) {
  TempDir dir;
  std::string text = "x,y\n";
  for (int i = 0; i < 1000; ++i) text += std::to_string(i % 7) + "," + std::to_string(i % 2) + "\n";
  write_bytes(dir.file("d.csv.gz"), test::gzip(std::vector<uint8_t>(text.begin(), text.end())));
  const Dataset d = load_csv(dir.file("d.csv.gz"));
  ASSERT_EQ(d.size(), 1000u);
  EXPECT_EQ(d.x[999], static_cast<float>(999 % 7));
}

// ---- IDX: shape checks and the gzip inflate limit ----

TEST(BadInputIdx, ImageShapeMustMatchAConvolutionalModel) {
  const Dataset d = load_idx(corpus_file("idx", "shape-14x56"), [] {
    static TempDir dir;
    write_bytes(dir.file("lab"), test::idx_labels({1, 2}));
    return dir.file("lab");
  }());
  EXPECT_EQ(d.shape.h, 14u);
  EXPECT_EQ(d.shape.w, 56u);
  const ModelSpec cnn = parse_model_spec("cnn:28x28x1-c2k3-d10");
  const std::string msg = error_of([&] { check_fits(cnn, d, "the data"); });
  EXPECT_TRUE(contains(msg, "model expects 28x28x1 inputs but the data has 14x56x1 samples")) << msg;
  // A flat (MLP) input takes any sample of the right size: it has no rows and columns.
  EXPECT_EQ(error_of([&] { check_fits(parse_model_spec("mlp:784-10"), d, "the data"); }),
            "(no error)");
}

TEST(BadInputIdx, GzipBombStopsAtTheSizeTheHeaderPromises) {
  // 16 KB of gzip that would inflate to 16 MiB; the header promises 1 x 28 x 28 = 784 bytes.
  const std::string bomb = corpus_file("idx_gz", "gz-bomb");
  TempDir dir;
  write_bytes(dir.file("lab"), test::idx_labels({1}));
  const std::string msg = error_of([&] { load_idx(bomb, dir.file("lab")); });
  EXPECT_TRUE(contains(msg, "defect-gz-bomb: trailing bytes: expected 800 bytes")) << msg;
  // Memory: nothing near the 16 MiB the stream would produce (before: all of it and more).
  const long kib = test::child_peak_growth_kib([&] {
    try {
      (void)load_idx(bomb, dir.file("lab"));
    } catch (const Error&) {
    }
  });
  ASSERT_GE(kib, 0);
  EXPECT_LT(kib, 4 * 1024) << "KiB";
}

TEST(BadInputIdx, LargerBombIsRefusedQuickly) {
  // Built here: 256 MiB of zeros after a header promising 784 bytes (~256 KB of gzip).
  TempDir dir;
  std::vector<uint8_t> head = test::idx_images(1, 28, 28, {});
  z_stream zs{};
  ASSERT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
  std::vector<uint8_t> gz(1 << 20);
  zs.next_out = gz.data();
  zs.avail_out = static_cast<uInt>(gz.size());
  zs.next_in = head.data();
  zs.avail_in = static_cast<uInt>(head.size());
  ASSERT_EQ(deflate(&zs, Z_NO_FLUSH), Z_OK);
  std::vector<uint8_t> zeros(1 << 20, 0);
  for (int i = 0; i < 256; ++i) {
    zs.next_in = zeros.data();
    zs.avail_in = static_cast<uInt>(zeros.size());
    ASSERT_EQ(deflate(&zs, i == 255 ? Z_FINISH : Z_NO_FLUSH), i == 255 ? Z_STREAM_END : Z_OK);
  }
  gz.resize(zs.total_out);
  deflateEnd(&zs);
  write_bytes(dir.file("bomb.gz"), gz);
  write_bytes(dir.file("lab"), test::idx_labels({1}));
  const long kib = test::child_peak_growth_kib([&] {
    try {
      (void)load_idx(dir.file("bomb.gz"), dir.file("lab"));
    } catch (const Error&) {
    }
  });
  ASSERT_GE(kib, 0);
  EXPECT_LT(kib, 4 * 1024) << "KiB";
}

// ---- .tpm: sizes that wrap 32 bits, and meaningless fields ----

TEST(BadInputTpm, LayerSizesThatWrap32BitsAreRefusedNamingTheLayer) {
  // mlp:46340-46340-46340-2 has 4294976562 parameters; the file claims the wrapped 9266.
  std::string msg = error_of([] { load_model(corpus_file("tpm", "wrapped-param-count")); });
  EXPECT_TRUE(contains(msg, "invalid model spec (too large) at layer 2 (dense): 2147441940 "
                            "parameters, 4294883880 with the layers before it (at most "
                            "2147483647 in a model)")) << msg;
  msg = error_of([] { load_model(corpus_file("tpm", "wrapped-conv")); });
  EXPECT_TRUE(contains(msg, "invalid model spec (too large) at layer 2 (conv2d)")) << msg;
}

TEST(BadInputTpm, ActivationWithUnitsIsRefused) {
  const std::string msg = error_of([] { load_model(corpus_file("tpm", "relu-units-5")); });
  EXPECT_TRUE(contains(msg, "defect-relu-units-5: layer 1: relu has units 5, must be 0")) << msg;
}

TEST(BadInputTpm, SaveWritesZeroUnitsForActivations) {
  ModelFile f;
  f.spec = parse_model_spec("mlp:2-3-2");
  f.spec.layers[1].units = 7;  // meaningless for relu: never written
  f.params.assign(f.spec.param_count(), 0.5f);
  const std::vector<uint8_t> b = encode_model(f, "m.tpm");
  const ModelFile back = load_model_from_bytes(b, "m.tpm");
  EXPECT_EQ(back.spec.layers[1].units, 0u);
}

TEST(BadInputTpm, ExporterRefusesSizesThatWrap) {
  // The spec of the wrapped file with as many parameters as the wrapped count promises: the
  // header's offsets would point outside the parameter array.
  ModelFile f;
  f.spec = ModelSpec{};
  f.spec.input = Shape{1, 1, 46340};
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(f.spec.add_dense(46340), Status::kOk);
    ASSERT_EQ(f.spec.add_activation(LayerKind::kReLU), Status::kOk);
  }
  ASSERT_EQ(f.spec.add_dense(2), Status::kOk);
  f.params.assign(9266, 0.0f);
  TempDir dir;
  const std::string msg = error_of([&] { export_c_header(dir.file("m.h"), f, "m"); });
  EXPECT_TRUE(contains(msg, "export: invalid model spec (too large) at layer 2 (dense)")) << msg;
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.h")));
}

// ---- model spec text: sizes that wrap ----

TEST(BadInputSpecText, OversizedSpecNamesLayerAndSize) {
  const std::string text = test::read_text_file(corpus_file("spec_text", "wrapped-param-count"));
  std::string msg = error_of([&] { parse_model_spec(text); });
  EXPECT_TRUE(contains(msg, "model spec 'mlp:46340-46340-46340-2': invalid (too large) at layer "
                            "2 (dense): 2147441940 parameters")) << msg;
  msg = error_of([] { parse_model_spec("mlp:70000-70000-2"); });
  EXPECT_TRUE(contains(msg, "invalid (bad shape) at layer 0 (dense): 4900000000 weights (at most "
                            "2147483647 in a layer)")) << msg;
}

// ---- audio: a non-finite sample names the clip (it used to surface as a bare AUC error) ----

TEST(BadInputWav, NonFiniteSampleNamesTheClipAndTheSample) {
  const std::string clip = corpus_file("wav", "nan-sample");  // float WAV, sample 10 is NaN
  const std::string msg = error_of([&] { audio::read_audio_mono(clip, 16000); });
  EXPECT_TRUE(contains(msg, "defect-nan-sample: sample 10 is not finite (NaN), expected audio "
                            "samples in [-1, 1]")) << msg;
}

TEST(BadInputWav, FifoIsRefusedNotWaitedOn) {
  TempDir dir;
  ASSERT_EQ(mkfifo(dir.file("clip.wav").c_str(), 0600), 0);
  const std::string msg = error_of([&] { audio::read_audio_mono(dir.file("clip.wav"), 16000); });
  EXPECT_TRUE(contains(msg, "clip.wav: is a FIFO, expected a regular file")) << msg;
}

// ---- named data: a directory where a file belongs is not "not found" ----

TEST(BadInputNamed, DirectoryNamedLikeABatchIsReportedAsADirectory) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("cifar-10-batches-bin/test_batch.bin"));
  std::string msg = error_of([&] { load_named(dir.path(), "cifar10", "test"); });
  EXPECT_TRUE(contains(msg, "test_batch.bin: is a directory, expected a CIFAR-10 binary batch file"))
      << msg;
  std::filesystem::create_directories(dir.file("mnist/t10k-images-idx3-ubyte"));
  msg = error_of([&] { load_named(dir.path(), "mnist", "test"); });
  EXPECT_TRUE(contains(msg, "t10k-images-idx3-ubyte: is a directory, expected an IDX file")) << msg;
}

}  // namespace
}  // namespace tinyprop::host
