// SPDX-License-Identifier: MIT
// Tests autograd/ops/activations.cpp: the op-case table, float vs double, reference values,
// saturation far out in the tails (exact limits, no NaN, finite gradients).
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "op_case.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;

/// The scalar type of an op-case lambda's inputs.
template <class X>
using scalar_of = typename std::decay_t<decltype(std::declval<X>()[0])>::value_type;

std::vector<OpCase> activation_cases() {
  // Rows marked distinct draw a shuffled grid (-1.75, -1.25, ... for [-2,2] with 8 elements): an
  // even count keeps every element at least a quarter step away from 0, where relu-like ops
  // have their kink.
  // clang-format off
  return {
    OpCase{"relu", "mixed signs, away from 0", {{3, 4}}, [](const auto& x) { return relu(x[0]); }}.with_distinct(),
    {"relu", "positive", {{2, 3}}, [](const auto& x) { return relu(x[0]); }, 0.1, 2.0},
    {"relu", "0-d", {{}}, [](const auto& x) { return relu(x[0]); }, 0.1, 2.0},
    OpCase{"leaky_relu", "mixed signs, slope 0.2", {{3, 4}}, [](const auto& x) { using V = scalar_of<decltype(x)>; return leaky_relu(x[0], V(0.2)); }}.with_distinct(),
    OpCase{"leaky_relu", "default slope", {{2, 4}}, [](const auto& x) { return leaky_relu(x[0]); }}.with_distinct(),
    OpCase{"elu", "mixed signs, alpha 1.5", {{3, 4}}, [](const auto& x) { using V = scalar_of<decltype(x)>; return elu(x[0], V(1.5)); }}.with_distinct(),
    {"elu", "default alpha", {{2, 3}}, [](const auto& x) { return elu(x[0]); }},
    {"sigmoid", "", {{2, 3}}, [](const auto& x) { return sigmoid(x[0]); }, -4.0, 4.0},
    {"sigmoid", "0-d", {{}}, [](const auto& x) { return sigmoid(x[0]); }},
    {"tanh", "", {{2, 3}}, [](const auto& x) { return tanh(x[0]); }, -3.0, 3.0},
    {"softplus", "defaults", {{2, 3}}, [](const auto& x) { return softplus(x[0]); }, -4.0, 4.0},
    OpCase{"softplus", "beta 2, threshold 3: both branches", {{3, 4}}, [](const auto& x) { using V = scalar_of<decltype(x)>; return softplus(x[0], V(2), V(3)); }, -3.0, 3.0}.with_distinct(),
    {"gelu", "exact (erf)", {{2, 3}}, [](const auto& x) { return gelu(x[0]); }, -3.0, 3.0},
    OpCase{"gelu", "exact, every branch and the tails", {{12}}, [](const auto& x) { return gelu(x[0]); }, -9.0, 9.0}.with_distinct(),
    {"gelu", "tanh approximation", {{2, 3}}, [](const auto& x) { return gelu(x[0], "tanh"); }, -3.0, 3.0},
    OpCase{"gelu", "tanh approximation, saturated tails", {{8}}, [](const auto& x) { return gelu(x[0], "tanh"); }, -14.0, 14.0}.with_distinct(),
    {"silu", "", {{2, 3}}, [](const auto& x) { return silu(x[0]); }, -4.0, 4.0},
    {"silu", "value used twice", {{4}}, [](const auto& x) { return silu(x[0]) * x[0]; }},
  };
  // clang-format on
}

/// y = f(x) and dy/dx (seed 1) for each of `values`.
template <class T, class F>
std::pair<std::vector<T>, std::vector<T>> value_and_grad(F f, const std::vector<T>& values) {
  auto x = from_vector<T>(values, {values.size()}, true);
  auto y = f(x);
  y.backward(ones<T>({values.size()}));
  const auto g = x.grad();
  return {std::vector<T>(y.data_ptr(), y.data_ptr() + values.size()),
          std::vector<T>(g.data_ptr(), g.data_ptr() + values.size())};
}

template <class T>
void check_extremes_are_finite() {
  const std::vector<T> xs = {T(-1e30), T(-1e4), T(-50), T(-1e-30), T(0),
                             T(1e-30), T(50),   T(1e4), T(1e30)};
  struct Row {
    const char* name;
    std::function<BasicTensor<T>(const BasicTensor<T>&)> f;
  };
  const std::vector<Row> rows = {
      {"relu", [](const auto& x) { return relu(x); }},
      {"leaky_relu", [](const auto& x) { return leaky_relu(x); }},
      {"elu", [](const auto& x) { return elu(x); }},
      {"sigmoid", [](const auto& x) { return sigmoid(x); }},
      {"tanh", [](const auto& x) { return tanh(x); }},
      {"softplus", [](const auto& x) { return softplus(x); }},
      {"softplus large threshold", [](const auto& x) { return softplus(x, T(1), T(1e6)); }},
      {"gelu", [](const auto& x) { return gelu(x); }},
      {"gelu tanh", [](const auto& x) { return gelu(x, "tanh"); }},
      {"silu", [](const auto& x) { return silu(x); }},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    const auto [y, g] = value_and_grad<T>(r.f, xs);
    for (std::size_t i = 0; i < xs.size(); ++i) {
      CAPTURE(xs[i]);
      CHECK(std::isfinite(y[i]));
      CHECK(std::isfinite(g[i]));
    }
  }
}

template <class T>
void check_saturation() {
  const std::vector<T> xs = {T(-1e4), T(1e4)};
  {
    const auto [y, g] = value_and_grad<T>([](const auto& x) { return sigmoid(x); }, xs);
    CHECK(y[0] == T(0));
    CHECK(y[1] == T(1));
    CHECK(g[0] == T(0));
    CHECK(g[1] == T(0));
  }
  {
    const auto [y, g] = value_and_grad<T>([](const auto& x) { return tanh(x); }, xs);
    CHECK(y[0] == T(-1));
    CHECK(y[1] == T(1));
    CHECK(g[1] == T(0));
  }
  {
    // Linear above the threshold (exactly x, slope exactly 1); 0 far below.
    const auto [y, g] =
        value_and_grad<T>([](const auto& x) { return softplus(x); }, {T(-1e4), T(30), T(1e4)});
    CHECK(y[0] == T(0));
    CHECK(g[0] == T(0));
    CHECK(y[1] == T(30));
    CHECK(g[1] == T(1));
    CHECK(y[2] == T(1e4));
  }
  for (const char* approximate : {"none", "tanh"}) {
    CAPTURE(std::string(approximate));
    const auto [y, g] =
        value_and_grad<T>([approximate](const auto& x) { return gelu(x, approximate); }, xs);
    CHECK(y[0] == T(0));
    CHECK(y[1] == T(1e4));
    CHECK(g[0] == T(0));
    CHECK(g[1] == T(1));
  }
  {
    const auto [y, g] = value_and_grad<T>([](const auto& x) { return silu(x); }, xs);
    CHECK(y[0] == T(0));
    CHECK(y[1] == T(1e4));
    CHECK(g[0] == T(0));
    CHECK(g[1] == T(1));
  }
  {
    const auto [y, g] = value_and_grad<T>([](const auto& x) { return elu(x, T(2)); }, xs);
    CHECK(y[0] == T(-2));
    CHECK(g[0] == T(0));
  }
}

}  // namespace

TEST_CASE("activations: gradients match finite differences (double)") {
  check_gradients(activation_cases());
}

TEST_CASE("activations: second derivatives match finite differences (double)") {
  check_second_gradients(activation_cases());
}

TEST_CASE("activations: float agrees with double") {
  check_float_matches_double(activation_cases());
}

TEST_CASE("activations: every declared op has a row") {
  check_every_op_has_a_row("ops/activations.hpp", activation_cases());
}

TEST_CASE("activations: reference values") {
  const auto x = from_vector<double>({-1, 0, 1, 2}, {4});
  const auto at = [](const TensorD& t, std::size_t i) { return t.data_ptr()[i]; };
  auto r = relu(x);
  CHECK(r.data() == xt::xarray<double>({0, 0, 1, 2}));
  CHECK(leaky_relu(x, 0.1).data() == xt::xarray<double>({-0.1, 0, 1, 2}));
  CHECK(at(elu(x), 0) == doctest::Approx(std::exp(-1.0) - 1));
  CHECK(at(sigmoid(x), 2) == doctest::Approx(0.7310585786300049));
  CHECK(at(sigmoid(x), 1) == 0.5);
  CHECK(at(tanh(x), 3) == doctest::Approx(0.9640275800758169));
  CHECK(at(softplus(x), 1) == doctest::Approx(std::log(2.0)));
  // log(1 + e^2) / 2 with beta = 2
  CHECK(at(softplus(x, 2.0, 20.0), 2) == doctest::Approx(1.0634640055214861));
  // PyTorch: F.gelu(x, approximate='tanh')
  CHECK(at(gelu(x, "tanh"), 0) == doctest::Approx(-0.15880800939172324));
  CHECK(at(gelu(x, "tanh"), 2) == doctest::Approx(0.8411919906082768));
  CHECK(at(gelu(x, "tanh"), 3) == doctest::Approx(1.9545976940871754));
  // PyTorch: F.gelu(x) (approximate='none', the exact x Phi(x))
  CHECK(at(gelu(x), 0) == doctest::Approx(-0.15865525393145707));
  CHECK(at(gelu(x), 1) == 0.0);
  CHECK(at(gelu(x), 2) == doctest::Approx(0.8413447460685429));
  CHECK(at(gelu(x), 3) == doctest::Approx(1.9544997361036416));
  CHECK_THROWS_WITH_AS(gelu(x, "erf"), doctest::Contains("gelu: approximate must be"), ValueError);
  CHECK(at(silu(x), 0) == doctest::Approx(-0.2689414213699951));
  CHECK(at(silu(x), 2) == doctest::Approx(0.7310585786300049));
}

TEST_CASE("activations: relu-like gradients at and around the kink") {
  const auto [y, g] = value_and_grad<double>([](const auto& x) { return relu(x); }, {-1, 0, 2});
  CHECK(g == std::vector<double>{0, 0, 1});
  const auto [ly, lg] =
      value_and_grad<double>([](const auto& x) { return leaky_relu(x, 0.25); }, {-1, 0, 2});
  CHECK(lg == std::vector<double>{0.25, 0.25, 1});
  // d softplus/dx = sigmoid(beta x)
  const auto [sy, sg] =
      value_and_grad<double>([](const auto& x) { return softplus(x, 2.0, 20.0); }, {1});
  CHECK(sg[0] == doctest::Approx(0.8807970779778823));
}

TEST_CASE("activations: saturation is exact in the tails (float and double)") {
  check_saturation<float>();
  check_saturation<double>();
}

TEST_CASE("activations: extreme inputs give finite values and gradients (float and double)") {
  check_extremes_are_finite<float>();
  check_extremes_are_finite<double>();
}

namespace {

/// The distance in units in the last place of T between `got` and the exact `want` rounded to T.
template <class T>
long double ulp_distance(T got, long double want) {
  const T w = static_cast<T>(want);
  if (got == w) return 0;
  const T gap = std::nextafter(std::abs(w), std::numeric_limits<T>::infinity()) - std::abs(w);
  return std::abs(static_cast<long double>(got) - static_cast<long double>(w)) / gap;
}

long double sigmoid_ld(long double v) {
  return 1.0L / (1.0L + std::exp(-v));
}
long double phi_ld(long double v) {  // the standard normal CDF
  return 0.5L * std::erfc(-v / std::sqrt(2.0L));
}

/// Each activation and its derivative on a grid over [-12, 12] and a few far points, against
/// std:: functions in long double: the value within `max_ulp` units in the last place, the
/// derivative within `grad_rel` relative plus 8 epsilon absolute.
template <class T>
void check_against_libm(long double max_ulp, long double grad_rel) {
  // The tanh form's constants as the library (and PyTorch) hold them, in double: the reference is
  // then the same function, evaluated more precisely.
  const long double k = 0.7978845608028654, c = 0.044715;
  struct Row {
    const char* name;
    std::function<BasicTensor<T>(const BasicTensor<T>&)> f;
    std::function<long double(long double)> value, slope;
  };
  const auto gelu_tanh_slope = [k, c](long double v) {
    const long double s = sigmoid_ld(2 * k * (v + c * v * v * v));
    return s + 2 * v * s * (1 - s) * k * (1 + 3 * c * v * v);
  };
  const std::vector<Row> rows = {
      {"gelu", [](const auto& x) { return gelu(x); }, [](long double v) { return v * phi_ld(v); },
       [](long double v) {
         return phi_ld(v) + v * std::exp(-v * v / 2) / std::sqrt(2 * 3.14159265358979323846L);
       }},
      {"gelu tanh", [](const auto& x) { return gelu(x, "tanh"); },
       // 0.5 v (1 + tanh u) written as v sigmoid(2u): the same value without the cancellation
       [k, c](long double v) { return v * sigmoid_ld(2 * k * (v + c * v * v * v)); },
       gelu_tanh_slope},
      {"tanh", [](const auto& x) { return tanh(x); }, [](long double v) { return std::tanh(v); },
       [](long double v) { return 1 - std::tanh(v) * std::tanh(v); }},
      {"sigmoid", [](const auto& x) { return sigmoid(x); }, sigmoid_ld,
       [](long double v) { return sigmoid_ld(v) * (1 - sigmoid_ld(v)); }},
      {"silu", [](const auto& x) { return silu(x); },
       [](long double v) { return v * sigmoid_ld(v); },
       [](long double v) { return sigmoid_ld(v) * (1 + v * (1 - sigmoid_ld(v))); }},
  };
  std::vector<T> xs;
  for (int i = -12000; i <= 12000; i += 7) xs.push_back(T(i) / T(1000));
  for (T v : {T(1e-30), T(-1e-30), T(1e-6), T(-3e-4), T(0.625), T(1.41421356), T(-1.41421356),
              T(-0.6), T(20), T(-20), T(50), T(-50)}) {
    xs.push_back(v);
  }
  for (const auto& r : rows) {
    CAPTURE(std::string(r.name));
    const auto [y, g] = value_and_grad<T>(r.f, xs);
    for (std::size_t i = 0; i < xs.size(); ++i) {
      CAPTURE(xs[i]);
      const long double want = r.value(xs[i]);
      if (std::abs(want) < std::numeric_limits<T>::min()) {
        CHECK(std::abs(y[i]) <= std::numeric_limits<T>::min());  // 0 or a denormal
      } else {
        const long double d = ulp_distance(y[i], want);
        CHECK(d <= max_ulp);
      }
      const long double slope = r.slope(xs[i]);
      const long double err = std::abs(g[i] - slope);
      // The absolute part covers derivatives taken from a rounded output (1 - tanh^2 where tanh
      // rounds to 1) and zero crossings (gelu' and silu' near x = -0.75 and -1.28).
      CHECK(err <= grad_rel * std::abs(slope) + 8 * std::numeric_limits<T>::epsilon());
    }
  }
}

}  // namespace

TEST_CASE("activations: gelu, tanh, sigmoid, silu within a few ulp of libm (float and double)") {
  check_against_libm<float>(4, 1e-5);
  check_against_libm<double>(4, 1e-12);
}

TEST_CASE("activations: relu propagates NaN and passes its gradient through (as PyTorch)") {
  // PyTorch: relu(tensor([nan, -1, 2])).backward(ones) gives x.grad = [1, 0, 1] (mask "not <= 0").
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto x = from_vector<double>({nan, -1, 2}, {3}, true);
  auto y = relu(x);
  CHECK(std::isnan(y.data_ptr()[0]));
  y.backward(ones<double>({3}));
  CHECK(x.grad().data() == xt::xarray<double>({1, 0, 1}));
}

TEST_CASE("activations: scalar arguments of another arithmetic type convert to the tensor's") {
  // leaky_relu(float tensor, 0.2) used not to compile: the slope was deduced as double.
  auto x = from_vector<float>({-1, 2}, {2});
  CHECK(leaky_relu(x, 0.2).data() == xt::xarray<float>({-0.2f, 2}));
  CHECK(elu(x, 1).data()(1) == 2.0f);
  CHECK(softplus(x, 1, 20).data()(1) == softplus(x).data()(1));
}

TEST_CASE("activations: bad arguments give typed errors") {
  CHECK_THROWS_AS(softplus(zeros<double>({2}), 0.0), ValueError);
  CHECK_THROWS_WITH_AS(softplus(zeros<double>({2, 3}), 0.0),
                       doctest::Contains("softplus: beta must be finite and non-zero"), ValueError);
  CHECK_THROWS_AS(relu(TensorD()), ValueError);
}

}  // namespace axon::test
