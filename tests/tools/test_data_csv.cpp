// CSV loader: headers, label columns, and errors with line numbers.
#include <gtest/gtest.h>

#include "data/dataset.h"
#include "util/error.h"
#include "test_data_helpers.h"

namespace tinyprop::host {
namespace {

using test::contains;
using test::error_of;
using test::TempDir;
using test::write_text;

TEST(DataCsv, HeaderLabelLastAndCrlf) {
  TempDir dir;
  write_text(dir.file("d.csv"), "f1,f2,label\r\n0.5, -1.25 ,2\r\n\r\n3e2,0,0\r\n");
  const Dataset d = load_csv(dir.file("d.csv"));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d.dim(), 2u);
  EXPECT_EQ(d.shape.h, 1u);
  EXPECT_EQ(d.shape.c, 2u);
  EXPECT_EQ(d.num_classes, 3u);  // max label 2 + 1
  EXPECT_EQ(d.x, (std::vector<float>{0.5f, -1.25f, 300.0f, 0.0f}));
  EXPECT_EQ(d.y, (std::vector<uint32_t>{2, 0}));
}

TEST(DataCsv, NoHeaderAndLabelInFirstColumn) {
  TempDir dir;
  write_text(dir.file("d.csv"), "1,0.1,0.2,0.3\n4,1,2,3");  // no final newline
  const Dataset d = load_csv(dir.file("d.csv"), 0);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d.dim(), 3u);
  EXPECT_EQ(d.y, (std::vector<uint32_t>{1, 4}));
  EXPECT_EQ(d.x, (std::vector<float>{0.1f, 0.2f, 0.3f, 1.0f, 2.0f, 3.0f}));
  EXPECT_EQ(d.num_classes, 5u);
}

TEST(DataCsv, RaggedRowNamesTheLine) {
  TempDir dir;
  write_text(dir.file("d.csv"), "a,b,y\n1,2,0\n\n3,1\n");
  const std::string msg = error_of([&] { load_csv(dir.file("d.csv")); });
  EXPECT_TRUE(contains(msg, "d.csv:4: expected 3 fields, got 2")) << msg;
  write_text(dir.file("d.csv"), "1,2,0\n1,2,3,4\n");
  EXPECT_TRUE(contains(error_of([&] { load_csv(dir.file("d.csv")); }), "d.csv:2: expected 3 fields, got 4"));
}

TEST(DataCsv, BadFieldsNameLineAndColumn) {
  TempDir dir;
  write_text(dir.file("d.csv"), "1,2,0\n1,abc,1\n");
  std::string msg = error_of([&] { load_csv(dir.file("d.csv")); });
  EXPECT_TRUE(contains(msg, "d.csv:2: field 2 'abc' is not a number")) << msg;
  write_text(dir.file("d.csv"), "1,2,0\n1,,1\n");
  msg = error_of([&] { load_csv(dir.file("d.csv")); });
  EXPECT_TRUE(contains(msg, "d.csv:2: field 2 '' is not a number")) << msg;
  write_text(dir.file("d.csv"), "1,2,0\n1,1e99,1\n");
  msg = error_of([&] { load_csv(dir.file("d.csv")); });
  EXPECT_TRUE(contains(msg, "d.csv:2: field 2 '1e99' is not a finite float")) << msg;
  write_text(dir.file("d.csv"), "1,2,0\n1,nan,1\n");
  msg = error_of([&] { load_csv(dir.file("d.csv")); });
  EXPECT_TRUE(contains(msg, "d.csv:2: field 2 'nan' is not a finite float")) << msg;
}

TEST(DataCsv, LabelsMustBeNonNegativeIntegers) {
  TempDir dir;
  for (const char* bad : {"-1", "1.5", "x", "99999999999"}) {
    write_text(dir.file("d.csv"), std::string("0.1,0\n0.2,") + bad + "\n");
    const std::string msg = error_of([&] { load_csv(dir.file("d.csv")); });
    EXPECT_TRUE(contains(msg, std::string("d.csv:2: label '") + bad + "' (column 2) is not an integer")) << msg;
  }
}

TEST(DataCsv, EmptyOrHeaderOnlyOrBadLabelColumn) {
  TempDir dir;
  write_text(dir.file("d.csv"), "");
  EXPECT_TRUE(contains(error_of([&] { load_csv(dir.file("d.csv")); }), "d.csv: no data rows"));
  write_text(dir.file("d.csv"), "a,b\n");
  EXPECT_TRUE(contains(error_of([&] { load_csv(dir.file("d.csv")); }), "no data rows"));
  write_text(dir.file("d.csv"), "1,2\n");
  EXPECT_TRUE(contains(error_of([&] { load_csv(dir.file("d.csv"), 2); }), "label column 2 does not exist"));
  write_text(dir.file("d.csv"), "1\n2\n");
  EXPECT_TRUE(contains(error_of([&] { load_csv(dir.file("d.csv")); }), "need at least one feature column"));
}

// A small fuzz: random text from a CSV-ish alphabet either loads consistently or is refused
// with host::Error naming the file; never another exception or a crash.
TEST(DataCsv, RandomTextIsHandled) {
  TempDir dir;
  const std::string alphabet = "0123456789,,,..--e\n\n\r  ax+";
  Rng rng(5);
  for (int iter = 0; iter < 150; ++iter) {
    std::string text;
    const uint32_t len = rng.uniform_below(60);
    for (uint32_t i = 0; i < len; ++i) text += alphabet[rng.uniform_below(static_cast<uint32_t>(alphabet.size()))];
    write_text(dir.file("f.csv"), text);
    try {
      const Dataset d = load_csv(dir.file("f.csv"));
      ASSERT_EQ(d.x.size(), d.size() * d.dim()) << text;
      for (uint32_t y : d.y) ASSERT_LT(y, d.num_classes) << text;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(dir.file("f.csv"), 0), 0u) << e.what();
    }
  }
}

}  // namespace
}  // namespace tinyprop::host
