// SPDX-License-Identifier: MIT
#include "axon/datasets/split.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "axon/autograd/error.hpp"

namespace axon::datasets {

std::vector<std::size_t> permutation(std::size_t n, autograd::Generator& gen) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  for (std::size_t i = n; i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(gen.below(i));
    std::swap(order[i - 1], order[j]);
  }
  return order;
}

std::vector<std::vector<std::size_t>> random_split_indices(std::size_t n,
                                                           const std::vector<double>& fractions,
                                                           std::uint64_t seed) {
  if (fractions.empty()) throw ValueError("random_split: no fractions given");
  double sum = 0;
  for (double f : fractions) {
    if (!(f >= 0.0 && f <= 1.0)) {
      throw ValueError("random_split: fraction " + std::to_string(f) + " is outside [0, 1]");
    }
    sum += f;
  }
  if (std::abs(sum - 1.0) > 1e-6) {
    throw ValueError("random_split: fractions sum to " + std::to_string(sum) + ", expected 1");
  }
  // Largest-remainder rounding: sizes sum to n exactly.
  const std::size_t parts = fractions.size();
  std::vector<std::size_t> sizes(parts);
  std::vector<double> remainder(parts);
  std::size_t assigned = 0;
  for (std::size_t p = 0; p < parts; ++p) {
    const double exact = fractions[p] * static_cast<double>(n);
    sizes[p] = std::min(n - assigned, static_cast<std::size_t>(std::floor(exact)));
    remainder[p] = exact - std::floor(exact);
    assigned += sizes[p];
  }
  std::vector<std::size_t> by_remainder(parts);
  std::iota(by_remainder.begin(), by_remainder.end(), std::size_t{0});
  std::stable_sort(by_remainder.begin(), by_remainder.end(),
                   [&](std::size_t a, std::size_t b) { return remainder[a] > remainder[b]; });
  for (std::size_t k = 0; assigned < n; k = (k + 1) % parts) {
    if (fractions[by_remainder[k]] > 0) {
      ++sizes[by_remainder[k]];
      ++assigned;
    }
  }

  autograd::Generator gen(seed);
  const std::vector<std::size_t> order = permutation(n, gen);
  std::vector<std::vector<std::size_t>> out(parts);
  std::size_t at = 0;
  for (std::size_t p = 0; p < parts; ++p) {
    out[p].assign(order.begin() + static_cast<std::ptrdiff_t>(at),
                  order.begin() + static_cast<std::ptrdiff_t>(at + sizes[p]));
    std::sort(out[p].begin(), out[p].end());
    at += sizes[p];
  }
  return out;
}

std::vector<Dataset> random_split(const Dataset& data, const std::vector<double>& fractions,
                                  std::uint64_t seed) {
  std::vector<Dataset> out;
  for (const auto& part : random_split_indices(data.size(), fractions, seed)) {
    out.push_back(data.subset(part));
  }
  return out;
}

}  // namespace axon::datasets
