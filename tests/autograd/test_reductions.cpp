// SPDX-License-Identifier: MIT
// Tests autograd/ops/reductions.cpp: the op-case table, float vs double, values against xtensor's
// reducers on every axis layout, ties, extent-0 axes and the error table.
#include <cmath>
#include <limits>

#include <doctest/doctest.h>
#include <xtensor/xmath.hpp>

#include "op_case.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;

std::vector<OpCase> reduction_cases() {
  // clang-format off
  return {
    {"sum", "all axes", {{3, 4}}, [](const auto& x) { return sum(x[0]); }},
    {"sum_to", "leading and unit axes", {{2, 3, 4}}, [](const auto& x) { return sum_to(x[0], {3, 1}); }},
    {"sum", "last axis of [N,F]", {{5, 4}}, [](const auto& x) { return sum(x[0], {1}); }},
    {"sum", "first axis of [N,F] (bias gradient)", {{5, 4}}, [](const auto& x) { return sum(x[0], {0}); }},
    {"sum", "negative axis", {{2, 3, 4}}, [](const auto& x) { return sum(x[0], {-2}); }},
    {"sum", "adjacent axes, keepdims", {{2, 3, 4}}, [](const auto& x) { return sum(x[0], {1, 2}, true); }},
    {"sum", "non-adjacent axes", {{2, 3, 4}}, [](const auto& x) { return sum(x[0], {0, 2}); }},
    {"sum", "non-adjacent axes of rank 4, keepdims", {{2, 3, 2, 3}}, [](const auto& x) { return sum(x[0], {-1, 1}, true); }},
    {"sum", "size-1 axes between reduced ones", {{3, 1, 4}}, [](const auto& x) { return sum(x[0], {0, 2}); }},
    {"sum", "size-1 axis only", {{3, 1}}, [](const auto& x) { return sum(x[0], {1}); }},
    {"sum", "all axes, keepdims", {{2, 3}}, [](const auto& x) { return sum(x[0], {}, true); }},
    {"sum", "0-d input", {{}}, [](const auto& x) { return sum(x[0]); }},
    {"sum", "used twice: sum(x*x)", {{3, 4}}, [](const auto& x) { return sum(x[0] * x[0], {1}); }},
    {"mean", "all axes", {{3, 4}}, [](const auto& x) { return mean(x[0]); }},
    {"mean", "first axis, keepdims", {{3, 4}}, [](const auto& x) { return mean(x[0], {0}, true); }},
    {"mean", "non-adjacent axes", {{2, 3, 4}}, [](const auto& x) { return mean(x[0], {0, -1}); }},
    {"mean", "0-d input", {{}}, [](const auto& x) { return mean(x[0]); }},
    {"mean", "used twice: x * mean(x)", {{3, 4}}, [](const auto& x) { return mul(x[0], mean(x[0], {0}, true)); }},
    OpCase{"max", "all axes", {{3, 4}}, [](const auto& x) { return max(x[0]); }}.with_distinct(),
    OpCase{"max", "last axis", {{3, 4}}, [](const auto& x) { return max(x[0], {1}); }}.with_distinct(),
    OpCase{"max", "first axis, keepdims", {{3, 4}}, [](const auto& x) { return max(x[0], {0}, true); }}.with_distinct(),
    OpCase{"max", "non-adjacent axes", {{2, 3, 4}}, [](const auto& x) { return max(x[0], {0, 2}); }}.with_distinct(),
    OpCase{"max", "used twice: x - max(x)", {{3, 4}}, [](const auto& x) { return sub(x[0], max(x[0], {-1}, true)); }}.with_distinct(),
    OpCase{"min", "all axes", {{3, 4}}, [](const auto& x) { return min(x[0]); }}.with_distinct(),
    OpCase{"min", "middle axis", {{2, 3, 4}}, [](const auto& x) { return min(x[0], {1}); }}.with_distinct(),
    OpCase{"min", "negative axes, keepdims", {{2, 3, 4}}, [](const auto& x) { return min(x[0], {-3, -1}, true); }}.with_distinct(),
    {"var", "all axes", {{3, 4}}, [](const auto& x) { return var(x[0]); }},
    {"var", "last axis", {{3, 4}}, [](const auto& x) { return var(x[0], {1}); }},
    {"var", "non-adjacent axes, keepdims, correction 0", {{2, 3, 4}}, [](const auto& x) { return var(x[0], {0, 2}, true, 0); }},
    {"var", "used twice: var(x) * x", {{4, 3}}, [](const auto& x) { return mul(var(x[0], {0}, true), x[0]); }},
    {"std", "all axes", {{3, 4}}, [](const auto& x) { return std(x[0]); }},
    {"std", "first axis", {{5, 3}}, [](const auto& x) { return std(x[0], {0}); }},
    {"std", "negative axis, keepdims, correction 0", {{2, 3, 4}}, [](const auto& x) { return std(x[0], {-1}, true, 0); }},
    {"logsumexp", "all axes", {{3, 4}}, [](const auto& x) { return logsumexp(x[0]); }},
    {"logsumexp", "last axis", {{3, 4}}, [](const auto& x) { return logsumexp(x[0], {-1}); }},
    {"logsumexp", "first axis, keepdims", {{3, 4}}, [](const auto& x) { return logsumexp(x[0], {0}, true); }},
    {"logsumexp", "non-adjacent axes", {{2, 3, 4}}, [](const auto& x) { return logsumexp(x[0], {0, 2}); }},
    {"logsumexp", "large logits", {{2, 5}}, [](const auto& x) { return logsumexp(x[0], {1}); }, 500.0, 520.0},
    {"logsumexp", "0-d input", {{}}, [](const auto& x) { return logsumexp(x[0]); }},
  };
  // clang-format on
}

/// A fixed [2,3,4] input whose elements are all distinct (no ties anywhere).
TensorD sample() {
  Generator gen(11);
  return randn<double>({2, 3, 4}, gen);
}

/// Checks `got` against xtensor's reducer result `want` in value and shape.
void check_close(const TensorD& got, const xt::xarray<double>& want) {
  REQUIRE(got.shape() == want.shape());
  CHECK(xt::allclose(got.data(), want, 1e-12, 1e-12));
}

template <class T>
void require_error(const std::function<void()>& call, const std::vector<std::string>& parts) {
  try {
    call();
    FAIL("no exception");
  } catch (const T& e) {
    const std::string what = e.what();
    INFO(what);
    for (const auto& part : parts) CHECK(what.find(part) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("reductions: gradients match finite differences (double)") {
  check_gradients(reduction_cases());
}

TEST_CASE("reductions: second derivatives match finite differences (double)") {
  // Pending a recorded backward: the ops below.
  check_second_gradients(reduction_cases(), {"max", "min", "var", "std", "logsumexp"});
}

TEST_CASE("reductions: float agrees with double") {
  check_float_matches_double(reduction_cases());
}

TEST_CASE("reductions: every declared op has a row") {
  // argmax returns indices and has no gradient; it is tested below instead.
  check_every_op_has_a_row("ops/reductions.hpp", reduction_cases(), {"argmax"});
}

TEST_CASE("reductions: exact values") {
  auto x = from_vector<double>({0, 1, 2, 3, 4, 5}, {2, 3});
  CHECK(sum(x).shape() == Shape{});
  CHECK(sum(x).item() == 15);
  CHECK(sum(x, {0}).data() == xt::xarray<double>({3, 5, 7}));
  CHECK(sum(x, {-1}).data() == xt::xarray<double>({3, 12}));
  CHECK(sum(x, {}, true).shape() == Shape{1, 1});
  CHECK(sum(x, {1}, true).data() == from_vector<double>({3, 12}, {2, 1}).data());
  CHECK(mean(x, {1}).data() == xt::xarray<double>({1, 4}));
  CHECK(max(x, {0}).data() == xt::xarray<double>({3, 4, 5}));
  CHECK(min(x, {1}, true).data() == from_vector<double>({0, 3}, {2, 1}).data());
  auto v = from_vector<double>({1, 2, 3, 4}, {4});
  CHECK(var(v).item() == doctest::Approx(5.0 / 3.0));
  CHECK(var(v, {}, false, 0).item() == doctest::Approx(1.25));
  CHECK(std(v, {0}, false, 0).item() == doctest::Approx(std::sqrt(1.25)));
  CHECK(logsumexp(from_vector<double>({0, 0}, {2})).item() == doctest::Approx(std::log(2.0)));
  CHECK(sum(scalar<double>(2.5)).item() == 2.5);
}

TEST_CASE("reductions: values match xtensor on every axis layout") {
  const TensorD x = sample();
  const xt::xarray<double>& a = x.data();
  const std::vector<std::vector<int>> axis_sets = {{0},    {1},    {2},    {-1},
                                                   {0, 1}, {1, 2}, {0, 2}, {0, 1, 2}};
  for (const auto& axes : axis_sets) {
    std::vector<std::size_t> ax;
    std::string label;
    double count = 1;  // elements per result
    for (int v : axes) {
      ax.push_back(static_cast<std::size_t>(v < 0 ? v + 3 : v));
      count *= static_cast<double>(a.shape()[ax.back()]);
      label += std::to_string(v) + " ";
    }
    CAPTURE(label);
    check_close(sum(x, axes), xt::sum(a, ax));
    check_close(mean(x, axes), xt::mean(a, ax));
    check_close(max(x, axes), xt::amax(a, ax));
    check_close(min(x, axes), xt::amin(a, ax));
    const xt::xarray<double> m = xt::mean(a, ax, xt::keep_dims);
    const xt::xarray<double> dev2 = xt::sum(xt::square(a - m), ax);
    check_close(var(x, axes), dev2 / (count - 1));
    check_close(std(x, axes, false, 0), xt::sqrt(dev2 / count));
    check_close(logsumexp(x, axes), xt::log(xt::sum(xt::exp(a), ax)));
    CHECK(sum(x, axes, true).shape() == xt::xarray<double>(xt::sum(a, ax, xt::keep_dims)).shape());
  }
}

TEST_CASE("reductions: long rows and columns match xtensor (lane scans and their tails)") {
  Generator gen(4);
  const TensorD x = randn<double>({5, 37}, gen);
  const xt::xarray<double>& a = x.data();
  for (std::size_t axis : {0, 1}) {
    CAPTURE(axis);
    const std::vector<int> axes{static_cast<int>(axis)};
    check_close(sum(x, axes), xt::sum(a, {axis}));
    check_close(max(x, axes), xt::amax(a, {axis}));
    check_close(min(x, axes), xt::amin(a, {axis}));
    check_close(logsumexp(x, axes), xt::log(xt::sum(xt::exp(a), {axis})));
    // Reference argmax: the first index of the maximum along the axis.
    const TensorD got = argmax(x, static_cast<int>(axis));
    const std::size_t n = a.shape()[axis], results = a.size() / n;
    for (std::size_t j = 0; j < results; ++j) {
      auto at = [&](std::size_t r) { return axis == 0 ? a(r, j) : a(j, r); };
      std::size_t best = 0;
      for (std::size_t r = 1; r < n; ++r) best = at(r) > at(best) ? r : best;
      CHECK(got.data()(j) == static_cast<double>(best));
    }
  }
  check_close(max(x), xt::amax(a));
}

TEST_CASE("reductions: sums follow the documented fixed order, bit for bit") {
  Generator gen(5);
  const Tensor x = randn<float>({3, 1001}, gen);
  const xt::xarray<float>& a = x.data();
  // Along a row: element k goes to partial sum k % 8; the partials are added pairwise.
  const Tensor rows = sum(x, {1});
  for (std::size_t o = 0; o < 3; ++o) {
    float p[8] = {};
    for (std::size_t k = 0; k < 1001; ++k) p[k % 8] += a(o, k);
    CHECK(rows.data()(o) == ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7])));
  }
  // Down a column: one running sum in row order.
  const Tensor cols = sum(x, {0});
  std::size_t differ = 0;
  for (std::size_t i = 0; i < 1001; ++i) {
    float s = 0;
    for (std::size_t o = 0; o < 3; ++o) s += a(o, i);
    differ += cols.data()(i) != s;
  }
  CHECK(differ == 0);
}

TEST_CASE("reductions: max/min send the gradient to the first arg-max/arg-min on ties") {
  auto x = from_vector<double>({1, 3, 3, 2}, {4}, true);
  max(x).backward();
  CHECK(x.grad().data() == xt::xarray<double>({0, 1, 0, 0}));
  auto y = from_vector<double>({2, 1, 1}, {3}, true);
  min(y).backward();
  CHECK(y.grad().data() == xt::xarray<double>({0, 1, 0}));
  // Inner axes (reducing the first axis) and the gathered path (non-adjacent axes).
  auto z = from_vector<double>({5, 1, 5, 1, 0, 7}, {3, 2}, true);
  max(z, {0}).backward(ones<double>({2}));
  CHECK(z.grad().data() == xt::xarray<double>({{1, 0}, {0, 0}, {0, 1}}));
  // Result 1 reads w[0,1,0], w[0,1,1], w[1,1,0], w[1,1,1] = 1, 3, 3, 1: the first 3 wins.
  auto w = from_vector<double>({4, 4, 1, 3, 4, 4, 3, 1}, {2, 2, 2}, true);
  max(w, {0, 2}).backward(ones<double>({2}));
  CHECK(w.grad().data() == xt::xarray<double>({{{1, 0}, {0, 1}}, {{0, 0}, {0, 0}}}));
}

TEST_CASE("reductions: max/min propagate NaN and send the gradient to the first NaN") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // Long enough for the eight-lane scan of a row.
  std::vector<double> v(20, 1.0);
  v[3] = 5;
  v[9] = nan;
  v[17] = nan;
  auto x = from_vector<double>(v, {20}, true);
  auto m = max(x);
  CHECK(std::isnan(m.item()));
  m.backward();
  CHECK(x.grad().data()(9) == 1);
  CHECK(xt::sum(x.grad().data())() == 1);
  CHECK(argmax(x).item() == 9);
  auto y = from_vector<double>({1, 2, nan, 0, 3, nan}, {3, 2});
  auto mn = min(y, {0});
  CHECK(std::isnan(mn.data()(0)));
  CHECK(std::isnan(mn.data()(1)));
  CHECK(argmax(y, 0).data() == xt::xarray<double>({1, 2}));
}

TEST_CASE("reductions: argmax gives the first index of the maximum and no gradient") {
  auto x = from_vector<double>({1, 3, 2, 5, 0, 5}, {2, 3}, true);
  CHECK(argmax(x).data() == xt::xarray<double>({1, 0}));
  CHECK(argmax(x, 0).data() == xt::xarray<double>({1, 0, 1}));
  CHECK(argmax(x, 1, true).shape() == Shape{2, 1});
  CHECK_FALSE(argmax(x).requires_grad());
  auto f = from_vector<float>({-1, -3, -2}, {3});
  CHECK(argmax(f).item() == 0.0f);
}

TEST_CASE("reductions: logsumexp is stable and handles -inf") {
  const double inf = std::numeric_limits<double>::infinity();
  auto big = from_vector<double>({1e4, 1e4}, {2}, true);
  auto r = logsumexp(big);
  CHECK(r.item() == doctest::Approx(1e4 + std::log(2.0)));
  r.backward();
  CHECK(xt::allclose(big.grad().data(), xt::xarray<double>({0.5, 0.5})));
  auto masked = from_vector<double>({0, -inf, -inf, -inf}, {2, 2}, true);
  auto m = logsumexp(masked, {1});
  CHECK(m.data()(0) == 0);
  CHECK(m.data()(1) == -inf);
  m.backward(ones<double>({2}));
  CHECK(masked.grad().data() == xt::xarray<double>({{1, 0}, {0, 0}}));
  CHECK(logsumexp(from_vector<double>({1, inf}, {2})).item() == inf);
}

TEST_CASE("reductions: std of equal elements is 0 with gradient 0, not NaN") {
  auto x = full<double>({2, 3}, 1.5, true);
  auto s = std(x, {1});
  CHECK(s.data() == xt::xarray<double>({0, 0}));
  s.backward(ones<double>({2}));
  CHECK(x.grad().data() == xt::zeros<double>({2, 3}));
}

TEST_CASE("reductions: axes of extent 0") {
  auto e = zeros<double>({2, 0});
  CHECK(sum(e, {1}).data() == xt::xarray<double>({0, 0}));
  CHECK(sum(e).item() == 0);
  CHECK(sum(e, {0}).shape() == Shape{0});
  CHECK(std::isnan(mean(e).item()));
  CHECK(logsumexp(e, {1}).data() == xt::xarray<double>({-std::numeric_limits<double>::infinity(),
                                                        -std::numeric_limits<double>::infinity()}));
  require_error<ValueError>([&] { max(e, {1}); }, {"max:", "[2,0]"});
  require_error<ValueError>([&] { min(e); }, {"min:", "[2,0]"});
  require_error<ValueError>([&] { argmax(e); }, {"argmax:", "[2,0]"});
}

TEST_CASE("reductions: max, min and argmax over a non-empty axis of an empty tensor") {
  // [2,0] reduced over axis 0 has two elements per (absent) result: the result is empty, as in
  // PyTorch. The extreme kernel read and wrote one element past the empty arrays.
  auto e = zeros<double>({2, 0}, true);
  auto hi = max(e, {0});
  CHECK(hi.shape() == Shape{0});
  CHECK(min(e, {-2}, true).shape() == Shape{1, 0});
  CHECK(argmax(e, 0).shape() == Shape{0});
  CHECK(logsumexp(e, {0}).shape() == Shape{0});
  CHECK(max(zeros<double>({3, 2, 0}), {0, 1}).shape() == Shape{0});
  sum(hi).backward();
  CHECK(e.grad().shape() == Shape{2, 0});

  // An empty input with large extents reduces to an empty or a large-but-valid shape.
  const std::size_t big = 1000;
  auto wide = zeros<double>({0, big, 3});
  CHECK(sum(wide, {0}).shape() == Shape{big, 3});
  CHECK(sum(wide, {1}).shape() == Shape{0, 3});
}

TEST_CASE("reductions: bad inputs give typed errors naming the op and the shape") {
  auto a = zeros<double>({2, 3});
  struct Row {
    const char* what;
    std::function<void()> call;
    std::vector<std::string> parts;
  };
  const std::vector<Row> rows = {
      {"sum axis out of range", [&] { sum(a, {2}); }, {"sum:", "axis 2", "[2,3]"}},
      {"mean negative axis out of range", [&] { mean(a, {-3}); }, {"mean:", "axis -3", "[2,3]"}},
      {"max repeated axis",
       [&] {
         max(a, {1, -1});
       },
       {"max:", "repeated", "[2,3]"}},
      {"min repeated axis",
       [&] {
         min(a, {0, 0});
       },
       {"min:", "repeated", "[2,3]"}},
      {"logsumexp axis", [&] { logsumexp(a, {5}); }, {"logsumexp:", "[2,3]"}},
      {"var axis",
       [&] {
         var(a, {0, 2});
       },
       {"var:", "[2,3]"}},
      {"std axis", [&] { std(a, {7}); }, {"std:", "[2,3]"}},
      {"argmax axis", [&] { argmax(a, 2); }, {"argmax:", "[2,3]"}},
      {"0-d with an axis", [&] { sum(scalar<double>(1), {0}); }, {"sum:", "[]"}},
      {"var no degrees of freedom",
       [&] {
         var(zeros<double>({1, 3}), {0});
       },
       {"var:", "[1,3]", "n - correction"}},
      {"std correction 2 of 2",
       [&] { std(zeros<double>({2}), {}, false, 2); },
       {"std:", "[2]", "n - correction"}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    require_error<ValueError>(r.call, r.parts);
  }
}

}  // namespace axon::test
