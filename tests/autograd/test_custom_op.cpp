// SPDX-License-Identifier: MIT
// Tests autograd/custom_op.hpp: a user's op with a backward in tensor ops gives the right first
// and second derivatives (gradcheck, gradgradcheck, and a hand-derived value), leaves inputs
// without a gradient alone, and reports a backward that returns the wrong count or shape as a
// typed error naming the op.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "axon/autograd/autograd.hpp"
#include "axon/autograd/custom_op.hpp"
#include "axon/autograd/gradcheck.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;

/// cube(x) * w = w x^3 with w broadcast ([1]); forward by a loop, backward in tensor ops.
///   d/dx = 3 w x^2 g,  d/dw = sum(x^3 g)
template <class T>
BasicTensor<T> scaled_cube(const BasicTensor<T>& x, const BasicTensor<T>& w) {
  xt::xarray<T> y = xt::xarray<T>::from_shape(x.shape());
  const T s = w.data_ptr()[0];
  for (std::size_t i = 0; i < x.numel(); ++i) {
    const T v = x.data_ptr()[i];
    y.data()[i] = s * v * v * v;
  }
  return custom_op<T>("scaled_cube", std::move(y), {x, w},
                      [](const BasicTensor<T>& g, const BasicTensor<T>&,
                         const std::vector<BasicTensor<T>>& in) -> std::vector<BasicTensor<T>> {
                        const BasicTensor<T> x2 = in[0] * in[0];
                        return {g * x2 * in[1] * 3.0, sum_to(g * x2 * in[0], in[1].shape())};
                      });
}

/// An op whose backward returns what the test asks for, to exercise the checks.
TensorD faulty(const TensorD& x, std::vector<TensorD> answer) {
  return custom_op<double>(
      "faulty", xt::xarray<double>(x.data()), {x},
      [answer](const TensorD&, const TensorD&, const std::vector<TensorD>&) { return answer; });
}

}  // namespace

TEST_CASE("custom_op: first and second derivatives agree with finite differences") {
  Generator gen(5);
  const TensorD x = randn<double>({3, 2}, gen, 0.0, 1.0, true);
  const TensorD w = from_vector<double>({0.7}, {1}, true);
  const auto f = [](const std::vector<TensorD>& in) { return scaled_cube(in[0], in[1]); };
  const auto first = gradcheck(f, {x, w});
  CHECK_MESSAGE(first.ok, first.message);
  const auto second = gradgradcheck(f, {x, w});
  CHECK_MESSAGE(second.ok, second.message);

  // By hand: d2/dx2 of sum(w x^3) is 6 w x per element.
  const auto opts = GradOptions().create_graph(true);
  const TensorD dx = grad(sum(scaled_cube(x, w)), x, {}, opts);
  const TensorD d2x = grad(sum(dx), x, {}, opts);
  for (std::size_t i = 0; i < x.numel(); ++i) {
    CHECK(d2x.data_ptr()[i] == doctest::Approx(6.0 * 0.7 * x.data_ptr()[i]).epsilon(1e-12));
  }
}

TEST_CASE("custom_op: an input without requires_grad gets no gradient; float training works") {
  Generator gen(6);
  const Tensor x = randn<float>({4}, gen);  // data: no gradient
  const Tensor w = from_vector<float>({2.0f}, {1}, true);
  sum(scaled_cube(x, w)).backward();
  float expected = 0;
  for (std::size_t i = 0; i < 4; ++i)
    expected += x.data_ptr()[i] * x.data_ptr()[i] * x.data_ptr()[i];
  CHECK(w.grad().item() == doctest::Approx(expected).epsilon(1e-5));
  CHECK_FALSE(x.requires_grad());
}

TEST_CASE("custom_op: a backward with the wrong count or shape is a typed error naming the op") {
  const TensorD x = from_vector<double>({1.0, 2.0}, {2}, true);
  CHECK_THROWS_WITH_AS(sum(faulty(x, {})).backward(),
                       doctest::Contains("faulty (custom_op): backward returned 0 gradients for 1"),
                       ValueError);
  const TensorD y = from_vector<double>({1.0, 2.0}, {2}, true);
  CHECK_THROWS_WITH_AS(sum(faulty(y, {ones<double>({3})})).backward(),
                       doctest::Contains("shape [3] for input 0 of shape [2]"), ShapeError);
  // The same checks in a recording pass.
  const TensorD z = from_vector<double>({1.0, 2.0}, {2}, true);
  CHECK_THROWS_AS(
      grad(sum(faulty(z, {ones<double>({3})})), z, {}, GradOptions().create_graph(true)),
      ShapeError);
  // An undefined gradient counts as zero.
  const TensorD u = from_vector<double>({1.0, 2.0}, {2}, true);
  sum(faulty(u, {TensorD()})).backward();
  CHECK_FALSE(u.impl().has_grad);
}

}  // namespace axon::test
