// SPDX-License-Identifier: MIT
// Tests autograd/ops/softmax.cpp: the op-case table, float vs double, stability for logits of
// magnitude 1e4, masked (all -inf) rows and the error table.
#include <cmath>
#include <limits>

#include <doctest/doctest.h>
#include <xtensor/xmath.hpp>

#include "op_case.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;

std::vector<OpCase> softmax_cases() {
  // clang-format off
  return {
    {"softmax", "last axis of [N,C]", {{3, 5}}, [](const auto& x) { return softmax(x[0]); }},
    {"softmax", "first axis", {{3, 4}}, [](const auto& x) { return softmax(x[0], 0); }},
    {"softmax", "middle axis of rank 3", {{2, 3, 4}}, [](const auto& x) { return softmax(x[0], 1); }},
    {"softmax", "size-1 axis", {{3, 1}}, [](const auto& x) { return softmax(x[0], -1); }},
    {"softmax", "1-D", {{6}}, [](const auto& x) { return softmax(x[0]); }},
    {"softmax", "large logits", {{2, 4}}, [](const auto& x) { return softmax(x[0]); }, 1000.0, 1003.0},
    {"softmax", "used twice: x * softmax(x)", {{3, 4}}, [](const auto& x) { return mul(x[0], softmax(x[0])); }},
    {"log_softmax", "last axis of [N,C]", {{3, 5}}, [](const auto& x) { return log_softmax(x[0]); }},
    {"log_softmax", "first axis", {{3, 4}}, [](const auto& x) { return log_softmax(x[0], -2); }},
    {"log_softmax", "middle axis of rank 3", {{2, 3, 4}}, [](const auto& x) { return log_softmax(x[0], 1); }},
    {"log_softmax", "large logits", {{2, 4}}, [](const auto& x) { return log_softmax(x[0]); }, -1003.0, -1000.0},
    {"log_softmax", "cross-entropy shape: target * log_softmax", {{3, 4}, {3, 4}}, [](const auto& x) { return mul(x[1], log_softmax(x[0])); }},
    {"log_softmax", "used twice: log_softmax(x) * x", {{2, 3}}, [](const auto& x) { return mul(log_softmax(x[0]), x[0]); }},
  };
  // clang-format on
}

}  // namespace

TEST_CASE("softmax: gradients match finite differences (double)") {
  check_gradients(softmax_cases());
}

TEST_CASE("softmax: second derivatives match finite differences (double)") {
  check_second_gradients(softmax_cases());
}

TEST_CASE("softmax: float agrees with double") {
  check_float_matches_double(softmax_cases());
}

TEST_CASE("softmax: every declared op has a row") {
  check_every_op_has_a_row("ops/softmax.hpp", softmax_cases());
}

TEST_CASE("softmax: values") {
  auto x = from_vector<double>({0, std::log(3.0), 1, 1}, {2, 2});
  CHECK(xt::allclose(softmax(x).data(), xt::xarray<double>({{0.25, 0.75}, {0.5, 0.5}})));
  CHECK(xt::allclose(softmax(x, 0).data(),
                     xt::xarray<double>({{1 / (1 + std::exp(1.0)), 3 / (3 + std::exp(1.0))},
                                         {std::exp(1.0) / (1 + std::exp(1.0)),
                                          std::exp(1.0) / (3 + std::exp(1.0))}})));
  CHECK(xt::allclose(log_softmax(x).data(), xt::log(softmax(x).data())));
  // Rows of a rank-3 softmax along the middle axis sum to 1.
  Generator gen(2);
  auto y = randn<double>({2, 5, 3}, gen, 0.0, 3.0);
  CHECK(xt::allclose(xt::sum(softmax(y, 1).data(), {1}), xt::ones<double>({2, 3})));
  // Shift invariance.
  CHECK(xt::allclose(softmax(y + 500.0, 1).data(), softmax(y, 1).data()));
}

TEST_CASE("softmax: stable for logits of magnitude 1e4, with finite gradients") {
  for (int axis : {0, -1}) {
    CAPTURE(axis);
    auto x = from_vector<double>({1e4, 0, -1e4}, {3}, true);
    auto s = softmax(x, axis);
    CHECK(s.data() == xt::xarray<double>({1, 0, 0}));
    s.backward(from_vector<double>({1, 2, 3}, {3}));
    CHECK(xt::all(xt::isfinite(x.grad().data())));
    auto xf = from_vector<float>({1e4f, 0, -1e4f}, {3}, true);
    auto lf = log_softmax(xf, axis);
    CHECK(lf.data() == xt::xarray<float>({0, -1e4f, -2e4f}));
    lf.backward(ones<float>({3}));
    CHECK(xt::all(xt::isfinite(xf.grad().data())));
    // dx = g - softmax * sum(g) = [1 - 3, 1, 1]
    CHECK(xt::allclose(xf.grad().data(), xt::xarray<float>({-2, 1, 1})));
  }
}

TEST_CASE("softmax: an all -inf row gives zeros (softmax) and -inf (log_softmax), no NaN") {
  const double inf = std::numeric_limits<double>::infinity();
  auto x = from_vector<double>({-inf, -inf, 0, -inf}, {2, 2}, true);
  auto s = softmax(x);
  CHECK(s.data() == xt::xarray<double>({{0, 0}, {1, 0}}));
  auto l = log_softmax(x);
  CHECK(l.data()(0, 0) == -inf);
  CHECK(l.data()(1, 0) == 0);
  CHECK(l.data()(1, 1) == -inf);
  s.backward(ones<double>({2, 2}));
  CHECK(xt::all(xt::isfinite(x.grad().data())));
}

TEST_CASE("softmax: bad inputs give typed errors naming the op and the shape") {
  auto a = zeros<double>({2, 3});
  struct Row {
    const char* what;
    std::function<void()> call;
    std::vector<std::string> parts;
  };
  const std::vector<Row> rows = {
      {"softmax axis out of range", [&] { softmax(a, 2); }, {"softmax:", "axis 2", "[2,3]"}},
      {"log_softmax axis out of range",
       [&] { log_softmax(a, -3); },
       {"log_softmax:", "axis -3", "[2,3]"}},
      {"softmax of a 0-d tensor", [&] { softmax(scalar<double>(1)); }, {"softmax:", "[]"}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    try {
      r.call();
      FAIL("no exception");
    } catch (const ValueError& e) {
      const std::string what = e.what();
      INFO(what);
      for (const auto& part : r.parts) CHECK(what.find(part) != std::string::npos);
    }
  }
}

}  // namespace axon::test
