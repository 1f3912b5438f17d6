#include "util/job_pool.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "util/error.h"

namespace tinyprop::host {

void run_jobs(const std::vector<Job>& jobs, unsigned threads) {
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (jobs[i].depends_on >= static_cast<long>(i)) {
      throw Error("internal: job " + std::to_string(i) + " depends on a later job");
    }
  }
  if (threads == 0) threads = 1;
  enum class State { kWaiting, kRunning, kDone };
  std::vector<State> state(jobs.size(), State::kWaiting);
  std::mutex mu;
  std::condition_variable cv;
  std::exception_ptr failure;
  size_t remaining = jobs.size();

  // The first waiting job whose dependency is done, or jobs.size() if none is ready.
  auto next_ready = [&]() {
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (state[i] != State::kWaiting) continue;
      const long d = jobs[i].depends_on;
      if (d < 0 || state[static_cast<size_t>(d)] == State::kDone) return i;
    }
    return jobs.size();
  };

  auto worker = [&]() {
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      size_t i = jobs.size();
      cv.wait(lock, [&]() {
        if (failure || remaining == 0) return true;
        i = next_ready();
        return i < jobs.size();
      });
      if (failure || remaining == 0) return;
      state[i] = State::kRunning;
      lock.unlock();
      std::exception_ptr error;
      try {
        jobs[i].run();
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      state[i] = State::kDone;
      --remaining;
      if (error && !failure) failure = error;
      cv.notify_all();
    }
  };

  std::vector<std::thread> pool;
  const size_t n = std::min<size_t>(threads, jobs.size());
  for (size_t t = 0; t < n; ++t) pool.emplace_back(worker);
  for (std::thread& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace tinyprop::host
