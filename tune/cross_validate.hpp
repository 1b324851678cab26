// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "axon/datasets/dataset.hpp"

namespace axon::tune {

/// The scores of a K-fold cross-validation.
struct CrossValidation {
  std::vector<double> scores;  ///< one per fold, in fold order
  double mean = 0;             ///< their mean
  double stddev = 0;           ///< their sample standard deviation (0 for one fold)
};

/// Trains on `train` and returns the score on `validation`; `fold` is 0..k-1.
using FoldFunction = std::function<double(const datasets::Dataset& train,
                                          const datasets::Dataset& validation, std::size_t fold)>;

/// The k folds of n samples: a seeded permutation of 0..n-1 cut into k contiguous parts, the
/// first n % k of them one sample larger; each fold's indices in increasing order. ValueError
/// unless 2 <= k <= n.
std::vector<std::vector<std::size_t>> kfold_indices(std::size_t n, std::size_t k,
                                                    std::uint64_t seed);

/// K-fold cross-validation: fold f validates on kfold_indices(...)[f] and trains on the rest
/// (subsets sharing the data's storage). Folds run one after the other; as an objective, return
/// its mean:
/// ```
/// auto objective = [&](const tune::Trial& trial, tune::Reporter&) {
///   return tune::cross_validate(data, 5, 0, [&](auto& train, auto& val, std::size_t) {
///     return train_and_score(trial, train, val);
///   }).mean;
/// };
/// ```
CrossValidation cross_validate(const datasets::Dataset& data, std::size_t k, std::uint64_t seed,
                               const FoldFunction& fold);

}  // namespace axon::tune
