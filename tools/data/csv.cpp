// CSV datasets: comma-separated numeric features and one non-negative integer label column.
// Blank lines are skipped, CRLF line ends accepted, fields trimmed of spaces and tabs, a UTF-8
// byte-order mark at the start is dropped. The first non-blank line is a header when none of
// its fields is a number; a first line with numbers and non-numbers is an error naming the
// first non-number (a typo must not silently turn the first sample into a header). Quoting is
// not supported (numeric data needs none).
//
// Memory: the file is streamed (plain or gzip) one line at a time, twice: the first pass counts
// the rows so that the floats are allocated once at their final size; peak memory is the parsed
// floats and labels plus one line and the read buffers.
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/file_bytes.h"
#include "util/error.h"

namespace tinyprop::host {
namespace {

// Largest label accepted: a CSV with label 4000000000 is a mistake, not 4e9 classes.
constexpr unsigned long kMaxCsvLabel = 65535;

// Hands out the lines of a data file (without '\n'; a final line without one included).
class LineReader {
 public:
  explicit LineReader(const std::string& path) : in_(path) {}
  // False at the end of the file.
  bool next(std::string* line) {
    line->clear();
    if (done_) return false;
    for (;;) {
      if (at_ == len_) {
        len_ = in_.read(buf_, sizeof(buf_));
        at_ = 0;
        if (len_ == 0) {
          done_ = true;
          return !line->empty() || any_since_newline_;
        }
      }
      const uint8_t* start = buf_ + at_;
      const void* nl = memchr(start, '\n', len_ - at_);
      const size_t n = nl == nullptr ? len_ - at_ : static_cast<size_t>(static_cast<const uint8_t*>(nl) - start);
      line->append(reinterpret_cast<const char*>(start), n);
      at_ += n;
      if (nl != nullptr) {
        ++at_;
        any_since_newline_ = false;
        return true;
      }
      any_since_newline_ = true;
    }
  }

 private:
  DataStream in_;
  uint8_t buf_[1 << 16];
  size_t len_ = 0, at_ = 0;
  bool done_ = false;
  bool any_since_newline_ = false;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

bool is_blank(const std::string& line) {
  for (char c : line) {
    if (!is_space(c)) return false;
  }
  return true;
}

// One field of a line as [begin, end) offsets, trimmed of spaces, tabs and '\r'.
struct Field {
  size_t begin, end;
};

// Walks the fields of a line without storing them (a one-line file of millions of fields costs
// no per-field memory): *pos starts at 0 and is npos after the last field.
bool next_field(const std::string& line, size_t* pos, Field* f) {
  if (*pos == std::string::npos) return false;
  const size_t start = *pos;
  const size_t comma = line.find(',', start);
  const size_t stop = comma == std::string::npos ? line.size() : comma;
  size_t a = start, b = stop;
  while (a < b && (line[a] == ' ' || line[a] == '\t')) ++a;
  while (b > a && is_space(line[b - 1])) --b;
  *f = Field{a, b};
  *pos = comma == std::string::npos ? std::string::npos : comma + 1;
  return true;
}

size_t count_fields(const std::string& line) {
  size_t n = 1;
  for (char c : line) n += c == ',' ? 1 : 0;
  return n;
}

// Parses a field in place: the line is NUL-terminated at the field's end for strtod and
// restored afterwards.
bool parse_number(std::string& line, const Field& f, double* out) {
  if (f.begin == f.end) return false;
  const char saved = line[f.end];
  line[f.end] = '\0';
  errno = 0;
  char* end = nullptr;
  const double v = strtod(line.c_str() + f.begin, &end);
  line[f.end] = saved;
  if (end != line.c_str() + f.end) return false;
  *out = v;
  return true;
}

bool parse_label(const std::string& line, const Field& f, unsigned long* out) {
  if (f.begin == f.end || f.end - f.begin > 9) return false;  // 9 digits: far from overflow
  unsigned long v = 0;
  for (size_t i = f.begin; i < f.end; ++i) {
    const char ch = line[i];
    if (ch < '0' || ch > '9') return false;
    v = v * 10 + static_cast<unsigned long>(ch - '0');
  }
  *out = v;
  return true;
}

std::string text_of(const std::string& line, const Field& f) {
  return line.substr(f.begin, f.end - f.begin);
}

void strip_bom(std::string* line) {
  if (line->size() >= 3 && static_cast<uint8_t>((*line)[0]) == 0xEF &&
      static_cast<uint8_t>((*line)[1]) == 0xBB && static_cast<uint8_t>((*line)[2]) == 0xBF) {
    line->erase(0, 3);
  }
}

// Non-blank lines of the file: the row count the floats are sized for (the header included).
size_t count_nonblank_lines(const std::string& path) {
  LineReader lines(path);
  std::string line;
  size_t n = 0;
  bool first = true;
  while (lines.next(&line)) {
    if (first) strip_bom(&line);
    first = false;
    if (!is_blank(line)) ++n;
  }
  return n;
}

}  // namespace

Dataset load_csv(const std::string& path, int label_column) {
  const size_t max_rows = count_nonblank_lines(path);

  Dataset d;
  const size_t slash = path.find_last_of('/');
  d.name = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t n_fields = 0;       // columns per row, fixed by the first non-blank line
  size_t label_at = 0;       // resolved label column
  bool first = true;
  uint32_t max_label = 0;
  size_t line_no = 0;
  LineReader lines(path);
  std::string line;
  while (lines.next(&line)) {
    ++line_no;
    if (line_no == 1) strip_bom(&line);
    if (is_blank(line)) continue;
    const size_t row_fields = count_fields(line);
    const std::string where = path + ":" + std::to_string(line_no) + ": ";
    size_t pos = 0;
    Field f{};

    if (first) {
      first = false;
      n_fields = row_fields;
      if (n_fields < 2) throw Error(where + "need at least one feature column and a label column");
      if (label_column < -1 || label_column >= static_cast<int>(n_fields)) {
        throw Error(where + "label column " + std::to_string(label_column) + " does not exist (" +
                    std::to_string(n_fields) + " columns)");
      }
      label_at = label_column == -1 ? n_fields - 1 : static_cast<size_t>(label_column);
      size_t numbers = 0, first_text = n_fields;
      Field text{};
      for (size_t c = 0; next_field(line, &pos, &f); ++c) {
        double v;
        if (parse_number(line, f, &v)) {
          ++numbers;
        } else if (first_text == n_fields) {
          first_text = c;
          text = f;
        }
      }
      if (numbers == 0) continue;  // a header: names only
      if (first_text < n_fields) {
        throw Error(where + "field " + std::to_string(first_text + 1) + " '" + text_of(line, text) +
                    "' is not a number (the first row has numbers, so it is data, not a header)");
      }
      pos = 0;
    }
    if (row_fields != n_fields) {
      throw Error(where + "expected " + std::to_string(n_fields) + " fields, got " +
                  std::to_string(row_fields));
    }
    if (d.y.capacity() == 0) {  // the first data row: allocate every row's floats once
      d.x.reserve(max_rows * (n_fields - 1));
      d.y.reserve(max_rows);
    }
    for (size_t c = 0; next_field(line, &pos, &f); ++c) {
      if (c == label_at) {
        unsigned long label = 0;
        if (!parse_label(line, f, &label) || label > kMaxCsvLabel) {
          throw Error(where + "label '" + text_of(line, f) + "' (column " +
                      std::to_string(c + 1) + ") is not an integer in [0, " +
                      std::to_string(kMaxCsvLabel) + "]");
        }
        d.y.push_back(static_cast<uint32_t>(label));
        if (label > max_label) max_label = static_cast<uint32_t>(label);
        continue;
      }
      double v = 0.0;
      if (!parse_number(line, f, &v)) {
        throw Error(where + "field " + std::to_string(c + 1) + " '" + text_of(line, f) +
                    "' is not a number");
      }
      if (!isfinite(static_cast<float>(v))) {
        throw Error(where + "field " + std::to_string(c + 1) + " '" + text_of(line, f) +
                    "' is not a finite float");
      }
      d.x.push_back(static_cast<float>(v));
    }
  }
  if (d.y.empty()) throw Error(path + ": no data rows");
  d.shape = Shape{1, 1, static_cast<uint32_t>(n_fields - 1)};
  // Classes 0..max label; at least 2 so that a one-class file still makes a valid classifier.
  d.num_classes = max_label + 1 < 2 ? 2 : max_label + 1;
  return d;
}

}  // namespace tinyprop::host
