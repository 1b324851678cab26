// SPDX-License-Identifier: MIT
// Tests nn/unflatten.cpp: splitting an axis (negative axes, an inferred -1), the gradient (a
// reshape back), the repr, and the errors naming the layer.
#include <doctest/doctest.h>

#include <string>

#include "axon/autograd/autograd.hpp"
#include "axon/nn/gradcheck.hpp"
#include "axon/nn/unflatten.hpp"

namespace axon::test {

using namespace axon::autograd;

TEST_CASE("nn: Unflatten splits one axis into several") {
  CHECK(nn::Unflatten(1, {1, 28})(zeros<float>({5, 28, 28})).shape() == Shape{5, 1, 28, 28});
  CHECK(nn::Unflatten(1, {1, 28, 28})(zeros<float>({5, 784})).shape() == Shape{5, 1, 28, 28});
  CHECK(nn::Unflatten(-1, {2, -1})(zeros<float>({3, 4, 6})).shape() == Shape{3, 4, 2, 3});
  CHECK(nn::Unflatten(0, {2, 3})(zeros<float>({6})).shape() == Shape{2, 3});
  const auto x = arange<float>(0, 12);
  CHECK(nn::Unflatten(0, {3, 4})(x).data() ==
        xt::xarray<float>{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9, 10, 11}});
  CHECK(nn::Unflatten(1, {1, 28}).repr() == "Unflatten(axis=1, shape=[1, 28])");
  CHECK(nn::Unflatten(1, {1, 28}).num_parameters() == 0);
}

TEST_CASE("nn: Unflatten passes gradcheck_module and reports bad shapes") {
  Generator gen(1);
  nn::UnflattenD layer(1, {2, 3});
  const auto r = nn::gradcheck_module(layer, randn<double>({2, 6, 2}, gen, 0.0, 1.0, true));
  CHECK_MESSAGE(r.ok, r.message);

  try {
    nn::Unflatten(1, {3, 3})(zeros<float>({2, 8}));
    FAIL("no exception");
  } catch (const ShapeError& e) {
    CHECK(std::string(e.what()) ==
          "Unflatten(axis=1, shape=[3, 3]): input [2,8]: axis 1 of extent 8 cannot be split into "
          "[3, 3]");
  }
  CHECK_THROWS_AS(nn::Unflatten(1, {3, -1})(zeros<float>({2, 8})), ShapeError);
  CHECK_THROWS_AS(nn::Unflatten(2, {1, 2})(zeros<float>({2, 2})), ValueError);
  CHECK_THROWS_AS(nn::Unflatten(0, {-1, -1})(zeros<float>({4})), ValueError);
}

}  // namespace axon::test
