// SPDX-License-Identifier: MIT
// Tests autograd/ops/normalization.cpp: the op-case table (every rank, affine or not, training
// and evaluation), float vs double, values and running statistics by hand, the error table.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <type_traits>

#include "op_case.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;

/// A [n] constant of the same scalar type as the table's inputs (not differentiated).
template <class Xs>
auto constant(const Xs& xs, std::vector<double> values) {
  using T = std::remove_cvref_t<decltype(*xs[0].data_ptr())>;
  std::vector<T> v(values.begin(), values.end());
  return from_vector<T>(v, {v.size()});
}

template <class Xs>
auto none(const Xs& xs) {
  return std::remove_cvref_t<decltype(xs[0])>();
}

std::vector<OpCase> normalization_cases() {
  // Running statistics are made inside the call (a fresh copy for each evaluation), so the
  // in-place update in training mode does not leak from one finite-difference step to the next.
  const auto train = [](const auto& x) {
    return batch_norm(x[0], x[1], x[2], none(x), none(x), true);
  };
  const auto train_running = [](const auto& x) {
    return batch_norm(x[0], x[1], x[2], constant(x, {0.5, -1, 2}), constant(x, {1, 2, 0.5}), true,
                      0.3);
  };
  const auto eval = [](const auto& x) {
    return batch_norm(x[0], x[1], x[2], constant(x, {0.5, -1, 2}), constant(x, {1, 2, 0.5}), false);
  };
  const auto ln = [](std::vector<std::size_t> shape) {
    return [shape](const auto& x) { return layer_norm(x[0], shape, x[1], x[2]); };
  };
  // clang-format off
  return {
    {"batch_norm", "[N,C] training, affine", {{6, 3}, {3}, {3}}, train},
    {"batch_norm", "[N,C] training, no affine", {{5, 3}}, [](const auto& x) { return batch_norm(x[0], none(x), none(x), none(x), none(x), true); }},
    {"batch_norm", "[N,C,L] training, affine, running stats", {{4, 3, 5}, {3}, {3}}, train_running},
    {"batch_norm", "[N,C,H,W] training, affine", {{2, 3, 3, 4}, {3}, {3}}, train},
    {"batch_norm", "[N,C,H,W] training, weight only, eps 0.1", {{3, 3, 2, 2}, {3}}, [](const auto& x) { return batch_norm(x[0], x[1], none(x), none(x), none(x), true, 0.1, 0.1); }},
    {"batch_norm", "[N,C] eval, affine", {{4, 3}, {3}, {3}}, eval},
    {"batch_norm", "[N,C,H,W] eval, affine", {{2, 3, 2, 3}, {3}, {3}}, eval},
    {"batch_norm", "[N,C,L] eval, no affine", {{2, 3, 4}}, [](const auto& x) { return batch_norm(x[0], none(x), none(x), constant(x, {0.5, -1, 2}), constant(x, {1, 2, 0.5}), false); }},
    {"batch_norm", "weight used as bias too", {{5, 3}, {3}}, [](const auto& x) { return batch_norm(x[0], x[1], x[1], none(x), none(x), true); }},
    {"layer_norm", "[N,D] over [D], affine", {{4, 5}, {5}, {5}}, ln({5})},
    {"layer_norm", "[B,T,D] over [T,D], affine", {{2, 3, 4}, {3, 4}, {3, 4}}, ln({3, 4})},
    {"layer_norm", "[D] over [D], affine", {{6}, {6}, {6}}, ln({6})},
    {"layer_norm", "[B,T,D] over [D], no affine", {{2, 3, 4}}, [](const auto& x) { return layer_norm(x[0], {4}, none(x), none(x)); }},
    {"layer_norm", "weight only, eps 0.1", {{3, 4}, {4}}, [](const auto& x) { return layer_norm(x[0], {4}, x[1], none(x), 0.1); }},
    {"layer_norm", "bias only", {{3, 4}, {4}}, [](const auto& x) { return layer_norm(x[0], {4}, none(x), x[1]); }},
  };
  // clang-format on
}

}  // namespace

TEST_CASE("normalization: gradients match finite differences (double)") {
  check_gradients(normalization_cases());
}

TEST_CASE("normalization: second derivatives match finite differences (double)") {
  check_second_gradients(normalization_cases());
}

TEST_CASE("normalization: float agrees with double") {
  check_float_matches_double(normalization_cases());
}

TEST_CASE("normalization: every declared op has a row") {
  check_every_op_has_a_row("ops/normalization.hpp", normalization_cases());
}

TEST_CASE("batch_norm: values, running statistics and gradients by hand") {
  // Channel 0: {1, 3}: mean 2, biased var 1, unbiased 2. Channel 1: {2, 6}: mean 4, var 4, 8.
  auto x = from_vector<double>({1, 2, 3, 6}, {2, 2}, true);
  auto w = from_vector<double>({2, 1}, {2}, true);
  auto b = from_vector<double>({0, 10}, {2}, true);
  auto rm = from_vector<double>({0, 1}, {2});
  auto rv = from_vector<double>({1, 1}, {2});
  const double eps = 1e-5;
  auto y = batch_norm(x, w, b, rm, rv, true, 0.1, eps);
  const double s0 = 1 / std::sqrt(1 + eps), s1 = 2 / std::sqrt(4 + eps);
  CHECK(y.data()(0, 0) == doctest::Approx(-2 * s0));
  CHECK(y.data()(1, 0) == doctest::Approx(2 * s0));
  CHECK(y.data()(0, 1) == doctest::Approx(10 - s1));
  CHECK(y.data()(1, 1) == doctest::Approx(10 + s1));
  // r = 0.9 r + 0.1 s, unbiased variance.
  CHECK(rm.data()(0) == doctest::Approx(0.2));
  CHECK(rm.data()(1) == doctest::Approx(0.9 + 0.4));
  CHECK(rv.data()(0) == doctest::Approx(0.9 + 0.2));
  CHECK(rv.data()(1) == doctest::Approx(0.9 + 0.8));

  // sum(y): the batch mean is subtracted, so x gets no gradient; dbias = N, dweight = sum(xh) = 0.
  sum(y).backward();
  const TensorD dx = x.grad();  // named: a range-for over a temporary's data() would dangle
  for (double g : dx.data()) CHECK(g == doctest::Approx(0.0).epsilon(1e-9));
  CHECK(b.grad().data() == xt::xarray<double>({2, 2}));
  CHECK(w.grad().data()(0) == doctest::Approx(0.0));

  // Evaluation: the running statistics, unchanged by the call; dx = weight / sqrt(rv + eps).
  auto xe = from_vector<double>({1, 2, 3, 6}, {2, 2}, true);
  auto ye = batch_norm(xe, w, b, rm, rv, false, 0.1, eps);
  CHECK(rm.data()(0) == doctest::Approx(0.2));
  CHECK(ye.data()(1, 0) == doctest::Approx((3 - 0.2) / std::sqrt(1.1 + eps) * 2));
  sum(ye).backward();
  CHECK(xe.grad().data()(1, 0) == doctest::Approx(2 / std::sqrt(1.1 + eps)));
  CHECK(xe.grad().data()(0, 1) == doctest::Approx(1 / std::sqrt(1.7 + eps)));
}

TEST_CASE("batch_norm: statistics per channel over N and the spatial axes") {
  // [N=2, C=2, L=3]: channel c's six values are c*100 + {0..5}: mean c*100 + 2.5, var 35/12.
  std::vector<float> v(12);
  for (std::size_t n = 0; n < 2; ++n)
    for (std::size_t c = 0; c < 2; ++c)
      for (std::size_t l = 0; l < 3; ++l) v[(n * 2 + c) * 3 + l] = float(c * 100 + n * 3 + l);
  auto x = from_vector<float>(v, {2, 2, 3});
  auto rm = zeros<float>({2});
  auto rv = ones<float>({2});
  auto y = batch_norm(x, Tensor(), Tensor(), rm, rv, true, 1.0f);
  const double sd = std::sqrt(35.0 / 12 + 1e-5);
  CHECK(y.data()(0, 0, 0) == doctest::Approx(-2.5 / sd).epsilon(1e-5));
  CHECK(y.data()(1, 1, 2) == doctest::Approx(2.5 / sd).epsilon(1e-5));
  CHECK(rm.data()(1) == doctest::Approx(102.5));
  CHECK(rv.data()(1) == doctest::Approx(3.5));  // unbiased: 17.5 / 5
}

TEST_CASE("batch_norm: float statistics stay accurate for a large mean (two passes)") {
  // Values 10000 + {-1, 1}: a one-pass E[x^2] - E[x]^2 in float would lose the variance.
  auto x = from_vector<float>({9999.f, 10001.f, 9999.f, 10001.f}, {4, 1});
  auto y = batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true);
  CHECK(y.data()(0, 0) == doctest::Approx(-1.0).epsilon(1e-4));
  CHECK(y.data()(1, 0) == doctest::Approx(1.0).epsilon(1e-4));
}

TEST_CASE("layer_norm: values and gradient by hand") {
  // Row {1, 2, 3}: mean 2, biased var 2/3.
  auto x = from_vector<double>({1, 2, 3, 5, 5, 5}, {2, 3}, true);
  auto w = from_vector<double>({1, 2, 3}, {3}, true);
  auto b = from_vector<double>({0, 0, 1}, {3}, true);
  auto y = layer_norm(x, {3}, w, b, 1e-5);
  const double s = 1 / std::sqrt(2.0 / 3 + 1e-5);
  CHECK(y.data()(0, 0) == doctest::Approx(-s));
  CHECK(y.data()(0, 1) == doctest::Approx(0.0));
  CHECK(y.data()(0, 2) == doctest::Approx(3 * s + 1));
  // A constant row normalises to 0: y = bias.
  CHECK(y.data()(1, 2) == doctest::Approx(1.0));
  sum(y).backward();
  CHECK(b.grad().data() == xt::xarray<double>({2, 2, 2}));
  CHECK(w.grad().data()(0) == doctest::Approx(-s));
  CHECK(w.grad().data()(2) == doctest::Approx(s));
}

TEST_CASE("normalization: bad inputs give typed errors naming the op and the shapes") {
  struct Row {
    const char* what;
    std::function<void()> call;
    const char* must_contain;
    bool shape_error;
  };
  const auto z = [](Shape s) { return zeros<double>(s); };
  const TensorD u;
  const std::vector<Row> rows = {
      {"bn rank 1", [&] { batch_norm(z({4}), u, u, u, u, true); },
       "batch_norm: input [4]: expected [N,C], [N,C,L] or [N,C,H,W]", true},
      {"bn rank 5",
       [&] {
         batch_norm(z({2, 3, 1, 1, 1}), u, u, u, u, true);
       },
       "batch_norm: input [2,3,1,1,1]: expected", true},
      {"bn weight",
       [&] {
         batch_norm(z({4, 3}), z({4}), u, u, u, true);
       },
       "batch_norm: weight [4] for input [4,3]: expected [3]", true},
      {"bn bias rank",
       [&] {
         batch_norm(z({4, 3}), u, z({1, 3}), u, u, true);
       },
       "batch_norm: bias [1,3] for input [4,3]: expected [3]", true},
      {"bn running_var",
       [&] {
         batch_norm(z({4, 3, 2}), u, u, z({3}), z({2}), true);
       },
       "batch_norm: running_var [2] for input [4,3,2]: expected [3]", true},
      {"bn one value per channel",
       [&] {
         batch_norm(z({1, 3}), u, u, u, u, true);
       },
       "batch_norm: input [1,3]: expected more than 1 value per channel when training", false},
      {"bn eval without stats",
       [&] {
         batch_norm(z({4, 3}), u, u, u, u, false);
       },
       "batch_norm: input [4,3]: evaluation mode needs running_mean and running_var", false},
      {"bn one running stat",
       [&] {
         batch_norm(z({4, 3}), u, u, z({3}), u, true);
       },
       "batch_norm: give both running_mean and running_var", false},
      {"bn eps",
       [&] {
         batch_norm(z({4, 3}), u, u, u, u, true, 0.1, 0.0);
       },
       "batch_norm: eps must be > 0", false},
      {"bn momentum",
       [&] {
         batch_norm(z({4, 3}), u, u, u, u, true, 1.5);
       },
       "batch_norm: momentum must be in [0, 1]", false},
      {"ln shape",
       [&] {
         layer_norm(z({4, 3}), {4}, u, u);
       },
       "layer_norm: input [4,3] does not end with normalized_shape [4]", true},
      {"ln too long",
       [&] {
         layer_norm(z({3}), {2, 3}, u, u);
       },
       "layer_norm: input [3] does not end with normalized_shape [2,3]", true},
      {"ln weight",
       [&] {
         layer_norm(z({4, 3}), {3}, z({4}), u);
       },
       "layer_norm: weight [4] for normalized_shape [3] (input [4,3])", true},
      {"ln bias",
       [&] {
         layer_norm(z({2, 4, 3}), {4, 3}, u, z({3}));
       },
       "layer_norm: bias [3] for normalized_shape [4,3] (input [2,4,3])", true},
      {"ln empty shape",
       [&] {
         layer_norm(z({4, 3}), {}, u, u);
       },
       "layer_norm: normalized_shape is empty", false},
      {"ln eps",
       [&] {
         layer_norm(z({4, 3}), {3}, u, u, -1.0);
       },
       "layer_norm: eps must be > 0", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    try {
      r.call();
      FAIL("no exception");
    } catch (const ShapeError& e) {
      CHECK(r.shape_error);
      CHECK_MESSAGE(std::string(e.what()).find(r.must_contain) != std::string::npos, e.what());
    } catch (const ValueError& e) {
      CHECK_FALSE(r.shape_error);
      CHECK_MESSAGE(std::string(e.what()).find(r.must_contain) != std::string::npos, e.what());
    }
  }
}

}  // namespace axon::test
