// SPDX-License-Identifier: MIT
// Tests optim/rmsprop.cpp: option checks, the first step by hand, which state is kept,
// convergence.
#include <doctest/doctest.h>

#include <cmath>

#include "axon/optim/rmsprop.hpp"
#include "quadratic.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;
using namespace axon::optim;

TEST_CASE("optim: RMSprop rejects invalid options, naming the option") {
  auto w = zeros<double>({2}, true);
  CHECK_THROWS_WITH_AS(RMSpropD({w}, RMSpropOptions(-1)),
                       doctest::Contains("RMSprop: invalid learning rate -1"), ValueError);
  CHECK_THROWS_WITH_AS(RMSpropD({w}, RMSpropOptions().alpha(-0.1)),
                       doctest::Contains("RMSprop: invalid alpha -0.1"), ValueError);
  CHECK_THROWS_WITH_AS(RMSpropD({w}, RMSpropOptions().eps(-1)),
                       doctest::Contains("RMSprop: invalid eps"), ValueError);
  CHECK_THROWS_WITH_AS(RMSpropD({w}, RMSpropOptions().momentum(-1)),
                       doctest::Contains("RMSprop: invalid momentum"), ValueError);
  CHECK_THROWS_WITH_AS(RMSpropD({w}, RMSpropOptions().weight_decay(-1)),
                       doctest::Contains("RMSprop: invalid weight_decay"), ValueError);
}

TEST_CASE("optim: RMSprop's first step, plain and centered") {
  auto a = from_vector<double>({1.0}, {1}, true);
  auto b = from_vector<double>({1.0}, {1}, true);
  RMSpropD plain({a}, RMSpropOptions(0.01).eps(0));
  RMSpropD centered({b}, RMSpropOptions(0.01).eps(0).centered(true));
  a.grad_data()(0) = 2.0;
  b.grad_data()(0) = 2.0;
  plain.step();     // square_avg = 0.01 * 4, a -= 0.01 * 2 / 0.2
  centered.step();  // grad_avg = 0.02, a -= 0.01 * 2 / sqrt(0.04 - 0.0004)
  CHECK(a.data()(0) == doctest::Approx(0.9));
  CHECK(b.data()(0) == doctest::Approx(1 - 0.02 / std::sqrt(0.0396)));
  CHECK(plain.state_dict().arrays.size() == 1);  // square_avg only
  const auto dict = centered.state_dict();
  CHECK(dict.arrays.count("state.0.grad_avg") == 1);
  CHECK(dict.arrays.count("state.0.momentum_buffer") == 0);
}

TEST_CASE("optim: RMSprop with momentum accumulates g / avg") {
  auto w = from_vector<double>({1.0}, {1}, true);
  RMSpropD rmsprop({w}, RMSpropOptions(0.01).eps(0).momentum(0.5).alpha(0));
  w.grad_data()(0) = 2.0;
  rmsprop.step();  // avg = |g| = 2: buf = 1, w = 1 - 0.01
  rmsprop.step();  // buf = 0.5 + 1
  CHECK(rmsprop.param_groups()[0].state[0].momentum_buffer(0) == doctest::Approx(1.5));
  CHECK(w.data()(0) == doctest::Approx(1 - 0.01 - 0.015));
}

TEST_CASE("optim: RMSprop converges on a quadratic (float)") {
  for (bool centered : {false, true}) {
    CAPTURE(centered);
    Quadratic p1;
    RMSprop rmsprop({p1.w}, RMSpropOptions(0.01).centered(centered));
    CHECK(minimise(p1, rmsprop, 1000) < 1e-4f);
    Quadratic p2;
    RMSprop with_momentum({p2.w}, RMSpropOptions(0.002).momentum(0.9).centered(centered));
    CHECK(minimise(p2, with_momentum, 1000) < 1e-4f);
  }
}

}  // namespace
}  // namespace axon::test
