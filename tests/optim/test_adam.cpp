// SPDX-License-Identifier: MIT
// Tests optim/adam.cpp: option checks for Adam and AdamW, bias correction, L2 versus decoupled
// weight decay, amsgrad state, convergence.
#include <doctest/doctest.h>

#include "axon/optim/adam.hpp"
#include "quadratic.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;
using namespace axon::optim;

TEST_CASE("optim: Adam and AdamW reject invalid options, naming the option") {
  auto w = zeros<double>({2}, true);
  CHECK_THROWS_WITH_AS(AdamD({w}, AdamOptions(-1e-3)),
                       "Adam: invalid learning rate -0.001 (expected >= 0)", ValueError);
  CHECK_THROWS_WITH_AS(AdamD({w}, AdamOptions().betas(1.0, 0.999)),
                       "Adam: invalid beta1 1 (expected in [0, 1))", ValueError);
  CHECK_THROWS_WITH_AS(AdamD({w}, AdamOptions().betas(0.9, -0.1)),
                       doctest::Contains("Adam: invalid beta2 -0.1"), ValueError);
  CHECK_THROWS_WITH_AS(AdamD({w}, AdamOptions().eps(-1)), doctest::Contains("Adam: invalid eps"),
                       ValueError);
  CHECK_THROWS_WITH_AS(AdamD({w}, AdamOptions().weight_decay(-1)),
                       doctest::Contains("Adam: invalid weight_decay"), ValueError);
  CHECK_THROWS_WITH_AS(AdamWD({w}, AdamWOptions().betas(0.9, 1.5)),
                       doctest::Contains("AdamW: invalid beta2 1.5"), ValueError);
  CHECK_NOTHROW(AdamD({w}, AdamOptions().betas(0.0, 0.0)));
}

TEST_CASE("optim: Adam's defaults and AdamW's decoupled weight decay default") {
  CHECK(AdamOptions().lr() == 1e-3);
  CHECK(AdamOptions().beta1() == 0.9);
  CHECK(AdamOptions().beta2() == 0.999);
  CHECK(AdamOptions().eps() == 1e-8);
  CHECK(AdamOptions().weight_decay() == 0);
  CHECK(AdamWOptions().weight_decay() == 1e-2);
}

TEST_CASE("optim: Adam's first step moves each element by lr (bias correction)") {
  auto w = from_vector<double>({1.0, 1.0, 1.0}, {3}, true);
  AdamD adam({w}, AdamOptions(0.1));
  w.grad_data() = xt::xarray<double>({3.0, -0.01, 100.0});
  adam.step();
  CHECK(w.data()(0) == doctest::Approx(0.9));
  CHECK(w.data()(1) == doctest::Approx(1.1));
  CHECK(w.data()(2) == doctest::Approx(0.9));
  CHECK(adam.param_groups()[0].state[0].step == 1);
}

TEST_CASE("optim: Adam adds weight decay to the gradient; AdamW shrinks the parameter") {
  auto a = from_vector<double>({2.0}, {1}, true);
  auto b = from_vector<double>({2.0}, {1}, true);
  AdamD adam({a}, AdamOptions(0.1).weight_decay(0.1));
  AdamWD adamw({b}, AdamWOptions(0.1).weight_decay(0.1));
  a.grad_data()(0) = 0.0;
  b.grad_data()(0) = 0.0;
  adam.step();   // g = 0.1 * 2: a full lr-sized step
  adamw.step();  // b = 2 (1 - 0.1 * 0.1), no gradient step
  CHECK(a.data()(0) == doctest::Approx(1.9));
  CHECK(b.data()(0) == doctest::Approx(1.98));
}

TEST_CASE("optim: amsgrad keeps the largest second moment") {
  auto w = from_vector<double>({0.0}, {1}, true);
  AdamD adam({w}, AdamOptions(0.1).amsgrad(true));
  w.grad_data()(0) = 10.0;
  adam.step();
  w.grad_data()(0) = 0.0;
  adam.step();
  const auto& state = adam.param_groups()[0].state[0];
  CHECK(state.max_exp_avg_sq(0) == doctest::Approx(0.1));
  CHECK(state.exp_avg_sq(0) < state.max_exp_avg_sq(0));
  auto plain = from_vector<double>({0.0}, {1}, true);
  AdamD no_amsgrad({plain}, AdamOptions(0.1));
  plain.grad_data()(0) = 1.0;
  no_amsgrad.step();
  CHECK(no_amsgrad.state_dict().arrays.count("state.0.max_exp_avg_sq") == 0);
}

TEST_CASE("optim: Adam and AdamW converge on a quadratic (float)") {
  for (bool amsgrad : {false, true}) {
    CAPTURE(amsgrad);
    Quadratic p1;
    Adam adam({p1.w}, AdamOptions(0.05).amsgrad(amsgrad));
    CHECK(minimise(p1, adam, 1000) < 1e-5f);
    Quadratic p2;
    AdamW adamw({p2.w}, AdamWOptions(0.05).weight_decay(0).amsgrad(amsgrad));
    CHECK(minimise(p2, adamw, 1000) < 1e-5f);
  }
}

}  // namespace
}  // namespace axon::test
