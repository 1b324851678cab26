// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

/// The benchmark harness shared by the axon and the libtorch executables.
///
/// A workload is one function in its own file that registers itself under a name:
///
///   static const bench::Registration reg("mlp", [](const bench::Options& opt) { ... });
///
/// Each executable links the workloads of one framework, plus its framework.cpp (its name and how
/// it sets the thread count). main.cpp runs the selected workloads and prints one JSON line each:
///   {"workload":"tape_overhead","framework":"axon","threads":1,"us_per_op":0.4}
namespace bench {

/// Command-line settings passed to every workload.
struct Options {
  int threads = 1;  ///< threads the framework may use (--threads)
  int reps = 0;     ///< timed repetitions (--reps); 0 lets the workload choose
};

/// What one workload measured: the thread count it really ran with, then named metrics in the
/// order they are printed (e.g. us_per_op, or samples_per_second and peak_rss_mb).
struct Result {
  int threads = 1;
  std::vector<std::pair<std::string, double>> metrics;
};

using WorkloadFn = std::function<Result(const Options&)>;

/// Adds a workload to this executable's registry at static-initialisation time.
class Registration {
 public:
  Registration(const char* name, WorkloadFn fn);
};

/// One registered workload.
struct Workload {
  std::string name;
  WorkloadFn fn;
};

/// All workloads of this executable, sorted by name.
std::vector<Workload> workloads();

// ---- provided once per executable by its framework.cpp ----------------------------------------

/// "axon" or "libtorch", as printed in the JSON lines.
const char* framework_name();
/// Limits the framework's intra-op parallelism (TBB, BLAS, or torch::set_num_threads) to `n`.
void set_threads(int n);

// ---- helpers for workloads ----------------------------------------------------------------------

/// Wall-clock (steady_clock) and process CPU seconds of one timed run. On a shared machine the CPU
/// time is the steadier of the two: it does not count time spent waiting for a core.
struct Timing {
  double wall = 0;
  double cpu = 0;
};

/// Process CPU seconds so far (all threads), from CLOCK_PROCESS_CPUTIME_ID.
double process_cpu_seconds();

/// Times one call of `fn()`.
template <class F>
Timing time_once(F&& fn) {
  const double cpu0 = process_cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  fn();
  const auto stop = std::chrono::steady_clock::now();
  return Timing{std::chrono::duration<double>(stop - start).count(), process_cpu_seconds() - cpu0};
}

/// Runs `fn` `warmup` times untimed, then `reps` times timed.
template <class F>
std::vector<Timing> repeat(int warmup, int reps, F&& fn) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<Timing> times;
  times.reserve(static_cast<std::size_t>(reps));
  for (int i = 0; i < reps; ++i) times.push_back(time_once(fn));
  return times;
}

/// The wall (or CPU) seconds of each timing.
std::vector<double> wall_seconds(const std::vector<Timing>& times);
std::vector<double> cpu_seconds(const std::vector<Timing>& times);

/// Median of `values` (empty: 0).
double median(std::vector<double> values);
/// Smallest of `values` (empty: 0).
double minimum(const std::vector<double>& values);
/// Peak resident set size of this process in MiB (VmHWM from /proc; 0 when unavailable).
double peak_rss_mb();

}  // namespace bench
