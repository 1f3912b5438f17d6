// Plots of a comparison: finds the plotting scripts of the source tree (scripts/) and runs them
// with the system Python on the files write_compare_files wrote.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include <string>

#include "experiments/scenario_report.h"
#include "util/error.h"

namespace tinyprop::host {

namespace {

bool file_exists(const std::string& path) { return ::access(path.c_str(), R_OK) == 0; }

}  // namespace

std::string find_script(const std::string& rel, const char* env_var) {
  const char* env = std::getenv(env_var);
  if (env != nullptr && env[0] != '\0') return env;
  // The working directory or one of its ancestors (make demo runs from the repository root).
  char buf[4096];
  if (::getcwd(buf, sizeof buf) != nullptr) {
    std::string dir = buf;
    while (!dir.empty()) {
      if (file_exists(dir + "/" + rel)) return dir + "/" + rel;
      const size_t slash = dir.find_last_of('/');
      if (slash == std::string::npos || slash == 0) break;
      dir = dir.substr(0, slash);
    }
  }
  // The source tree this file was compiled from: <repo>/tools/experiments/plots.cpp.
  const std::string here = __FILE__;
  const std::string tail = "tools/experiments/plots.cpp";
  if (here.size() > tail.size() && here.compare(here.size() - tail.size(), tail.size(), tail) == 0) {
    const std::string candidate = here.substr(0, here.size() - tail.size()) + rel;
    if (file_exists(candidate)) return candidate;
  }
  return "";
}

std::string find_plot_script() { return find_script("scripts/plot_compare.py", "TINYPROP_PLOT_SCRIPT"); }

std::string run_plot_script(const std::string& rel, const char* env_var, const std::string& dir) {
  const std::string script = find_script(rel, env_var);
  if (script.empty()) return "plot script " + rel + " not found (set " + env_var + ")";
  const char* python = "/usr/bin/python3";
  if (::access(python, X_OK) != 0) return "/usr/bin/python3 not found (scripts/install-deps.sh plot)";
  const std::string json = dir + "/compare.json";
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) return "cannot start /usr/bin/python3";
  if (pid == 0) {
    ::dup2(STDERR_FILENO, STDOUT_FILENO);  // keep stdout clean (--json)
    ::execl(python, python, script.c_str(), json.c_str(), dir.c_str(), static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return "lost the plot script process";
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  return "plot script failed (" + script + ", exit status " +
         std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")";
}

std::string make_plots(const std::string& dir) {
  return run_plot_script("scripts/plot_compare.py", "TINYPROP_PLOT_SCRIPT", dir);
}

}  // namespace tinyprop::host
