// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "axon/autograd/random.hpp"
#include "axon/datasets/dataset.hpp"

/// Seeded permutations and train/validation/test splits.
namespace axon::datasets {

/// A uniformly random permutation of 0..n-1 (Fisher-Yates with gen.below()).
std::vector<std::size_t> permutation(std::size_t n, autograd::Generator& gen);

/// Splits 0..n-1 at random into parts of the given fractions (each in [0, 1], summing to 1
/// within 1e-6; ValueError otherwise). Part sizes are floor(fraction * n), the remainder going
/// one by one to the parts with the largest fractional parts. Each part lists its indices in
/// increasing order; the parts are disjoint and cover 0..n-1. Equal seeds give equal splits.
std::vector<std::vector<std::size_t>> random_split_indices(std::size_t n,
                                                           const std::vector<double>& fractions,
                                                           std::uint64_t seed);

/// random_split_indices applied to a data set: one subset per fraction, sharing its storage.
std::vector<Dataset> random_split(const Dataset& data, const std::vector<double>& fractions,
                                  std::uint64_t seed);

}  // namespace axon::datasets
