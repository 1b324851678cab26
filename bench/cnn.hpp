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

}  // namespace bench::cnn
