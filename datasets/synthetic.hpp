// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "axon/datasets/dataset.hpp"

/// Small generated data sets for tests, examples and convergence checks. Each one is a pure
/// function of its arguments (seeded with axon's Generator).
namespace axon::datasets {

/// The four XOR points (0,0) (0,1) (1,0) (1,1): float features [2], labels 0 1 1 0 (2 classes)
/// and the same values as float targets [1] (for a sigmoid/BCE or MSE head).
Dataset make_xor();

/// Two interleaved spirals in the plane, `n_per_class` points each (class 0 first, then class 1),
/// radius growing from 0 to 1 over 1.5 turns, plus N(0, noise^2) on each coordinate. Float
/// features [2], labels 0/1.
Dataset make_spirals(std::size_t n_per_class, double noise, std::uint64_t seed);

/// A regression problem y = x . weights + bias + N(0, noise^2), with the true parameters.
struct LinearRegressionData {
  Dataset data;                ///< float features [features], float targets [1]
  std::vector<float> weights;  ///< the true weights (N(0,1) draws)
  float bias = 0;              ///< the true bias (an N(0,1) draw)
};

/// `n` samples with features drawn from N(0,1).
LinearRegressionData make_linear_regression(std::size_t n, std::size_t features, double noise,
                                            std::uint64_t seed);

}  // namespace axon::datasets
