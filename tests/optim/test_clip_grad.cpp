// SPDX-License-Identifier: MIT
// Tests optim/clip_grad.cpp: known norms, skipped parameters, argument checks, non-finite norms.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "axon/optim/clip_grad.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;
using namespace axon::optim;

TensorD with_grad(std::vector<double> grad) {
  const std::size_t n = grad.size();
  auto p = zeros<double>({n}, true);
  p.grad_data() = from_vector<double>(std::move(grad), {n}).data();
  return p;
}

TEST_CASE("optim: clip_grad_norm scales all gradients together") {
  auto a = with_grad({3.0});
  auto b = with_grad({0.0, -4.0});
  CHECK(clip_grad_norm<double>({a, b}, 1.0) == doctest::Approx(5.0));
  CHECK(a.grad_data()(0) == doctest::Approx(0.6));
  CHECK(b.grad_data()(1) == doctest::Approx(-0.8));

  auto c = with_grad({3.0, -4.0});
  CHECK(clip_grad_norm<double>({c}, 10.0, 1.0) == doctest::Approx(7.0));
  CHECK(c.grad_data()(0) == 3.0);  // below max_norm: unchanged
  CHECK(clip_grad_norm<double>({c}, 2.0, kInfNorm) == doctest::Approx(4.0));
  CHECK(c.grad_data()(1) == doctest::Approx(-2.0));
}

TEST_CASE("optim: clip_grad_norm skips parameters without a gradient") {
  auto a = with_grad({3.0, 4.0});
  auto none = zeros<double>({2}, true);
  CHECK(clip_grad_norm<double>({a, none}, 1.0) == doctest::Approx(5.0));
  CHECK_FALSE(none.has_grad());
  CHECK(clip_grad_norm<double>({none}, 1.0) == 0.0);
  CHECK(clip_grad_norm<double>({}, 1.0) == 0.0);
}

TEST_CASE("optim: clip_grad_norm checks its arguments and non-finite norms") {
  auto a = with_grad({1.0});
  CHECK_THROWS_WITH_AS(clip_grad_norm<double>({a}, -1.0),
                       doctest::Contains("clip_grad_norm: invalid max_norm"), ValueError);
  CHECK_THROWS_WITH_AS(clip_grad_norm<double>({a}, 1.0, 0.0),
                       doctest::Contains("clip_grad_norm: invalid norm_type"), ValueError);
  auto bad = with_grad({std::numeric_limits<double>::infinity(), 1.0});
  CHECK_THROWS_WITH_AS(clip_grad_norm<double>({bad}, 1.0, 2.0, true),
                       doctest::Contains("non-finite"), NumericalError);
  CHECK(std::isinf(clip_grad_norm<double>({bad}, 1.0)));
}

TEST_CASE("optim: clip_grad_norm on float gradients") {
  Tensor p = zeros<float>({2}, true);
  p.grad_data() = xt::xarray<float>({30.0f, 40.0f});
  CHECK(clip_grad_norm<float>({p}, 5.0) == doctest::Approx(50.0));
  CHECK(p.grad_data()(0) == doctest::Approx(3.0f));
}

TEST_CASE("optim: clip_grad_value clamps each element") {
  auto a = with_grad({-3.0, 0.2, 5.0});
  auto none = zeros<double>({1}, true);
  clip_grad_value<double>({a, none}, 1.0);
  CHECK(a.grad_data() == xt::xarray<double>({-1.0, 0.2, 1.0}));
  CHECK_FALSE(none.has_grad());
  CHECK_THROWS_WITH_AS(clip_grad_value<double>({a}, -1.0),
                       doctest::Contains("clip_grad_value: invalid clip_value"), ValueError);
  Tensor f = zeros<float>({2}, true);
  f.grad_data() = xt::xarray<float>({-2.0f, 0.5f});
  clip_grad_value<float>({f}, 0.25);
  CHECK(f.grad_data() == xt::xarray<float>({-0.25f, 0.25f}));
}

}  // namespace
}  // namespace axon::test
