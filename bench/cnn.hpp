// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <vector>

#include "harness.hpp"

/// Settings shared by both frameworks' `cnn` workloads: the CNN of examples/fashion_mnist_cnn.cpp
/// (conv 1->8 3x3 pad 1, ReLU, maxpool 2, conv 8->16 3x3 pad 1, ReLU, maxpool 2, flatten, linear
/// 784->10), softmax cross-entropy, Adam lr 1e-3, batch 128, one epoch of the 60,000
/// Fashion-MNIST training images (uint8 in memory, converted to float [0,1] per batch inside the
/// timed loop, in a fresh random order).
namespace bench::cnn {

inline constexpr std::size_t kBatch = 128;
inline constexpr double kLearningRate = 1e-3;
/// Where Debian's dataset-fashion-mnist puts the files.
inline constexpr const char* kDataDir = "/usr/share/datasets/fashion-mnist";
/// Forward FLOPs per sample: conv1 2*8*9*784, conv2 2*16*72*196, linear 2*784*10.
inline constexpr double kForwardFlops = 2.0 * 8 * 9 * 784 + 2.0 * 16 * 72 * 196 + 2.0 * 784 * 10;
/// Training FLOPs per sample: forward, the weight gradients (as many again), and the input
/// gradients of conv2 and the linear layer (conv1's input, the image, needs none).
inline constexpr double kFlopsPerSample = 2 * kForwardFlops + 2.0 * 16 * 72 * 196 + 2.0 * 784 * 10;

/// samples/s of the best epoch (wall clock), the median's, samples per second of process CPU time
/// (the steadier figure on a shared machine: all threads' CPU time, so at 1 thread it is the
/// throughput of one busy core), GFLOP/s and peak RSS.
inline Result result(int threads, std::size_t samples, const std::vector<Timing>& times) {
  const auto wall = wall_seconds(times);
  const double best = static_cast<double>(samples) / minimum(wall);
  Result r;
  r.threads = threads;
  r.metrics = {
      {"samples_per_second", best},
      {"samples_per_second_median", static_cast<double>(samples) / median(wall)},
      {"samples_per_cpu_second", static_cast<double>(samples) / median(cpu_seconds(times))},
      {"gflops", best * kFlopsPerSample * 1e-9},
      {"peak_rss_mb", peak_rss_mb()},
      {"epochs", static_cast<double>(times.size())}};
  return r;
}

}  // namespace bench::cnn
