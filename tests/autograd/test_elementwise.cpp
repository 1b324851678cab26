// SPDX-License-Identifier: MIT
// Tests autograd/ops/elementwise.cpp: the op-case table, float vs double, the error table.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "op_case.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;

std::vector<OpCase> elementwise_cases() {
  // clang-format off
  return {
    {"add", "same shape", {{3, 4}, {3, 4}}, [](const auto& x) { return add(x[0], x[1]); }},
    {"add", "broadcast rhs row", {{3, 4}, {4}}, [](const auto& x) { return add(x[0], x[1]); }},
    {"add", "broadcast lhs size-1 axes", {{3, 1}, {2, 3, 4}}, [](const auto& x) { return add(x[0], x[1]); }},
    {"add", "0-d scalar", {{}, {2, 3}}, [](const auto& x) { return add(x[0], x[1]); }},
    {"add", "value used twice", {{2, 3}}, [](const auto& x) { return add(x[0], x[0]); }},
    {"sub", "broadcast both sides", {{3, 1}, {1, 4}}, [](const auto& x) { return sub(x[0], x[1]); }},
    {"sub", "operator", {{2, 3}, {3}}, [](const auto& x) { return x[0] - x[1]; }},
    {"mul", "broadcast both sides", {{2, 1, 4}, {3, 1}}, [](const auto& x) { return mul(x[0], x[1]); }},
    {"mul", "value used twice (square)", {{5}}, [](const auto& x) { return mul(x[0], x[0]); }},
    {"mul", "scalar operator", {{2, 3}}, [](const auto& x) { return 2.5 * x[0] * 3; }},
    {"div", "broadcast rhs", {{2, 3}, {3}}, [](const auto& x) { return div(x[0], x[1]); }, 0.5, 2.0},
    {"div", "scalar both sides", {{4}}, [](const auto& x) { return 1.5 / x[0] + x[0] / 4; }, 0.5, 2.0},
    {"pow", "tensor exponent", {{2, 3}, {2, 3}}, [](const auto& x) { return pow(x[0], x[1]); }, 0.5, 2.0},
    {"pow", "broadcast exponent", {{2, 3}, {}}, [](const auto& x) { return pow(x[0], x[1]); }, 0.5, 2.0},
    {"pow", "scalar exponent", {{3, 2}}, [](const auto& x) { using V = typename std::decay_t<decltype(x[0])>::value_type; return pow(x[0], V(2.5)); }, 0.5, 2.0},
    {"rsub", "s - a", {{3}}, [](const auto& x) { return 1 - x[0]; }},
    {"rdiv", "s / a", {{3}}, [](const auto& x) { return 2 / x[0]; }, 0.5, 2.0},
    {"neg", "unary minus", {{2, 2}}, [](const auto& x) { return -x[0]; }},
    {"exp", "", {{2, 3}}, [](const auto& x) { return exp(x[0]); }},
    {"log", "", {{2, 3}}, [](const auto& x) { return log(x[0]); }, 0.5, 3.0},
    {"sqrt", "", {{2, 3}}, [](const auto& x) { return sqrt(x[0]); }, 0.5, 3.0},
    {"abs", "", {{7}}, [](const auto& x) { return abs(x[0]); }},
    {"clamp", "", {{10}}, [](const auto& x) { using V = typename std::decay_t<decltype(x[0])>::value_type; return clamp(x[0], V(-0.5), V(0.7)); }},
    {"maximum", "broadcast", {{3, 4}, {4}}, [](const auto& x) { return maximum(x[0], x[1]); }},
    {"minimum", "broadcast", {{3, 1}, {3, 4}}, [](const auto& x) { return minimum(x[0], x[1]); }},
    {"where", "broadcast mask", {{3, 4}, {3, 4}, {4}}, [](const auto& x) { return where(gt(x[0], x[2]), x[1], x[2]); }},
    {"add", "scalar", {{2, 2}}, [](const auto& x) { return x[0] + 3; }},
  };
  // clang-format on
}

}  // namespace

TEST_CASE("elementwise: gradients match finite differences (double)") {
  check_gradients(elementwise_cases());
}

TEST_CASE("elementwise: second derivatives match finite differences (double)") {
  check_second_gradients(elementwise_cases());
}

TEST_CASE("elementwise: float agrees with double") {
  check_float_matches_double(elementwise_cases());
}

TEST_CASE("elementwise: every declared op has a row") {
  // Comparisons return masks and have no gradient; they are tested below instead.
  check_every_op_has_a_row("ops/elementwise.hpp", elementwise_cases(),
                           {"eq", "ne", "lt", "le", "gt", "ge"});
}

TEST_CASE("elementwise: comparisons return 0/1 masks and record nothing") {
  auto a = from_vector<double>({1, 2, 3}, {3}, true);
  auto b = from_vector<double>({2, 2, 2}, {3}, true);
  CHECK(eq(a, b).data() == xt::xarray<double>({0, 1, 0}));
  CHECK(ne(a, b).data() == xt::xarray<double>({1, 0, 1}));
  CHECK(lt(a, b).data() == xt::xarray<double>({1, 0, 0}));
  CHECK(le(a, b).data() == xt::xarray<double>({1, 1, 0}));
  CHECK(gt(a, b).data() == xt::xarray<double>({0, 0, 1}));
  CHECK(ge(a, b).data() == xt::xarray<double>({0, 1, 1}));
  CHECK_FALSE(gt(a, b).requires_grad());
  auto m = gt(from_vector<double>({1, 2}, {2, 1}), from_vector<double>({0, 1, 2}, {3}));
  CHECK(m.shape() == Shape{2, 3});
}

TEST_CASE("elementwise: values") {
  auto a = from_vector<double>({1, 4, 9}, {3});
  CHECK(sqrt(a).data() == xt::xarray<double>({1, 2, 3}));
  CHECK((a + from_vector<double>({1}, {1})).data() == xt::xarray<double>({2, 5, 10}));
  CHECK(clamp(a, 2.0, 5.0).data() == xt::xarray<double>({2, 4, 5}));
  auto w = where(from_vector<double>({1, 0, 1}, {3}), a, zeros<double>({3}));
  CHECK(w.data() == xt::xarray<double>({1, 0, 9}));
}

TEST_CASE("elementwise: maximum/minimum split the gradient on ties") {
  auto a = from_vector<double>({1, 2}, {2}, true);
  auto b = from_vector<double>({1, 1}, {2}, true);
  maximum(a, b).backward(ones<double>({2}));
  CHECK(a.grad().data() == xt::xarray<double>({0.5, 1}));
  CHECK(b.grad().data() == xt::xarray<double>({0.5, 0}));
}

TEST_CASE("elementwise: maximum/minimum propagate NaN and give its gradient to both sides") {
  // PyTorch: maximum([nan,1,2],[1,nan,3]) = [nan,nan,3]; grads [1,1,0] and [1,1,1].
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto a = from_vector<double>({nan, 1, 2}, {3}, true);
  auto b = from_vector<double>({1, nan, 3}, {3}, true);
  auto hi = maximum(a, b);
  CHECK(std::isnan(hi.data()(0)));
  CHECK(std::isnan(hi.data()(1)));
  CHECK(hi.data()(2) == 3);
  hi.backward(ones<double>({3}));
  CHECK(a.grad().data() == xt::xarray<double>({1, 1, 0}));
  CHECK(b.grad().data() == xt::xarray<double>({1, 1, 1}));
  a.zero_grad();
  b.zero_grad();
  auto lo = minimum(a, b);
  CHECK(std::isnan(lo.data()(0)));
  CHECK(std::isnan(lo.data()(1)));
  CHECK(lo.data()(2) == 2);
  lo.backward(ones<double>({3}));
  CHECK(a.grad().data() == xt::xarray<double>({1, 1, 1}));
  CHECK(b.grad().data() == xt::xarray<double>({1, 1, 0}));
}

TEST_CASE("elementwise: bad inputs give typed errors naming the op and both shapes") {
  auto a = zeros<double>({2, 3});
  auto b = zeros<double>({4});
  struct Row {
    const char* what;
    std::function<void()> call;
    const char* must_contain;
  };
  const std::vector<Row> rows = {
      {"add mismatch", [&] { add(a, b); }, "add: shapes [2,3] and [4]"},
      {"sub mismatch", [&] { sub(a, b); }, "sub: shapes [2,3] and [4]"},
      {"mul mismatch", [&] { mul(a, b); }, "mul: shapes [2,3] and [4]"},
      {"div mismatch", [&] { div(a, b); }, "div: shapes [2,3] and [4]"},
      {"pow mismatch", [&] { pow(a, b); }, "pow: shapes [2,3] and [4]"},
      {"maximum mismatch", [&] { maximum(a, b); }, "maximum: shapes [2,3] and [4]"},
      {"minimum mismatch", [&] { minimum(a, b); }, "minimum: shapes [2,3] and [4]"},
      {"where mismatch", [&] { where(a, a, b); }, "where: shapes [2,3] and [4]"},
      {"eq mismatch", [&] { eq(a, b); }, "eq: shapes [2,3] and [4]"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    try {
      r.call();
      FAIL("no exception");
    } catch (const ShapeError& e) {
      CHECK(std::string(e.what()).find(r.must_contain) != std::string::npos);
    }
  }
  CHECK_THROWS_AS(add(TensorD(), a), ValueError);
}

TEST_CASE("elementwise: clamp with low > high makes every value high, as PyTorch") {
  // PyTorch: clamp(tensor([-1., 0.5, 3.]), min=2, max=1) = [1, 1, 1], and no gradient flows.
  auto x = from_vector<double>({-1, 0.5, 3}, {3}, true);
  auto y = clamp(x, 2.0, 1.0);
  CHECK(y.data() == xt::xarray<double>({1, 1, 1}));
  y.backward(ones<double>({3}));
  CHECK(x.grad().data() == xt::xarray<double>({0, 0, 0}));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(std::isnan(clamp(from_vector<double>({nan}, {1}), 0.0, 1.0).data()(0)));
}

TEST_CASE("elementwise: pow's exponent gradient at a zero base, as PyTorch") {
  // PyTorch: d/db 0^b is 0 for b >= 0 and -inf for b < 0 (0^b = inf, log 0 = -inf).
  auto a = from_vector<double>({0, 0, 0}, {3}, true);
  auto b = from_vector<double>({-1, 0, 2}, {3}, true);
  pow(a, b).backward(ones<double>({3}));
  const auto db = b.grad().data();
  CHECK(db(0) == -std::numeric_limits<double>::infinity());
  CHECK(db(1) == 0);
  CHECK(db(2) == 0);
}

TEST_CASE("elementwise: scalar arguments of another arithmetic type convert to the tensor's") {
  // pow(float tensor, 2.0) and clamp(float tensor, 0, 1.5) used not to compile.
  auto x = from_vector<float>({-1, 2}, {2});
  CHECK(pow(x, 2.0).data() == xt::xarray<float>({1, 4}));
  CHECK(clamp(x, 0, 1.5).data() == xt::xarray<float>({0, 1.5f}));
  CHECK(add(x, 1).data() == xt::xarray<float>({0, 3}));
  CHECK(rdiv(x, 2.0).data() == xt::xarray<float>({-2, 1}));
}

}  // namespace axon::test
