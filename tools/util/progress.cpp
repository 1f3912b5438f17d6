#include "util/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace tinyprop::host {

bool stderr_is_tty() { return isatty(STDERR_FILENO) == 1; }

std::string format_duration(double seconds) {
  if (!(seconds >= 0.0)) seconds = 0.0;
  const auto s = static_cast<unsigned long long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%llu:%02llu", s / 60, s % 60);
  }
  return buf;
}

Progress::Progress(std::string label, uint64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled), start_(Clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
  if (drawn_ && !finished_) finish();
}

void Progress::advance(uint64_t units) {
  if (!enabled_) return;
  done_.fetch_add(units, std::memory_order_relaxed);
  maybe_draw(false);
}

void Progress::set(uint64_t done) {
  if (!enabled_) return;
  done_.store(done, std::memory_order_relaxed);
  maybe_draw(false);
}

void Progress::finish() {
  if (!enabled_ || finished_) return;
  maybe_draw(true);
  std::fputc('\n', stderr);
  std::fflush(stderr);
  finished_ = true;
}

// [label] [#########.........]  45%  1:02 elapsed, ETA 1:15
// ETA = elapsed * (total - done) / done: assumes the rate so far continues.
void Progress::maybe_draw(bool force) {
  std::unique_lock<std::mutex> lock(draw_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // another thread is drawing; this update shows next time
  const auto now = Clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const uint64_t done = std::min(done_.load(std::memory_order_relaxed), total_);
  const double frac = total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(frac * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kWidth - filled), '.');
  std::string eta = "--:--";
  if (done > 0 && done < total_) eta = format_duration(elapsed * (1.0 / frac - 1.0));
  if (done >= total_) eta = "0:00";
  std::fprintf(stderr, "\r%s [%s] %3d%%  %s elapsed, ETA %s ", label_.c_str(), bar.c_str(),
               static_cast<int>(frac * 100.0), format_duration(elapsed).c_str(), eta.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace tinyprop::host
