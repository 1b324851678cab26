// SPDX-License-Identifier: MIT
// Tests datasets/dataset.cpp: construction checks, subsets sharing storage, batch assembly.
#include <doctest/doctest.h>

#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/datasets/dataset.hpp"

namespace axon::test {

using datasets::Dataset;
using datasets::Shape;

TEST_CASE("datasets/dataset: construction checks sizes and labels") {
  CHECK_THROWS_AS(Dataset::classification(std::vector<float>(5), {2}, {0, 1}, 2), ValueError);
  CHECK_THROWS_AS(Dataset::classification(std::vector<float>(4), {2}, {0, 1, 1}, 2), ValueError);
  CHECK_THROWS_AS(Dataset::classification(std::vector<float>(4), {2}, {0, 2}, 2), ValueError);
  CHECK_THROWS_AS(Dataset::regression(std::vector<float>(4), {2}, {1, 2, 3}), ValueError);
  CHECK_THROWS_AS(Dataset::regression(std::vector<float>(4), {0}, {}), ValueError);
  const Dataset empty;
  CHECK(empty.size() == 0);
  CHECK_THROWS_AS(empty.gather(std::vector<std::size_t>{}), ValueError);
}

TEST_CASE("datasets/dataset: gather converts uint8 rows to float and keeps labels in order") {
  std::vector<std::uint8_t> pixels;
  for (int i = 0; i < 3 * 4; ++i) pixels.push_back(static_cast<std::uint8_t>(20 * i));
  const Dataset data = Dataset::classification(pixels, {2, 2}, {2, 0, 1}, 3);
  CHECK(data.size() == 3);
  CHECK(data.is_uint8());
  CHECK(data.sample_numel() == 4);
  const auto batch = data.gather(std::vector<std::size_t>{2, 0});
  CHECK(batch.inputs.shape() == Shape{2, 2, 2});
  CHECK(batch.inputs.data_ptr()[0] == 160.0f);  // row 2 starts with pixel 8 * 20
  CHECK(batch.inputs.data_ptr()[7] == 60.0f);   // row 0 ends with pixel 3 * 20
  CHECK(batch.labels == std::vector<std::size_t>{1, 2});
  CHECK(batch.indices == std::vector<std::size_t>{2, 0});
  CHECK_FALSE(batch.targets.defined());
  CHECK_THROWS_AS(data.gather(std::vector<std::size_t>{3}), IndexError);
  CHECK_THROWS_AS(data.row_float(0), ValueError);
}

TEST_CASE("datasets/dataset: subsets compose, reshaped views, regression targets") {
  std::vector<float> x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  const Dataset data = Dataset::regression(x, {2}, {10, 11, 12, 13, 14});
  const Dataset sub = data.subset(std::vector<std::size_t>{4, 1, 3});
  CHECK(sub.size() == 3);
  CHECK(sub.row_float(0)[0] == 8.0f);
  const Dataset subsub = sub.subset(std::vector<std::size_t>{2, 0});
  CHECK(subsub.row_targets(0)[0] == 13.0f);
  CHECK(subsub.row_targets(1)[0] == 14.0f);
  CHECK_THROWS_AS(sub.subset(std::vector<std::size_t>{3}), IndexError);

  const auto batch = sub.gather(std::vector<std::size_t>{1, 2});
  CHECK(batch.targets.shape() == Shape{2, 1});
  CHECK(batch.targets.data_ptr()[1] == 13.0f);
  CHECK(batch.inputs.data_ptr()[2] == 6.0f);
  CHECK(batch.labels.empty());

  const Dataset flat = Dataset::classification(std::vector<float>(12), {2, 3}, {0, 1}, 2);
  CHECK(flat.reshaped({6}).gather(std::vector<std::size_t>{0, 1}).inputs.shape() == Shape{2, 6});
  CHECK_THROWS_AS(flat.reshaped({5}), ShapeError);
}

}  // namespace axon::test
