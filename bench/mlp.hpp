// SPDX-License-Identifier: MIT
#pragma once

#include <sys/resource.h>

#include <cstddef>

#include "harness.hpp"

/// Settings shared by both frameworks' `mlp` workloads, so the two measure the same thing:
/// 784-128-64-10 with ReLU, softmax cross-entropy, Adam lr 1e-3, batch 128, one epoch of the
/// 60,000 Fashion-MNIST training images (uint8 in memory, converted to float [0,1] per batch
/// inside the timed loop, in a fresh random order).
namespace bench::mlp {

inline constexpr std::size_t kBatch = 128;
inline constexpr double kLearningRate = 1e-3;
/// Where Debian's dataset-fashion-mnist puts the files.
inline constexpr const char* kDataDir = "/usr/share/datasets/fashion-mnist";
/// Training FLOPs per sample: forward 2*P, weight gradients 2*P, input gradients of the two
/// upper layers 2*(128*64 + 64*10) (the first layer's input needs none); P = 109,184 weights.
inline constexpr double kFlopsPerSample =
    4.0 * (784 * 128 + 128 * 64 + 64 * 10) + 2.0 * (128 * 64 + 64 * 10);

/// Peak resident set size of this process in MB (ru_maxrss is in kB on Linux).
inline double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

/// samples/s of the best epoch (wall clock), the median's, GFLOP/s and peak RSS.
inline Result result(int threads, std::size_t samples, const std::vector<Timing>& times) {
  const auto wall = wall_seconds(times);
  const double best = static_cast<double>(samples) / minimum(wall);
  Result r;
  r.threads = threads;
  r.metrics = {{"samples_per_second", best},
               {"samples_per_second_median", static_cast<double>(samples) / median(wall)},
               {"gflops", best * kFlopsPerSample * 1e-9},
               {"peak_rss_mb", peak_rss_mb()},
               {"epochs", static_cast<double>(times.size())}};
  return r;
}

}  // namespace bench::mlp
