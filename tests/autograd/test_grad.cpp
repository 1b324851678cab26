// SPDX-License-Identifier: MIT
// autograd::grad, backward(create_graph) and gradgradcheck (autograd/grad.hpp): gradients of
// gradients, and the silent wrong answers they replace.
#include <cmath>

#include <doctest/doctest.h>

#include "axon/autograd/autograd.hpp"

namespace {

using namespace axon::autograd;
using axon::GraphError;
using axon::ShapeError;

TensorD vec(std::vector<double> v, bool requires_grad = true) {
  const std::size_t n = v.size();
  return from_vector<double>(v, {n}, requires_grad);
}

}  // namespace

TEST_CASE("grad: first, second and third derivatives of x^3") {
  TensorD x = vec({0.5, -1.5, 2.0});
  TensorD y = sum(x * x * x);
  TensorD d1 = grad(y, x, {}, GradOptions().create_graph(true));
  TensorD d2 = grad(sum(d1), x, {}, GradOptions().create_graph(true));
  TensorD d3 = grad(sum(d2), x);
  for (std::size_t i = 0; i < 3; ++i) {
    const double v = x.data_ptr()[i];
    CHECK(d1.data_ptr()[i] == doctest::Approx(3 * v * v).epsilon(1e-14));
    CHECK(d2.data_ptr()[i] == doctest::Approx(6 * v).epsilon(1e-14));
    CHECK(d3.data_ptr()[i] == doctest::Approx(6.0).epsilon(1e-14));
  }
  CHECK(d1.requires_grad());
  CHECK_FALSE(d3.requires_grad());
}

TEST_CASE("grad: leaves every .grad() untouched and returns the gradient of non-leaves too") {
  TensorD x = vec({1.0, 2.0});
  TensorD w = vec({3.0, -1.0});
  TensorD h = x * w;        // non-leaf input
  TensorD y = sum(exp(h));  // dy/dh = exp(h)
  auto gs = grad<double>({y}, {h, x});
  CHECK_FALSE(x.has_grad());
  CHECK_FALSE(w.has_grad());
  for (std::size_t i = 0; i < 2; ++i) {
    const double hv = h.data_ptr()[i];
    CHECK(gs[0].data_ptr()[i] == doctest::Approx(std::exp(hv)));
    CHECK(gs[1].data_ptr()[i] == doctest::Approx(std::exp(hv) * w.data_ptr()[i]));
  }
}

TEST_CASE("grad: explicit grad_outputs, several outputs, and the graph released by default") {
  TensorD x = vec({1.0, 2.0, 3.0});
  TensorD a = x * 2.0;
  TensorD b = x * x;
  auto g = grad<double>({a, b}, {x}, {vec({1, 1, 1}, false), vec({1, 0, 2}, false)});
  CHECK(g[0].data_ptr()[0] == doctest::Approx(2 + 2 * 1.0));
  CHECK(g[0].data_ptr()[1] == doctest::Approx(2 + 0.0));
  CHECK(g[0].data_ptr()[2] == doctest::Approx(2 + 2 * 2 * 3.0));
  CHECK_THROWS_AS(sum(a).backward(), GraphError);  // released: retain_graph was not asked for
}

TEST_CASE("grad: typed errors for unused inputs, inputs without gradient and bad seeds") {
  TensorD x = vec({1.0, 2.0});
  TensorD z = vec({1.0, 2.0});
  TensorD c = vec({1.0, 2.0}, false);
  TensorD y = sum(x * x);
  CHECK_THROWS_WITH_AS(grad<double>({y}, {z}, {}, GradOptions().retain_graph(true)),
                       doctest::Contains("allow_unused"), GraphError);
  auto g = grad<double>({y}, {x, z}, {}, GradOptions().allow_unused(true).retain_graph(true));
  CHECK(g[0].defined());
  CHECK_FALSE(g[1].defined());
  CHECK_THROWS_AS(grad<double>({y}, {c}, {}, GradOptions().retain_graph(true)), GraphError);
  CHECK_THROWS_AS(grad<double>({x * 2.0}, {x}), GraphError);  // non-scalar without a seed
  CHECK_THROWS_AS(grad<double>({y}, {x}, {vec({1, 2}, false)}), ShapeError);
}

TEST_CASE("grad: the gradient penalty of issue 18 gets the right parameter gradient") {
  // critic(x) = sum(tanh(x * w)); penalty = (|d critic / dx|^2 - 1)^2. Its gradient with
  // respect to w goes through the input gradient, so it needs create_graph; the old spelling
  // (backward() then x.grad()) is now a GraphError instead of a wrong gradient.
  const auto penalty = [](const std::vector<TensorD>& in) {
    EnableGradGuard on;  // gradcheck's finite differences run with recording off
    TensorD x = in[0], w = in[1];
    TensorD critic = sum(tanh(x * w));
    TensorD gx = grad(critic, x, {}, GradOptions().create_graph(true));
    return pow(sum(gx * gx) - 1.0, 2.0);
  };
  TensorD x = vec({0.3, -0.7, 1.1});
  TensorD w = vec({0.9, 0.4, -1.3});
  auto r = gradcheck(penalty, {x, w});
  INFO(r.message);
  CHECK(r.ok);

  // The old spelling: the inner backward() leaks into w and x.grad() is a constant.
  TensorD x2 = vec({0.3, -0.7, 1.1});
  TensorD w2 = vec({0.9, 0.4, -1.3});
  sum(tanh(x2 * w2)).backward();
  CHECK_THROWS_WITH_AS(sum(x2.grad() * w2), doctest::Contains("create_graph"), GraphError);
}

TEST_CASE("grad: backward(create_graph) gives leaves a differentiable .grad()") {
  TensorD x = vec({0.5, 2.0});
  sum(x * x * x).backward(false, true);
  TensorD g = x.grad();  // 3 x^2, recorded
  CHECK(g.requires_grad());
  CHECK(g.data_ptr()[1] == doctest::Approx(12.0));
  TensorD gg = grad(sum(g), x);  // 6 x
  CHECK(gg.data_ptr()[0] == doctest::Approx(3.0));
  CHECK(gg.data_ptr()[1] == doctest::Approx(12.0));
  x.zero_grad();
  CHECK_FALSE(x.grad().requires_grad());
}

TEST_CASE("grad: Hessian-vector products through an MLP match finite differences") {
  // gradgradcheck differentiates grad() of a two-layer tanh MLP's loss with respect to every
  // input: linear, matmul-free elementwise ops, reductions and broadcasting.
  const auto loss = [](const std::vector<TensorD>& in) {
    TensorD h = tanh(sum(in[0] * in[1], {1}) + in[2]);
    return mean(h * h * in[3]);
  };
  axon::autograd::Generator gen(3);
  std::vector<TensorD> in = {
      randn<double>({4, 3}, gen, 0, 1, true), randn<double>({3}, gen, 0, 1, true),
      randn<double>({4}, gen, 0, 1, true), randn<double>({4}, gen, 0, 1, true)};
  auto r = gradgradcheck(loss, in);
  INFO(r.message);
  CHECK(r.ok);
  CHECK(r.comparisons > 50);
}

TEST_CASE("grad: hooks see the recorded gradient, and a wrong second derivative is caught") {
  TensorD x = vec({1.0, -2.0});
  TensorD h = x * x;
  int calls = 0;
  h.register_hook([&](const TensorD& g) {
    ++calls;
    return g * 2.0;  // doubles the gradient passing h
  });
  TensorD g = grad(sum(h), x, {}, GradOptions().create_graph(true));
  CHECK(calls == 1);
  CHECK(g.data_ptr()[0] == doctest::Approx(4.0));  // 2 * 2x
  TensorD gg = grad(sum(g), x);
  CHECK(gg.data_ptr()[1] == doctest::Approx(4.0));

  // gradgradcheck fails for a function whose gradient ignores its dependence on x.
  const auto wrong = [](const std::vector<TensorD>& in) {
    TensorD c = in[0].detach();  // x treated as a constant in one factor
    return sum(in[0] * c * in[0]);
  };
  CHECK(gradcheck(wrong, {vec({0.5, 1.5})}).ok == false);
}
