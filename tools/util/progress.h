// A progress bar with an ETA on stderr. Silent unless enabled (the CLI enables it only when
// stderr is a terminal and --quiet is not given). Safe to advance from several threads.
#pragma once
#include <stdint.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>

namespace tinyprop::host {

// True when stderr is a terminal.
bool stderr_is_tty();

class Progress {
 public:
  // total: units of work (any unit, e.g. samples); label: shown before the bar.
  Progress(std::string label, uint64_t total, bool enabled);
  ~Progress();  // finishes the line if anything was drawn
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Adds done units; redraws at most about 10 times a second.
  void advance(uint64_t units);
  // Sets the absolute amount done (for single-threaded callers that count themselves).
  void set(uint64_t done);
  // Draws the final state and ends the line.
  void finish();
  bool enabled() const { return enabled_; }

 private:
  void maybe_draw(bool force);

  using Clock = std::chrono::steady_clock;
  std::string label_;
  uint64_t total_;
  bool enabled_;
  bool drawn_ = false;
  bool finished_ = false;
  std::atomic<uint64_t> done_{0};
  Clock::time_point start_;
  Clock::time_point last_draw_;
  std::mutex draw_mutex_;
};

// "1:05" / "12:03:07" for a duration in seconds.
std::string format_duration(double seconds);

}  // namespace tinyprop::host
