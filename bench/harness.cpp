// SPDX-License-Identifier: MIT
#include "harness.hpp"

#include <time.h>

#include <algorithm>
#include <fstream>

namespace bench {

namespace {
// A function-local static, so registrations from other files' static initialisers find it
// constructed whatever the initialisation order.
std::vector<Workload>& registry() {
  static std::vector<Workload> all;
  return all;
}
}  // namespace

Registration::Registration(const char* name, WorkloadFn fn) {
  registry().push_back(Workload{name, std::move(fn)});
}

std::vector<Workload> workloads() {
  std::vector<Workload> all = registry();
  std::sort(all.begin(), all.end(),
            [](const Workload& a, const Workload& b) { return a.name < b.name; });
  return all;
}

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

std::vector<double> wall_seconds(const std::vector<Timing>& times) {
  std::vector<double> out;
  for (const auto& t : times) out.push_back(t.wall);
  return out;
}

std::vector<double> cpu_seconds(const std::vector<Timing>& times) {
  std::vector<double> out;
  for (const auto& t : times) out.push_back(t.cpu);
  return out;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

double minimum(const std::vector<double>& values) {
  return values.empty() ? 0.0 : *std::min_element(values.begin(), values.end());
}

Result training_result(int threads, std::size_t samples, const std::vector<Timing>& times,
                       double flops_per_sample) {
  const auto wall = wall_seconds(times);
  const auto cpu = cpu_seconds(times);
  std::vector<double> busy;
  for (const auto& t : times) busy.push_back(t.wall > 0 ? t.cpu / t.wall : 0.0);
  const double n = static_cast<double>(samples);
  const double best = minimum(wall) > 0 ? n / minimum(wall) : 0.0;
  Result r;
  r.threads = threads;
  r.metrics = {{"samples_per_second", best},
               {"samples_per_second_median", median(wall) > 0 ? n / median(wall) : 0.0},
               {"samples_per_cpu_second", median(cpu) > 0 ? n / median(cpu) : 0.0},
               {"cores_busy", median(busy)},
               {"gflops", best * flops_per_sample * 1e-9},
               {"peak_rss_mb", peak_rss_mb()},
               {"epochs", static_cast<double>(times.size())}};
  return r;
}

double peak_rss_mb() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmHWM:") {
      double kb = 0;
      in >> kb;
      return kb / 1024.0;
    }
    std::getline(in, key);
  }
  return 0.0;
}

}  // namespace bench
