// SPDX-License-Identifier: MIT
// Tests datasets/split.cpp: permutations and seeded train/validation/test splits.
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/datasets/split.hpp"

namespace axon::test {

TEST_CASE("datasets/split: permutation is a seeded shuffle of 0..n-1") {
  autograd::Generator a(3), b(3);
  const auto p = datasets::permutation(100, a);
  CHECK(p == datasets::permutation(100, b));
  auto sorted = p;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::size_t> identity(100);
  std::iota(identity.begin(), identity.end(), std::size_t{0});
  CHECK(sorted == identity);
  CHECK(p != identity);
  CHECK(datasets::permutation(0, a).empty());
}

TEST_CASE("datasets/split: sizes, disjointness, coverage, reproducibility") {
  const auto parts = datasets::random_split_indices(10, {0.7, 0.2, 0.1}, 42);
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].size() == 7);
  CHECK(parts[1].size() == 2);
  CHECK(parts[2].size() == 1);
  std::vector<std::size_t> all;
  for (const auto& part : parts) all.insert(all.end(), part.begin(), part.end());
  std::sort(all.begin(), all.end());
  CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());  // disjoint
  CHECK(all.size() == 10);
  CHECK(all.back() == 9);
  CHECK(parts == datasets::random_split_indices(10, {0.7, 0.2, 0.1}, 42));
  CHECK(parts != datasets::random_split_indices(10, {0.7, 0.2, 0.1}, 43));

  // Largest remainder: 7 * 0.5 = 3.5 each; the tie goes to the first part.
  const auto halves = datasets::random_split_indices(7, {0.5, 0.5}, 1);
  CHECK(halves[0].size() == 4);
  CHECK(halves[1].size() == 3);
  const auto odd = datasets::random_split_indices(1000, {0.8, 0.1, 0.1}, 5);
  CHECK(odd[0].size() == 800);
  CHECK(odd[2].size() == 100);

  CHECK_THROWS_AS(datasets::random_split_indices(10, {0.5, 0.4}, 0), ValueError);
  CHECK_THROWS_AS(datasets::random_split_indices(10, {1.5, -0.5}, 0), ValueError);
  CHECK_THROWS_AS(datasets::random_split_indices(10, {}, 0), ValueError);
}

TEST_CASE("datasets/split: random_split returns subsets sharing the storage") {
  std::vector<float> x(20);
  std::iota(x.begin(), x.end(), 0.0f);
  std::vector<std::size_t> labels(20);
  for (std::size_t i = 0; i < 20; ++i) labels[i] = i % 4;
  const auto data = datasets::Dataset::classification(x, {1}, labels, 4);
  const auto parts = datasets::random_split(data, {0.75, 0.25}, 9);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].size() == 15);
  CHECK(parts[1].size() == 5);
  const auto idx = datasets::random_split_indices(20, {0.75, 0.25}, 9);
  for (std::size_t i = 0; i < parts[1].size(); ++i) {
    CHECK(parts[1].row_float(i)[0] == static_cast<float>(idx[1][i]));
    CHECK(parts[1].label(i) == idx[1][i] % 4);
  }
}

}  // namespace axon::test
