// SPDX-License-Identifier: MIT
// Tests nn/regularization.cpp: l1_penalty and l2_penalty against finite differences and PyTorch,
// their use as a loss term, and their errors.
#include <doctest/doctest.h>

#include <cmath>

#include "axon/nn/losses.hpp"
#include "axon/nn/regularization.hpp"
#include "tests/autograd/op_case.hpp"
#include "tests/nn/golden_losses.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;
using namespace axon::nn;

std::vector<TensorD> golden_params() {
  return {
      from_vector<double>(std::vector<double>(golden::pen_w0, golden::pen_w0 + 12), {3, 4}, true),
      from_vector<double>(std::vector<double>(golden::pen_w1, golden::pen_w1 + 5), {5}, true)};
}

void check_close(const TensorD& got, const double* want) {
  for (std::size_t i = 0; i < got.numel(); ++i) {
    CAPTURE(i);
    CHECK(std::abs(got.data_ptr()[i] - want[i]) <= 1e-10 * std::abs(want[i]));
  }
}

}  // namespace

TEST_CASE("regularization: gradients match finite differences (double)") {
  Generator gen(9);
  const std::vector<TensorD> params = {randn<double>({3, 4}, gen, 0.0, 1.0, true),
                                       randn<double>({5}, gen, 0.0, 1.0, true),
                                       randn<double>({}, gen, 0.0, 1.0, true)};
  for (const double lambda : {0.0, 0.01, 2.5}) {
    CAPTURE(lambda);
    auto l1 = gradcheck([lambda](const auto& w) { return l1_penalty(w, lambda); }, params);
    INFO(l1.message);
    CHECK(l1.ok);
    auto l2 = gradcheck([lambda](const auto& w) { return l2_penalty(w, lambda); }, params);
    INFO(l2.message);
    CHECK(l2.ok);
    CHECK(l2.comparisons == 18);  // one output, 18 parameter elements
  }
}

TEST_CASE("regularization: second derivatives match finite differences (double)") {
  // l2's Hessian is 2 lambda I; l1's is 0 away from w = 0 (a randn draw is never exactly 0).
  Generator gen(11);
  const std::vector<TensorD> params = {randn<double>({3, 4}, gen, 0.0, 1.0, true),
                                       randn<double>({5}, gen, 0.0, 1.0, true),
                                       randn<double>({}, gen, 0.0, 1.0, true)};
  for (const double lambda : {0.0, 0.01, 2.5}) {
    CAPTURE(lambda);
    auto l1 = gradgradcheck([lambda](const auto& w) { return l1_penalty(w, lambda); }, params);
    INFO(l1.message);
    CHECK(l1.ok);
    CHECK(l1.comparisons > 0);
    auto l2 = gradgradcheck([lambda](const auto& w) { return l2_penalty(w, lambda); }, params);
    INFO(l2.message);
    CHECK(l2.ok);
    CHECK(l2.comparisons > 0);
  }
}

TEST_CASE("regularization: values and gradients match PyTorch (lambda 0.01)") {
  {
    auto w = golden_params();
    auto y = l1_penalty(w, 0.01);
    CHECK(y.dim() == 0);
    CHECK(y.item() == doctest::Approx(golden::l1_penalty_value).epsilon(1e-10));
    y.backward();
    check_close(w[0].grad(), golden::l1_penalty_grad0);
    check_close(w[1].grad(), golden::l1_penalty_grad1);  // holds a 0: subgradient 0
    CHECK(w[1].grad().data()(2) == 0.0);
  }
  {
    auto w = golden_params();
    auto y = l2_penalty(w, 0.01);
    CHECK(y.item() == doctest::Approx(golden::l2_penalty_value).epsilon(1e-10));
    y.backward();
    check_close(w[0].grad(), golden::l2_penalty_grad0);
    check_close(w[1].grad(), golden::l2_penalty_grad1);
  }
}

TEST_CASE("regularization: l2 has no 1/2 factor; l1 sums absolute values") {
  auto w = from_vector<double>({3, -4}, {2}, true);
  auto b = from_vector<double>({-1}, {1}, true);
  CHECK(l2_penalty({w, b}, 0.5).item() == 0.5 * (9 + 16 + 1));
  CHECK(l1_penalty({w, b}, 0.5).item() == 0.5 * (3 + 4 + 1));
  auto y = l2_penalty({w}, 0.5);
  y.backward();
  CHECK(w.grad().data() == xt::xarray<double>({3, -4}));  // 2 lambda w
}

TEST_CASE("regularization: a loss term; only parameters requiring grad receive one") {
  auto w = from_vector<float>({1, -2}, {2}, true);
  auto frozen = from_vector<float>({5}, {1});
  auto target = from_vector<float>({0, 0}, {2});
  // d/dw [sum (w - 0)^2 + 0.1 (w^2 + frozen^2)] = 2w + 0.2w
  auto loss = mse_loss(w, target, Reduction::Sum) + l2_penalty({w, frozen}, 0.1f);
  CHECK(loss.item() == doctest::Approx(5 + 0.1 * (5 + 25)));
  loss.backward();
  CHECK(w.grad().data()(0) == doctest::Approx(2.2));
  CHECK(w.grad().data()(1) == doctest::Approx(-4.4));
  CHECK_FALSE(frozen.has_grad());
  // the same parameter listed twice counts twice
  auto v = from_vector<double>({2}, {1}, true);
  auto twice = l1_penalty({v, v}, 1.0);
  CHECK(twice.item() == 4.0);
  twice.backward();
  CHECK(v.grad().item() == 2.0);
  // nothing to differentiate: a plain 0-d value, nothing recorded
  CHECK(l2_penalty(std::vector<TensorD>{}, 1.0).item() == 0.0);
  CHECK_FALSE(l2_penalty({frozen}, 1.0f).requires_grad());
  {
    NoGradGuard guard;
    CHECK_FALSE(l1_penalty({w}, 1.0f).requires_grad());
  }
}

TEST_CASE("regularization: bad arguments give typed errors") {
  auto w = zeros<double>({2});
  try {
    l2_penalty({w}, -0.5);
    FAIL("no exception");
  } catch (const ValueError& e) {
    CHECK(std::string(e.what()) == "l2_penalty: lambda must be non-negative, got -0.5");
  }
  // a non-leaf whose graph was released by an earlier backward()
  auto leaf = from_vector<double>({1, 2}, {2}, true);
  auto h = leaf * 2.0;
  h.backward(ones<double>({2}));
  CHECK_THROWS_AS(l2_penalty({w, h}, 0.1), GraphError);
  try {
    l1_penalty({w, TensorD()}, 0.1);
    FAIL("no exception");
  } catch (const ValueError& e) {
    CHECK(std::string(e.what()) == "l1_penalty: parameter 1 is an undefined tensor");
  }
}

}  // namespace axon::test
