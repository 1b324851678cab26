// SPDX-License-Identifier: MIT
// vjp, jvp, jacobian, hessian and hvp (autograd/functional.hpp) against closed forms.
#include <cmath>

#include <doctest/doctest.h>

#include "axon/autograd/autograd.hpp"

namespace {

using namespace axon::autograd;

// f(x, w) = tanh(W x): J_x = diag(1 - y^2) W, J_W[i, i, j] = (1 - y_i^2) x_j.
TensorD layer(const std::vector<TensorD>& in) {
  return tanh(matmul(in[1], in[0]));
}

TensorD vec(std::vector<double> v) {
  const std::size_t n = v.size();
  return from_vector<double>(v, {n});
}

}  // namespace

TEST_CASE("functional: jacobian of tanh(W x) matches the closed form, and vjp/jvp agree with it") {
  TensorD x = vec({0.3, -0.8, 1.2});
  TensorD w = from_vector<double>({0.5, -1.0, 0.25, 2.0, 0.1, -0.3}, {2, 3});
  auto jac = jacobian<double>(layer, {x, w});
  REQUIRE(jac[0].shape() == Shape{2, 3});
  REQUIRE(jac[1].shape() == Shape{2, 2, 3});
  TensorD y;
  {
    NoGradGuard off;
    y = layer({x, w});
  }
  for (std::size_t i = 0; i < 2; ++i) {
    const double d = 1 - y.data_ptr()[i] * y.data_ptr()[i];
    for (std::size_t j = 0; j < 3; ++j) {
      CHECK(jac[0].data_ptr()[i * 3 + j] == doctest::Approx(d * w.data_ptr()[i * 3 + j]));
      CHECK(jac[1].data_ptr()[(i * 2 + i) * 3 + j] == doctest::Approx(d * x.data_ptr()[j]));
    }
  }
  // vjp with v = e_1 is row 1 of J_x; jvp with t = (e_2, 0) is column 2 of J_x.
  auto [out, vj] = vjp<double>(layer, {x, w}, vec({0.0, 1.0}));
  CHECK(out.data_ptr()[0] == doctest::Approx(y.data_ptr()[0]));
  for (std::size_t j = 0; j < 3; ++j) {
    CHECK(vj[0].data_ptr()[j] == doctest::Approx(jac[0].data_ptr()[3 + j]));
  }
  auto [out2, jt] = jvp<double>(layer, {x, w}, {vec({0.0, 0.0, 1.0}), zeros<double>({2, 3})});
  CHECK(jt.data_ptr()[0] == doctest::Approx(jac[0].data_ptr()[2]));
  CHECK(jt.data_ptr()[1] == doctest::Approx(jac[0].data_ptr()[5]));
  CHECK_FALSE(x.requires_grad());  // the caller's tensors are not changed
}

TEST_CASE("functional: hessian and hvp of a quartic match the closed form") {
  // f(x) = sum(x^4) / 4 + x0 x1: H = diag(3 x^2) + [[0,1],[1,0]] in the first two entries.
  const TensorD a = from_vector<double>({0, 1, 0, 1, 0, 0, 0, 0, 0}, {3, 3});
  const auto f = [a](const TensorD& x) {
    return sum(pow(x, 4.0)) / 4.0 + sum(x * matmul(a, x)) / 2.0;  // x^T A x / 2 = x0 x1
  };
  TensorD x = vec({1.0, -2.0, 0.5});
  TensorD h = hessian<double>(f, x);
  REQUIRE(h.shape() == Shape{3, 3});
  const double expect[9] = {3, 1, 0, 1, 12, 0, 0, 0, 0.75};
  for (int i = 0; i < 9; ++i) CHECK(h.data_ptr()[i] == doctest::Approx(expect[i]));
  auto [y, hv] = hvp<double>([&](const std::vector<TensorD>& in) { return f(in[0]); }, {x},
                             {vec({1.0, 0.0, 2.0})});
  CHECK(y.item() == doctest::Approx((1 + 16 + 0.0625) / 4 - 2));
  CHECK(hv[0].data_ptr()[0] == doctest::Approx(3.0));
  CHECK(hv[0].data_ptr()[1] == doctest::Approx(1.0));
  CHECK(hv[0].data_ptr()[2] == doctest::Approx(1.5));
}

TEST_CASE("functional: typed errors for mismatched tangents and non-scalar Hessians") {
  TensorD x = vec({1.0, 2.0});
  const auto sq = [](const std::vector<TensorD>& in) { return in[0] * in[0]; };
  CHECK_THROWS_AS(jvp<double>(sq, {x}, {vec({1.0})}), axon::ShapeError);
  CHECK_THROWS_AS(jvp<double>(sq, {x}, {}), axon::ValueError);
  CHECK_THROWS_AS(hessian<double>([](const TensorD& v) { return v * v; }, x), axon::ShapeError);
  CHECK_THROWS_AS(vjp<double>(sq, {x}, vec({1.0, 2.0, 3.0})), axon::ShapeError);
}
