// SPDX-License-Identifier: MIT
// Tests optim/adagrad.cpp: option checks, the accumulator and lr decay by hand, convergence.
#include <doctest/doctest.h>

#include <cmath>

#include "axon/optim/adagrad.hpp"
#include "quadratic.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;
using namespace axon::optim;

TEST_CASE("optim: Adagrad rejects invalid options, naming the option") {
  auto w = zeros<double>({2}, true);
  CHECK_THROWS_WITH_AS(AdagradD({w}, AdagradOptions(-1)),
                       doctest::Contains("Adagrad: invalid learning rate -1"), ValueError);
  CHECK_THROWS_WITH_AS(AdagradD({w}, AdagradOptions().lr_decay(-1)),
                       doctest::Contains("Adagrad: invalid lr_decay"), ValueError);
  CHECK_THROWS_WITH_AS(AdagradD({w}, AdagradOptions().weight_decay(-1)),
                       doctest::Contains("Adagrad: invalid weight_decay"), ValueError);
  CHECK_THROWS_WITH_AS(AdagradD({w}, AdagradOptions().initial_accumulator_value(-1)),
                       doctest::Contains("Adagrad: invalid initial_accumulator_value"), ValueError);
  CHECK_THROWS_WITH_AS(AdagradD({w}, AdagradOptions().eps(-1)),
                       doctest::Contains("Adagrad: invalid eps"), ValueError);
}

TEST_CASE("optim: Adagrad accumulates squared gradients and decays the lr") {
  auto w = from_vector<double>({1.0}, {1}, true);
  AdagradD adagrad({w}, AdagradOptions(0.1).lr_decay(0.5).initial_accumulator_value(5).eps(0));
  w.grad_data()(0) = 2.0;
  adagrad.step();  // sum = 5 + 4, w -= 0.1 * 2 / 3
  CHECK(w.data()(0) == doctest::Approx(1 - 0.2 / 3));
  adagrad.step();  // sum = 13, clr = 0.1 / 1.5
  CHECK(adagrad.param_groups()[0].state[0].sum(0) == doctest::Approx(13));
  CHECK(w.data()(0) == doctest::Approx(1 - 0.2 / 3 - 0.1 / 1.5 * 2 / std::sqrt(13.0)));
}

TEST_CASE("optim: Adagrad converges on a quadratic (float)") {
  Quadratic problem;
  Adagrad adagrad({problem.w}, AdagradOptions(0.5));
  CHECK(minimise(problem, adagrad, 1000) < 1e-5f);
}

}  // namespace
}  // namespace axon::test
