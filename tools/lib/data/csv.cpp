// CSV datasets: comma-separated numeric features and one non-negative integer label column.
// Blank lines are skipped, CRLF line ends accepted, fields trimmed of spaces and tabs. The
// first non-blank line is a header when any of its fields is not a number. Quoting is not
// supported (numeric data needs none).
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/file_bytes.h"
#include "error.h"

namespace tinyprop::host {
namespace {

// Largest label accepted: a CSV with label 4000000000 is a mistake, not 4e9 classes.
constexpr unsigned long kMaxCsvLabel = 65535;

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t')) ++a;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r')) --b;
  return s.substr(a, b - a);
}

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (;;) {
    const size_t comma = line.find(',', start);
    fields.push_back(trim(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return fields;
}

bool parse_number(const std::string& s, double* out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const double v = strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return false;
  *out = v;
  return true;
}

bool parse_label(const std::string& s, unsigned long* out) {
  if (s.empty()) return false;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return false;
  }
  if (s.size() > 9) return false;  // keeps strtoul far from overflow; the cap is checked below
  *out = strtoul(s.c_str(), nullptr, 10);
  return true;
}

bool all_numeric(const std::vector<std::string>& fields) {
  double v;
  for (const std::string& f : fields) {
    if (!parse_number(f, &v)) return false;
  }
  return true;
}

}  // namespace

Dataset load_csv(const std::string& path, int label_column) {
  const std::vector<uint8_t> bytes = read_data_file(path);
  const std::string text(bytes.begin(), bytes.end());

  Dataset d;
  const size_t slash = path.find_last_of('/');
  d.name = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t n_fields = 0;       // columns per row, fixed by the first non-blank line
  size_t label_at = 0;       // resolved label column
  bool first = true;
  uint32_t max_label = 0;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (trim(line).empty()) continue;
    const std::vector<std::string> fields = split_fields(line);
    const std::string where = path + ":" + std::to_string(line_no) + ": ";

    if (first) {
      first = false;
      n_fields = fields.size();
      if (n_fields < 2) throw Error(where + "need at least one feature column and a label column");
      if (label_column < -1 || label_column >= static_cast<int>(n_fields)) {
        throw Error(where + "label column " + std::to_string(label_column) + " does not exist (" +
                    std::to_string(n_fields) + " columns)");
      }
      label_at = label_column == -1 ? n_fields - 1 : static_cast<size_t>(label_column);
      if (!all_numeric(fields)) continue;  // header line
    }
    if (fields.size() != n_fields) {
      throw Error(where + "expected " + std::to_string(n_fields) + " fields, got " +
                  std::to_string(fields.size()));
    }
    for (size_t c = 0; c < n_fields; ++c) {
      if (c == label_at) {
        unsigned long label = 0;
        if (!parse_label(fields[c], &label) || label > kMaxCsvLabel) {
          throw Error(where + "label '" + fields[c] + "' (column " + std::to_string(c + 1) +
                      ") is not an integer in [0, " + std::to_string(kMaxCsvLabel) + "]");
        }
        d.y.push_back(static_cast<uint32_t>(label));
        if (label > max_label) max_label = static_cast<uint32_t>(label);
        continue;
      }
      double v = 0.0;
      if (!parse_number(fields[c], &v)) {
        throw Error(where + "field " + std::to_string(c + 1) + " '" + fields[c] + "' is not a number");
      }
      if (!isfinite(static_cast<float>(v))) {
        throw Error(where + "field " + std::to_string(c + 1) + " '" + fields[c] +
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
