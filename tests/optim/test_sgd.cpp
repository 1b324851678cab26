// SPDX-License-Identifier: MIT
// Tests optim/sgd.cpp: option checks, the momentum buffer's first step, convergence.
#include <doctest/doctest.h>

#include "axon/optim/sgd.hpp"
#include "quadratic.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;
using namespace axon::optim;

TEST_CASE("optim: SGD rejects invalid options, naming the option") {
  auto w = zeros<double>({2}, true);
  CHECK_THROWS_WITH_AS(SGDD({w}, SGDOptions(-0.1)),
                       "SGD: invalid learning rate -0.1 (expected >= 0)", ValueError);
  CHECK_THROWS_WITH_AS(SGDD({w}, SGDOptions(0.1).momentum(-0.5)),
                       doctest::Contains("SGD: invalid momentum -0.5"), ValueError);
  CHECK_THROWS_WITH_AS(SGDD({w}, SGDOptions(0.1).weight_decay(-1)),
                       doctest::Contains("SGD: invalid weight_decay -1"), ValueError);
  CHECK_THROWS_WITH_AS(SGDD({w}, SGDOptions(0.1).nesterov(true)),
                       doctest::Contains("SGD: invalid nesterov"), ValueError);
  CHECK_THROWS_AS(SGDD({w}, SGDOptions(0.1).momentum(0.9).dampening(0.1).nesterov(true)),
                  ValueError);
  CHECK_NOTHROW(SGDD({w}, SGDOptions(0.0).momentum(0.9).nesterov(true)));
}

TEST_CASE("optim: SGD's momentum buffer starts at the gradient, undamped") {
  auto w = from_vector<double>({1.0}, {1}, true);
  SGDD sgd({w}, SGDOptions(0.1).momentum(0.9).dampening(0.5));
  w.grad_data()(0) = 2.0;
  sgd.step();  // buf = 2, w = 1 - 0.2
  CHECK(sgd.param_groups()[0].state[0].momentum_buffer(0) == 2.0);
  CHECK(w.data()(0) == doctest::Approx(0.8));
  sgd.step();  // buf = 0.9 * 2 + 0.5 * 2 = 2.8, w = 0.8 - 0.28
  CHECK(sgd.param_groups()[0].state[0].momentum_buffer(0) == doctest::Approx(2.8));
  CHECK(w.data()(0) == doctest::Approx(0.52));
}

TEST_CASE("optim: SGD without momentum keeps no buffer; weight decay adds wd * p") {
  auto w = from_vector<double>({2.0}, {1}, true);
  SGDD sgd({w}, SGDOptions(0.1).weight_decay(0.5));
  w.grad_data()(0) = 1.0;
  sgd.step();  // d = 1 + 0.5 * 2 = 2
  CHECK(w.data()(0) == doctest::Approx(1.8));
  CHECK(sgd.state_dict().arrays.empty());
}

TEST_CASE("optim: SGD converges on a quadratic (float)") {
  for (bool nesterov : {false, true}) {
    CAPTURE(nesterov);
    Quadratic problem;
    SGD sgd({problem.w}, SGDOptions(0.05).momentum(0.9).nesterov(nesterov));
    CHECK(minimise(problem, sgd, 300) < 1e-6f);
  }
  Quadratic plain;
  SGD sgd({plain.w}, SGDOptions(0.1));
  CHECK(minimise(plain, sgd, 300) < 1e-6f);
}

}  // namespace
}  // namespace axon::test
