// The repository's docs, program sources (and so their output) and scripts cite neither files
// outside the repository (shared/...) nor issue numbers, which users cannot see.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

std::vector<std::string> files_to_check() {
  const fs::path root = TINYPROP_SOURCE_DIR;
  std::vector<std::string> out = {(root / "README.md").string()};
  for (const char* dir : {"docs", "include", "src", "tools", "scripts", "examples", "port"}) {
    for (const auto& e : fs::recursive_directory_iterator(root / dir)) {
      if (!e.is_regular_file()) continue;
      const std::string ext = e.path().extension().string();
      if (ext == ".md" || ext == ".h" || ext == ".cpp" || ext == ".c" || ext == ".py" ||
          ext == ".sh" || ext == ".txt") {
        out.push_back(e.path().string());
      }
    }
  }
  return out;
}

TEST(DocsCiteNothingOutside, NoSharedFilesAndNoIssueNumbers) {
  const std::regex issue("\\b[Ii]ssues? ?#?[0-9]+|\\(issue [0-9]|issue-[0-9]");
  const std::regex shared("(^|[^A-Za-z_/])shared/[A-Za-z_-]+\\.md");
  const std::vector<std::string> files = files_to_check();
  ASSERT_GT(files.size(), 50u);
  for (const std::string& path : files) {
    std::ifstream f(path);
    std::string line;
    for (int n = 1; std::getline(f, line); ++n) {
      EXPECT_FALSE(std::regex_search(line, issue)) << path << ":" << n << ": " << line;
      EXPECT_FALSE(std::regex_search(line, shared)) << path << ":" << n << ": " << line;
    }
  }
}

}  // namespace
