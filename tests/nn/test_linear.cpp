// SPDX-License-Identifier: MIT
// Tests nn/linear.cpp: parameters and their default init, reproducible construction, forward
// values against a hand computation for every input rank, shape errors, gradcheck in double of
// the whole layer (input, weight and bias).
#include <doctest/doctest.h>

#include <cmath>

#include "axon/autograd/autograd.hpp"
#include "axon/nn/gradcheck.hpp"
#include "axon/nn/linear.hpp"

namespace axon::test {

using namespace axon::autograd;
using nn::LinearOptions;

TEST_CASE("nn: linear parameters, shapes and options") {
  Generator gen(0);
  nn::Linear fc(LinearOptions(4, 3), gen);
  CHECK(fc.weight().shape() == Shape{3, 4});
  CHECK(fc.bias().shape() == Shape{3});
  CHECK(fc.weight().requires_grad());
  CHECK(fc.num_parameters() == 15);
  CHECK(fc.named_parameters()[0].first == "weight");
  CHECK(fc.named_parameters()[1].first == "bias");
  CHECK(fc.repr() == "Linear(in_features=4, out_features=3, bias=true)  # 15 parameters");

  nn::Linear no_bias(LinearOptions(4, 3).bias(false), gen);
  CHECK_FALSE(no_bias.bias().defined());
  CHECK(no_bias.num_parameters() == 12);
  CHECK(no_bias.named_parameters().size() == 1);
}

TEST_CASE("nn: linear default init is U(-1/sqrt(in), 1/sqrt(in)) and reproducible") {
  Generator gen(0);
  nn::LinearD fc(LinearOptions(256, 512), gen);
  const double bound = 1.0 / std::sqrt(256.0);
  double sum = 0, sq = 0;
  std::size_t outside = 0;
  for (double w : fc.weight().data()) {
    outside += (w >= -bound && w < bound) ? 0 : 1;
    sum += w;
    sq += w * w;
  }
  CHECK(outside == 0);
  const double n = static_cast<double>(fc.weight().numel());
  CHECK(sum / n == doctest::Approx(0.0).epsilon(2e-3));
  CHECK(std::sqrt(sq / n) == doctest::Approx(bound / std::sqrt(3.0)).epsilon(0.01));
  double bias_max = 0;
  for (double b : fc.bias().data()) bias_max = std::max(bias_max, std::abs(b));
  CHECK(bias_max <= bound);
  CHECK(bias_max > 0.9 * bound);  // 512 draws reach close to the bound

  // Equally seeded Generators give equal layers; another seed differs.
  Generator ga(0), gb(0), gc(1);
  nn::Linear a(LinearOptions(5, 4), ga), b(LinearOptions(5, 4), gb), c(LinearOptions(5, 4), gc);
  CHECK(a.weight().data() == b.weight().data());
  CHECK(a.bias().data() == b.bias().data());
  CHECK(a.weight().data() != c.weight().data());

  // A shared Generator advances, so consecutive layers differ but the model is reproducible.
  Generator g1(42), g2(42);
  nn::Linear l1(LinearOptions(5, 4), g1), l2(LinearOptions(5, 4), g1);
  nn::Linear m1(LinearOptions(5, 4), g2);
  CHECK(l1.weight().data() != l2.weight().data());
  CHECK(l1.weight().data() == m1.weight().data());

  // reset_parameters redraws.
  Generator g3(42);
  l2.reset_parameters(g3);
  CHECK(l2.weight().data() == l1.weight().data());
}

TEST_CASE("nn: linear forward values against a hand computation") {
  Generator gen(0);
  nn::Linear fc(LinearOptions(3, 2), gen);
  fc.weight().mutable_data() = xt::xarray<float>{{1, 2, 3}, {-1, 0.5f, 2}};
  fc.bias().mutable_data() = xt::xarray<float>{0.5f, -1};
  const Tensor x = from_vector<float>({1, 0, -1, 2, 1, 0.5f}, {2, 3});
  // row 0: [1-3+0.5, -1-2-1] = [-1.5, -4]; row 1: [2+2+1.5+0.5, -2+0.5+1-1] = [6, -1.5]
  const Tensor y = fc(x);
  REQUIRE(y.shape() == Shape{2, 2});
  CHECK(y.data() == xt::xarray<float>{{-1.5f, -4}, {6, -1.5f}});

  // Rank 1: [in] -> [out]; rank 3: [..., in] -> [..., out], same values row by row.
  const Tensor y1 = fc(from_vector<float>({2, 1, 0.5f}, {3}));
  REQUIRE(y1.shape() == Shape{2});
  CHECK(y1.data() == xt::xarray<float>{6, -1.5f});
  const Tensor x3 = from_vector<float>({1, 0, -1, 2, 1, 0.5f, 1, 0, -1, 2, 1, 0.5f}, {2, 2, 3});
  const Tensor y3 = fc(x3);
  REQUIRE(y3.shape() == Shape{2, 2, 2});
  CHECK(y3.data() == xt::xarray<float>{{{-1.5f, -4}, {6, -1.5f}}, {{-1.5f, -4}, {6, -1.5f}}});

  // Rank 4 goes through reshapes: same values.
  const Tensor y4 = fc(reshape(x3, {1, 2, 2, 3}));
  REQUIRE(y4.shape() == Shape{1, 2, 2, 2});
  CHECK(y4.data() == xt::xarray<float>{{{{-1.5f, -4}, {6, -1.5f}}, {{-1.5f, -4}, {6, -1.5f}}}});

  nn::Linear no_bias(LinearOptions(3, 2).bias(false), gen);
  no_bias.weight().mutable_data() = fc.weight().data();
  CHECK(no_bias(x).data() == xt::xarray<float>{{-2, -3}, {5.5f, -0.5f}});
}

TEST_CASE("nn: linear shape errors are typed and name the layer") {
  Generator gen(0);
  nn::Linear fc(LinearOptions(4, 3), gen);
  CHECK_THROWS_AS(fc(ones<float>({2, 5})), ShapeError);
  CHECK_THROWS_AS(fc(ones<float>({4, 2, 3})), ShapeError);
  CHECK_THROWS_AS(fc(ones<float>({1, 4, 2, 3})), ShapeError);
  CHECK_THROWS_AS(fc(scalar<float>(1)), ShapeError);
  try {
    fc(ones<float>({2, 5}));
  } catch (const ShapeError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("Linear(in_features=4") != std::string::npos);
    CHECK(msg.find("[2,5]") != std::string::npos);
  }
}

TEST_CASE("nn: linear gradcheck of input, weight and bias (double)") {
  Generator gen(7);
  nn::LinearD fc(LinearOptions(4, 3), gen);
  const TensorD x2 = randn<double>({5, 4}, gen, 0.0, 1.0, true);
  auto r = nn::gradcheck_module(fc, x2);
  CHECK_MESSAGE(r.ok, r.message);
  CHECK(r.comparisons == (20 + 12 + 3) * 15);

  const TensorD x3 = randn<double>({2, 3, 4}, gen, 0.0, 1.0, true);
  r = nn::gradcheck_module(fc, x3);
  CHECK_MESSAGE(r.ok, r.message);
  const TensorD x4 = randn<double>({2, 1, 2, 4}, gen, 0.0, 1.0, true);
  r = nn::gradcheck_module(fc, x4);
  CHECK_MESSAGE(r.ok, r.message);
  const TensorD x1 = randn<double>({4}, gen, 0.0, 1.0, true);
  r = nn::gradcheck_module(fc, x1);
  CHECK_MESSAGE(r.ok, r.message);

  nn::LinearD no_bias(LinearOptions(4, 2).bias(false), gen);
  r = nn::gradcheck_module(no_bias, x2);
  CHECK_MESSAGE(r.ok, r.message);
}

TEST_CASE("nn: linear backward accumulates into its parameters") {
  Generator gen(0);
  nn::Linear fc(LinearOptions(3, 2), gen);
  const Tensor x = from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  fc(x).backward(ones<float>({2, 2}));
  // dW = g^T x = column sums of x per output row; db = column sums of g.
  CHECK(fc.weight().grad().data() == xt::xarray<float>{{5, 7, 9}, {5, 7, 9}});
  CHECK(fc.bias().grad().data() == xt::xarray<float>{2, 2});
  fc.zero_grad();
  CHECK_FALSE(fc.weight().has_grad());
}

}  // namespace axon::test
