// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>

#include "harness.hpp"
#include "mlp.hpp"

/// Settings shared by both frameworks' `lstm` workloads: the fashion_mnist_lstm model (each image
/// read as 28 rows of 28 pixels by an LSTM with 64 hidden units, batch-first; the last hidden
/// state into Linear(64, 10)), softmax cross-entropy, Adam lr 1e-3, batch 128, one pass over
/// the first 20,000 Fashion-MNIST training images (uint8 in memory, converted to float [0,1] per
/// batch inside the timed loop, in a fresh random order).
namespace bench::lstm {

inline constexpr std::size_t kBatch = 128;
inline constexpr double kLearningRate = 1e-3;
inline constexpr std::size_t kImages = 20000;
inline constexpr std::size_t kSteps = 28, kInput = 28, kHidden = 64, kGates = 4 * kHidden;
/// Training FLOPs per sample: forward 2 x (input projection T*in*4H + recurrence T*H*4H + head
/// H*10), the same again for the weight gradients, plus the gradient of h through the recurrence
/// and the head (the images need no gradient).
inline constexpr double kFlopsPerSample =
    4.0 * (kSteps * kInput * kGates + kSteps * kHidden * kGates + kHidden * 10) +
    2.0 * (kSteps * kHidden * kGates + kHidden * 10);

}  // namespace bench::lstm
