// SPDX-License-Identifier: MIT
// Tests autograd/ops/indexing.cpp: the op-case table (gradients and their gradients against
// finite differences, float against double), exact values with repeated indices, typed errors.
#include <doctest/doctest.h>

#include <vector>

#include "op_case.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;
using Index = xt::xarray<std::size_t>;

std::vector<OpCase> indexing_cases() {
  const Index gather_rows = {{2, 0}, {1, 1}, {0, 2}};            // [3,2] into x [3,4] along axis 1
  const Index gather_cols = {{2, 0, 1, 1}, {0, 0, 2, 1}};        // [2,4] into x [3,4] along axis 0
  const Index gather_3d = {{{1, 0}, {0, 0}}, {{1, 1}, {0, 1}}};  // [2,2,2] into x [2,3,2], axis -1
  // clang-format off
  return {
    {"index_select", "repeated indices", {{2, 3}}, [](const auto& x) { return index_select(x[0], 1, {0, 2, 0, 0}); }},
    {"index_select", "axis 0", {{4, 2}}, [](const auto& x) { return index_select(x[0], 0, {3, 1}); }},
    {"index_select", "negative axis", {{2, 3, 2}}, [](const auto& x) { return index_select(x[0], -2, {2, 2, 1}); }},
    {"gather", "axis 1, repeats", {{3, 4}}, [gather_rows](const auto& x) { return gather(x[0], 1, gather_rows); }},
    {"gather", "axis 0, smaller index", {{3, 4}}, [gather_cols](const auto& x) { return gather(x[0], 0, gather_cols); }},
    {"gather", "3-D negative axis", {{2, 3, 2}}, [gather_3d](const auto& x) { return gather(x[0], -1, gather_3d); }},
  };
  // clang-format on
}

}  // namespace

TEST_CASE("indexing: gradients match finite differences (double)") {
  check_gradients(indexing_cases());
}

TEST_CASE("indexing: second derivatives match finite differences (double)") {
  check_second_gradients(indexing_cases());
}

TEST_CASE("indexing: float agrees with double") {
  check_float_matches_double(indexing_cases());
}

TEST_CASE("indexing: every declared op has a row") {
  check_every_op_has_a_row("ops/indexing.hpp", indexing_cases());
}

TEST_CASE("indexing: index_select and gather accumulate repeated indices") {
  auto x = from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3}, true);
  auto s = index_select(x, 1, {2, 0, 2});
  CHECK(s.data() == xt::xarray<double>({{3, 1, 3}, {6, 4, 6}}));
  s.backward(ones<double>({2, 3}));
  CHECK(x.grad().data() == xt::xarray<double>({{1, 0, 2}, {1, 0, 2}}));

  // torch.gather's documented example.
  auto t = from_vector<double>({1, 2, 3, 4}, {2, 2}, true);
  auto g = gather(t, 1, Index{{0, 0}, {1, 0}});
  CHECK(g.data() == xt::xarray<double>({{1, 1}, {4, 3}}));
  g.backward(ones<double>({2, 2}));
  CHECK(t.grad().data() == xt::xarray<double>({{2, 0}, {1, 1}}));
}

TEST_CASE("indexing: bad inputs give typed errors naming the op and the shapes") {
  auto x = zeros<double>({2, 3});
  CHECK_THROWS_WITH_AS(
      index_select(x, 1, {0, 3}),
      doctest::Contains(
          "index_select: index 3 is out of range for axis 1 with extent 3 (shape [2,3])"),
      IndexError);
  CHECK_THROWS_WITH_AS(index_select(x, -3, {0}),
                       doctest::Contains("index_select: axis -3 is out of range for shape [2,3]"),
                       ValueError);
  CHECK_THROWS_WITH_AS(
      gather(x, 1, Index{{0, 5}, {1, 1}}),
      doctest::Contains("gather: index 5 is out of range for axis 1 with extent 3 (shape [2,3])"),
      IndexError);
  CHECK_THROWS_WITH_AS(
      gather(x, 1, Index{0, 1}),
      doctest::Contains("gather: index of shape [2] must have the rank of x [2,3]"), ShapeError);
  CHECK_THROWS_WITH_AS(
      gather(x, 1, Index(xt::zeros<std::size_t>({3, 1}))),
      doctest::Contains("gather: index of shape [3,1] must have the rank of x [2,3]"), ShapeError);
  CHECK_THROWS_WITH_AS(gather(x, 2, Index(xt::zeros<std::size_t>({1, 1}))),
                       doctest::Contains("gather: axis 2 is out of range for shape [2,3]"),
                       ValueError);
}

}  // namespace axon::test
