// SPDX-License-Identifier: MIT
#pragma once

#include <vector>

#include "harness.hpp"

/// Settings and result shape shared by both frameworks' tape_overhead workloads, so the two
/// measure exactly the same thing.
namespace bench::tape_overhead {

/// Steps of y = y * 1.0001 + 0.0001; each step records two ops.
inline constexpr int kSteps = 10000;
/// Ops per repetition (the divisor of us_per_op).
inline constexpr int kOps = 2 * kSteps;
/// Untimed repetitions before measuring (allocator and cache warm-up).
inline constexpr int kWarmup = 3;
/// Timed repetitions unless --reps says otherwise.
inline constexpr int kReps = 15;

/// us_per_op is the median repetition by the wall clock, us_per_op_min the fastest;
/// cpu_us_per_op is the median by process CPU time (steadier on a busy machine). The workload is
/// serial by construction, so it reports 1 thread whatever --threads says.
inline Result result(const std::vector<Timing>& times) {
  const auto wall = wall_seconds(times);
  Result r;
  r.threads = 1;
  r.metrics = {{"us_per_op", median(wall) * 1e6 / kOps},
               {"us_per_op_min", minimum(wall) * 1e6 / kOps},
               {"cpu_us_per_op", median(cpu_seconds(times)) * 1e6 / kOps},
               {"reps", static_cast<double>(times.size())}};
  return r;
}

}  // namespace bench::tape_overhead
