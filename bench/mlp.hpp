// SPDX-License-Identifier: MIT
#pragma once

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

}  // namespace bench::mlp
