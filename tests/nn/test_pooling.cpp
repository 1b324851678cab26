// SPDX-License-Identifier: MIT
// Tests nn/pooling.cpp: each layer computes its op with its options (stride defaulting to the
// kernel), has no parameters, prints a repr with the resolved stride, passes gradcheck_module in
// double, and reports bad options from its op at forward time.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "axon/autograd/autograd.hpp"
#include "axon/nn/gradcheck.hpp"
#include "axon/nn/pooling.hpp"

namespace axon::test {

using namespace axon::autograd;
using nn::Pool1dOptions;
using nn::Pool2dOptions;

namespace {

/// A [n, c, h, w] (or [n, c, w] when h == 0) input of distinct, shuffled values: no ties.
TensorD distinct(const Shape& shape, std::uint64_t seed) {
  Generator gen(seed);
  const std::size_t n = shape_numel(shape);
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = -1.0 + 2.0 * (double(i) + 0.5) / double(n);
  for (std::size_t i = n; i > 1; --i) std::swap(v[i - 1], v[gen.below(i)]);
  return from_vector<double>(v, shape, true);
}

}  // namespace

TEST_CASE("nn: pooling layers compute their op with their options") {
  Generator gen(1);
  const auto x = randn<float>({2, 3, 9, 8}, gen);
  const auto r = randn<float>({2, 3, 11}, gen);
  CHECK(nn::MaxPool2d(Pool2dOptions(2))(x).data() == max_pool2d(x, 2).data());
  CHECK(nn::MaxPool2d(Pool2dOptions({3, 2}).stride(1).padding({1, 0}))(x).data() ==
        max_pool2d(x, {3, 2}, Size2{1}, {1, 0}).data());
  CHECK(nn::AvgPool2d(Pool2dOptions(3).stride(2).padding(1))(x).data() ==
        avg_pool2d(x, 3, Size2{2}, 1).data());
  CHECK(nn::AvgPool2d(Pool2dOptions(3).stride(2).padding(1).count_include_pad(false))(x).data() ==
        avg_pool2d(x, 3, Size2{2}, 1, false).data());
  CHECK(nn::MaxPool1d(Pool1dOptions(3).stride(2).padding(1))(r).data() ==
        max_pool1d(r, 3, 2, 1).data());
  CHECK(nn::AvgPool1d(Pool1dOptions(2))(r).data() == avg_pool1d(r, 2).data());
  CHECK(nn::AdaptiveAvgPool1d(4)(r).data() == adaptive_avg_pool1d(r, 4).data());
  CHECK(nn::AdaptiveAvgPool2d({3, 2})(x).data() == adaptive_avg_pool2d(x, {3, 2}).data());
  CHECK(nn::GlobalAvgPool2d()(x).data() == global_avg_pool2d(x).data());
  CHECK(nn::GlobalAvgPool2d()(x).shape() == Shape{2, 3});
  CHECK(nn::MaxPool2d(Pool2dOptions(2)).num_parameters() == 0);
}

TEST_CASE("nn: pooling reprs show the resolved stride") {
  CHECK(nn::MaxPool2d(Pool2dOptions(2)).repr() == "MaxPool2d(kernel_size=2, stride=2, padding=0)");
  CHECK(nn::MaxPool2d(Pool2dOptions({3, 2}).stride({1, 2}).padding(1)).repr() ==
        "MaxPool2d(kernel_size=(3, 2), stride=(1, 2), padding=1)");
  CHECK(nn::AvgPool2d(Pool2dOptions(3).count_include_pad(false)).repr() ==
        "AvgPool2d(kernel_size=3, stride=3, padding=0, count_include_pad=false)");
  CHECK(nn::MaxPool1d(Pool1dOptions(4).stride(1)).repr() ==
        "MaxPool1d(kernel_size=4, stride=1, padding=0)");
  CHECK(nn::AvgPool1d(Pool1dOptions(2).padding(1)).repr() ==
        "AvgPool1d(kernel_size=2, stride=2, padding=1)");
  CHECK(nn::AdaptiveAvgPool1d(5).repr() == "AdaptiveAvgPool1d(output_size=5)");
  CHECK(nn::AdaptiveAvgPool2d({7, 7}).repr() == "AdaptiveAvgPool2d(output_size=7)");
  CHECK(nn::GlobalAvgPool2d().repr() == "GlobalAvgPool2d()");
}

TEST_CASE("nn: pooling layers pass gradcheck_module in double") {
  struct Row {
    std::string what;
    std::shared_ptr<nn::ModuleD> layer;
    Shape input;
  };
  // clang-format off
  const std::vector<Row> rows = {
    {"MaxPool2d 2", std::make_shared<nn::MaxPool2dD>(Pool2dOptions(2)), {2, 2, 4, 6}},
    {"MaxPool2d 3 stride 2 padding 1", std::make_shared<nn::MaxPool2dD>(Pool2dOptions(3).stride(2).padding(1)), {1, 2, 7, 5}},
    {"MaxPool1d 3 stride 1", std::make_shared<nn::MaxPool1dD>(Pool1dOptions(3).stride(1)), {2, 2, 6}},
    {"AvgPool2d (3,2) padding (1,0)", std::make_shared<nn::AvgPool2dD>(Pool2dOptions({3, 2}).padding({1, 0})), {2, 2, 6, 5}},
    {"AvgPool1d 2 count_include_pad false", std::make_shared<nn::AvgPool1dD>(Pool1dOptions(2).padding(1).count_include_pad(false)), {1, 3, 7}},
    {"AdaptiveAvgPool1d 3", std::make_shared<nn::AdaptiveAvgPool1dD>(3), {2, 2, 7}},
    {"AdaptiveAvgPool2d (2,3)", std::make_shared<nn::AdaptiveAvgPool2dD>(Size2{2, 3}), {1, 2, 5, 5}},
    {"GlobalAvgPool2d", std::make_shared<nn::GlobalAvgPool2dD>(), {2, 3, 3, 4}},
  };
  // clang-format on
  std::uint64_t seed = 0;
  for (const auto& r : rows) {
    CAPTURE(r.what);
    const auto result = nn::gradcheck_module(*r.layer, distinct(r.input, ++seed));
    CHECK_MESSAGE(result.ok, result.message);
    CHECK(result.comparisons > 0);
  }
}

TEST_CASE("nn: pooling layers report bad options when they run") {
  const auto x = zeros<float>({1, 1, 4, 4});
  CHECK_THROWS_AS(nn::MaxPool2d(Pool2dOptions(0))(x), ValueError);
  CHECK_THROWS_AS(nn::AvgPool2d(Pool2dOptions(2).padding(2))(x), ValueError);
  CHECK_THROWS_AS(nn::MaxPool2d(Pool2dOptions(5))(x), ShapeError);
  CHECK_THROWS_AS(nn::MaxPool1d(Pool1dOptions(2))(x), ShapeError);
  CHECK_THROWS_AS(nn::AdaptiveAvgPool2d(0)(x), ValueError);
  CHECK_THROWS_AS(nn::GlobalAvgPool2d()(zeros<float>({4, 4})), ShapeError);
}

}  // namespace axon::test
