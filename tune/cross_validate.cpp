// SPDX-License-Identifier: MIT
#include "axon/tune/cross_validate.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "axon/autograd/error.hpp"
#include "axon/autograd/random.hpp"
#include "axon/datasets/split.hpp"

namespace axon::tune {

std::vector<std::vector<std::size_t>> kfold_indices(std::size_t n, std::size_t k,
                                                    std::uint64_t seed) {
  if (k < 2 || k > n) {
    throw ValueError("tune::cross_validate: " + std::to_string(k) + " folds of " +
                     std::to_string(n) + " samples (needs 2 <= k <= n)");
  }
  autograd::Generator gen(seed);
  const std::vector<std::size_t> order = datasets::permutation(n, gen);
  std::vector<std::vector<std::size_t>> folds(k);
  std::size_t begin = 0;
  for (std::size_t f = 0; f < k; ++f) {
    const std::size_t size = n / k + (f < n % k ? 1 : 0);
    folds[f].assign(order.begin() + begin, order.begin() + begin + size);
    std::sort(folds[f].begin(), folds[f].end());
    begin += size;
  }
  return folds;
}

CrossValidation cross_validate(const datasets::Dataset& data, std::size_t k, std::uint64_t seed,
                               const FoldFunction& fold) {
  const auto folds = kfold_indices(data.size(), k, seed);
  CrossValidation result;
  for (std::size_t f = 0; f < k; ++f) {
    std::vector<std::size_t> train;
    train.reserve(data.size() - folds[f].size());
    for (std::size_t g = 0; g < k; ++g) {
      if (g != f) train.insert(train.end(), folds[g].begin(), folds[g].end());
    }
    std::sort(train.begin(), train.end());
    result.scores.push_back(fold(data.subset(train), data.subset(folds[f]), f));
  }
  for (const double s : result.scores) result.mean += s / static_cast<double>(k);
  double squares = 0;
  for (const double s : result.scores) squares += (s - result.mean) * (s - result.mean);
  result.stddev = std::sqrt(squares / static_cast<double>(k - 1));
  return result;
}

}  // namespace axon::tune
