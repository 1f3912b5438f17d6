// Runs independent jobs on a few std::threads. A job may wait for one earlier job (its
// dependency); results go to slots the caller owns, so they do not depend on the thread count
// or on which thread ran what.
#pragma once
#include <stddef.h>

#include <functional>
#include <vector>

namespace tinyprop::host {

struct Job {
  std::function<void()> run;
  long depends_on = -1;  // index of a job that must finish first, or -1
};

// Runs all jobs with at most `threads` at a time, in list order as far as dependencies allow.
// If a job throws, no new jobs start, running ones finish, and the first exception is rethrown
// (jobs depending on a failed job never run).
void run_jobs(const std::vector<Job>& jobs, unsigned threads);

}  // namespace tinyprop::host
