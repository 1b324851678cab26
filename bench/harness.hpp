// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
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
  /// libtorch only (--blas-pool): leave OpenBLAS's own thread pool as libtorch leaves it, one
  /// thread per core whatever --threads says. Without it the libtorch executable limits OpenBLAS
  /// to --threads threads too, so both frameworks use the same number of cores.
  bool blas_pool = false;
  /// Mini-batch size of the training workloads (--batch); 0 keeps the workload's own (the one
  /// both frameworks share, e.g. 128 for mlp).
  std::size_t batch = 0;
  /// axon only (--shard-size): samples per shard of the batch-parallel step; 0 keeps the
  /// workload's own. The shard count, batch / shard size, bounds how many cores a step can use.
  std::size_t shard_size = 0;
};

/// `opt.batch` when given, else the workload's `fallback`.
inline std::size_t batch_or(const Options& opt, std::size_t fallback) {
  return opt.batch ? opt.batch : fallback;
}

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

/// "axon" or "libtorch", as printed in the JSON lines ("libtorch_blas_pool" with --blas-pool).
const char* framework_name();
/// Limits the framework's parallelism (TBB and BLAS, or torch::set_num_threads and BLAS) to
/// opt.threads. Returns false when the framework cannot honour `opt` (--blas-pool for axon).
bool set_threads(const Options& opt);

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

/// The metrics of a training-throughput workload (mlp, cnn, lstm), `times` being one timing per
/// pass over `samples` samples: samples/s of the fastest pass and of the median one, samples per
/// second of process CPU time (median; all threads' CPU time, the steadier figure on a shared
/// machine), cores_busy (process CPU seconds per wall second, median: how many cores the
/// framework really kept busy, whatever its thread setting), GFLOP/s of the fastest pass, peak RSS
/// and the number of passes.
Result training_result(int threads, std::size_t samples, const std::vector<Timing>& times,
                       double flops_per_sample);

}  // namespace bench
