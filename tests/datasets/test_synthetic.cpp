// SPDX-License-Identifier: MIT
// Tests datasets/synthetic.cpp: shapes, labels, reproducibility, the true regression weights.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/datasets/synthetic.hpp"

namespace axon::test {

namespace {

std::vector<float> features(const datasets::Dataset& d) {
  std::vector<float> out;
  for (std::size_t i = 0; i < d.size(); ++i) {
    out.insert(out.end(), d.row_float(i), d.row_float(i) + d.sample_numel());
  }
  return out;
}

}  // namespace

TEST_CASE("datasets/synthetic: xor") {
  const auto d = datasets::make_xor();
  CHECK(d.size() == 4);
  CHECK(d.sample_shape() == datasets::Shape{2});
  CHECK(features(d) == std::vector<float>{0, 0, 0, 1, 1, 0, 1, 1});
  CHECK(d.labels() == std::vector<std::size_t>{0, 1, 1, 0});
  CHECK(d.row_targets(1)[0] == 1.0f);
  CHECK(d.row_targets(3)[0] == 0.0f);
}

TEST_CASE("datasets/synthetic: two spirals") {
  const auto d = datasets::make_spirals(50, 0.0, 1);
  CHECK(d.size() == 100);
  CHECK(d.num_classes() == 2);
  std::size_t ones = 0;
  for (std::size_t label : d.labels()) ones += label;
  CHECK(ones == 50);
  // Without noise the two classes are mirror images through the origin.
  CHECK(d.row_float(10)[0] == doctest::Approx(-d.row_float(60)[0]).epsilon(1e-5));
  CHECK(d.row_float(49)[0] == doctest::Approx(-1.0).epsilon(1e-5));  // r = 1 after 1.5 turns
  for (std::size_t i = 0; i < d.size(); ++i) {
    CHECK(std::hypot(d.row_float(i)[0], d.row_float(i)[1]) <= 1.0 + 1e-5);
  }
  const auto noisy = datasets::make_spirals(50, 0.1, 3);
  CHECK(features(noisy) == features(datasets::make_spirals(50, 0.1, 3)));
  CHECK(features(noisy) != features(datasets::make_spirals(50, 0.1, 4)));
  CHECK(features(noisy) != features(d));
  CHECK_THROWS_AS(datasets::make_spirals(0, 0.1, 3), ValueError);
}

TEST_CASE("datasets/synthetic: noisy linear regression returns its true weights") {
  const auto r = datasets::make_linear_regression(200, 3, 0.0, 11);
  CHECK(r.data.size() == 200);
  CHECK(r.data.sample_shape() == datasets::Shape{3});
  CHECK(r.data.target_dim() == 1);
  CHECK(r.weights.size() == 3);
  for (std::size_t i = 0; i < r.data.size(); ++i) {
    const float* x = r.data.row_float(i);
    const double y = r.bias + x[0] * r.weights[0] + x[1] * r.weights[1] + x[2] * r.weights[2];
    CHECK(r.data.row_targets(i)[0] == doctest::Approx(y).epsilon(1e-5));
  }
  const auto a = datasets::make_linear_regression(50, 2, 0.5, 4);
  const auto b = datasets::make_linear_regression(50, 2, 0.5, 4);
  CHECK(a.weights == b.weights);
  CHECK(features(a.data) == features(b.data));
  CHECK(a.data.row_targets(7)[0] == b.data.row_targets(7)[0]);
  CHECK(a.weights != datasets::make_linear_regression(50, 2, 0.5, 5).weights);
}

TEST_CASE("datasets/synthetic: an infinite or NaN noise level is a ValueError") {
  const double inf = std::numeric_limits<double>::infinity();
  for (const double noise : {inf, -inf, std::numeric_limits<double>::quiet_NaN(), -0.5}) {
    CAPTURE(noise);
    CHECK_THROWS_WITH_AS(datasets::make_spirals(10, noise, 0), doctest::Contains("noise"),
                         ValueError);
    CHECK_THROWS_WITH_AS(datasets::make_linear_regression(10, 2, noise, 0),
                         doctest::Contains("noise"), ValueError);
  }
}

}  // namespace axon::test
