// SPDX-License-Identifier: MIT
// Tests optim/optimizer.hpp through SGD and Adam: groups, zero_grad, skipping parameters without
// a gradient, lr access, option checks at step time, state_dict and load_state_dict.
#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <vector>

#include "axon/autograd/operators.hpp"
#include "axon/optim/optim.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;
using namespace axon::optim;

TensorD param(std::vector<double> values) {
  const std::size_t n = values.size();
  return from_vector<double>(std::move(values), {n}, true);
}

void set_grad(TensorD& p, std::vector<double> values) {
  auto& g = p.grad_data();
  for (std::size_t i = 0; i < values.size(); ++i) g(i) = values[i];
}

TEST_CASE("optim: an optimizer needs parameters, each once and each a leaf") {
  CHECK_THROWS_WITH_AS(SGDD(std::vector<TensorD>{}, SGDOptions(0.1)),
                       "SGD: got an empty parameter list", ValueError);
  auto a = param({1, 2});
  CHECK_THROWS_WITH_AS(AdamD({a, a}), doctest::Contains("Adam: parameter 1 of group 0 appears"),
                       ValueError);
  CHECK_THROWS_AS(AdamD(std::vector<AdamD::Group>{{{a}, AdamOptions()}, {{a}, AdamOptions(0.1)}}),
                  ValueError);
  CHECK_THROWS_WITH_AS(AdamD({a * 2.0}), doctest::Contains("not a leaf"), ValueError);
  CHECK_THROWS_WITH_AS(AdamD({TensorD()}), doctest::Contains("undefined"), ValueError);
}

TEST_CASE("optim: zero_grad drops every gradient") {
  auto a = param({1, 2});
  auto b = param({3});
  SGDD sgd({a, b}, SGDOptions(0.1));
  set_grad(a, {1, 1});
  set_grad(b, {1});
  sgd.zero_grad();
  CHECK_FALSE(a.has_grad());
  CHECK_FALSE(b.has_grad());
}

TEST_CASE("optim: step skips parameters without a gradient and keeps their state empty") {
  auto a = param({1, 2});
  auto b = param({3});
  AdamD adam({a, b}, AdamOptions(0.1));
  set_grad(a, {1, -1});
  adam.step();
  CHECK(a.data()(0) == doctest::Approx(0.9));
  CHECK(a.data()(1) == doctest::Approx(2.1));
  CHECK(b.data()(0) == 3.0);
  CHECK_FALSE(b.has_grad());  // step must not create a gradient
  CHECK(adam.param_groups()[0].state[0].step == 1);
  CHECK(adam.param_groups()[0].state[1].step == 0);
  const auto dict = adam.state_dict();
  CHECK(dict.scalars.count("state.0.step") == 1);
  CHECK(dict.scalars.count("state.1.step") == 0);
  CHECK(dict.arrays.count("state.1.exp_avg") == 0);
}

TEST_CASE("optim: step runs without recording and leaves parameters as leaves") {
  auto a = param({1, 2});
  SGDD sgd({a}, SGDOptions(0.1));
  set_grad(a, {1, 1});
  const std::size_t recorded = current_tape().size();
  sgd.step();
  CHECK(current_tape().size() == recorded);
  CHECK(grad_enabled());
  CHECK(a.is_leaf());
  CHECK(a.requires_grad());
}

TEST_CASE("optim: each parameter group uses its own learning rate") {
  auto a = param({1});
  auto b = param({1});
  SGDD sgd(std::vector<SGDD::Group>{{{a}, SGDOptions(0.1)}, {{b}, SGDOptions(0.01)}});
  set_grad(a, {1});
  set_grad(b, {1});
  sgd.step();
  CHECK(a.data()(0) == doctest::Approx(0.9));
  CHECK(b.data()(0) == doctest::Approx(0.99));
  CHECK(sgd.num_param_groups() == 2);
  CHECK(sgd.lr(1) == 0.01);
  CHECK(sgd.parameters().size() == 2);
}

// Regression: a group had to repeat every option; as in PyTorch, it now inherits the
// optimizer's defaults for the options it does not set.
TEST_CASE("optim: a parameter group inherits the defaults for the options it does not set") {
  auto a = param({1});
  auto b = param({1});
  auto c = param({1});
  SGDD sgd({SGDD::Group({a}), SGDD::Group({b}, [](SGDOptions& o) { o.lr(0.01); }),
            SGDD::Group({c}, SGDOptions(0.5))},
           SGDOptions(0.1).momentum(0.9));
  CHECK(sgd.defaults().lr() == 0.1);
  const auto& groups = sgd.param_groups();
  CHECK(groups[0].options.lr() == 0.1);
  CHECK(groups[0].options.momentum() == 0.9);
  CHECK(groups[1].options.lr() == 0.01);
  CHECK(groups[1].options.momentum() == 0.9);  // inherited
  CHECK(groups[2].options.lr() == 0.5);        // complete options inherit nothing
  CHECK(groups[2].options.momentum() == 0.0);
  for (auto* p : {&a, &b, &c}) set_grad(*p, {1});
  sgd.step();
  CHECK(a.data()(0) == doctest::Approx(0.9));
  CHECK(b.data()(0) == doctest::Approx(0.99));
  CHECK(c.data()(0) == doctest::Approx(0.5));
  sgd.step();  // momentum 0.9 in the first two groups: buf = 0.9 + 1
  CHECK(a.data()(0) == doctest::Approx(0.9 - 0.1 * 1.9));
  CHECK(b.data()(0) == doctest::Approx(0.99 - 0.01 * 1.9));
  CHECK(c.data()(0) == doctest::Approx(0.0));

  // add_param_group inherits too; an override that makes the options invalid is refused.
  auto d = param({1});
  sgd.add_param_group(SGDD::Group({d}, [](SGDOptions& o) { o.nesterov(true); }));
  CHECK(sgd.param_groups()[3].options.nesterov());
  CHECK(sgd.param_groups()[3].options.lr() == 0.1);
  CHECK_THROWS_WITH_AS(
      sgd.add_param_group(SGDD::Group({param({0})}, [](SGDOptions& o) { o.momentum(-1); })),
      doctest::Contains("SGD: invalid momentum -1"), ValueError);
  CHECK_THROWS_AS(AdamD(std::vector<AdamD::Group>{AdamD::Group({param({0})})}, AdamOptions(-1.0)),
                  ValueError);
}

TEST_CASE("optim: add_param_group, lr and set_lr") {
  auto a = param({1});
  auto b = param({1});
  SGDD sgd({a}, SGDOptions(0.1));
  sgd.add_param_group(SGDD::Group({b}, SGDOptions(0.5).momentum(0.9)));
  CHECK(sgd.num_param_groups() == 2);
  CHECK_THROWS_AS(sgd.add_param_group(SGDD::Group({a}, SGDOptions(0.5))), ValueError);
  CHECK_THROWS_AS(sgd.add_param_group(SGDD::Group({param({0})}, SGDOptions(-1))), ValueError);
  CHECK(sgd.num_param_groups() == 2);
  sgd.set_lr(1, 0.25);
  CHECK(sgd.param_groups()[1].options.lr() == 0.25);
  CHECK_THROWS_WITH_AS(sgd.set_lr(0, -0.5), "SGD: invalid learning rate -0.5 (expected >= 0)",
                       ValueError);
  CHECK_THROWS_AS(sgd.lr(2), IndexError);
  CHECK_THROWS_AS(sgd.set_lr(2, 0.1), IndexError);
  set_grad(b, {2});
  sgd.step();
  CHECK(b.data()(0) == doctest::Approx(0.5));
}

TEST_CASE("optim: options edited through param_groups are used and checked at step") {
  auto a = param({1});
  SGDD sgd({a}, SGDOptions(0.1));
  sgd.param_groups()[0].options.lr(0.5);
  set_grad(a, {1});
  sgd.step();
  CHECK(a.data()(0) == doctest::Approx(0.5));
  sgd.param_groups()[0].options.momentum(-1);
  CHECK_THROWS_WITH_AS(sgd.step(), doctest::Contains("SGD: invalid momentum -1"), ValueError);
}

TEST_CASE("optim: a gradient of the wrong shape is a ShapeError") {
  auto a = param({1, 2});
  SGDD sgd({a}, SGDOptions(0.1));
  a.grad_data() = xt::xarray<double>({1.0, 2.0, 3.0});
  CHECK_THROWS_WITH_AS(sgd.step(), doctest::Contains("gradient has shape [3]"), ShapeError);
}

TEST_CASE("optim: a gradient of the wrong shape anywhere leaves every parameter and state as is") {
  // Every gradient is checked before any update (prepare_step), so a bad second parameter does
  // not leave the first one updated and its step counted.
  auto a = param({1, 2});
  auto b = param({3});
  AdamD adam({a, b}, AdamOptions(0.1));
  set_grad(a, {1.0, 1.0});
  b.grad_data() = xt::xarray<double>({1.0, 2.0});
  CHECK_THROWS_AS(adam.step(), ShapeError);
  CHECK(a.data() == xt::xarray<double>({1.0, 2.0}));
  CHECK(adam.param_groups()[0].state[0].step == 0);
  CHECK(adam.state_dict().arrays.empty());
}

// Runs `steps` Adam steps with fixed gradients on the two parameters.
void run_adam(AdamD& adam, TensorD& a, TensorD& b, int steps) {
  for (int i = 0; i < steps; ++i) {
    adam.zero_grad();
    set_grad(a, {0.5 * a.data()(0), -1.0});
    set_grad(b, {b.data()(0) - 2.0});
    adam.step();
  }
}

TEST_CASE("optim: state_dict and load_state_dict resume training exactly") {
  auto a = param({1, 2});
  auto b = param({3});
  AdamD adam(std::vector<AdamD::Group>{{{a}, AdamOptions(0.1).amsgrad(true)},
                                       {{b}, AdamOptions(0.05).amsgrad(true)}});
  run_adam(adam, a, b, 3);
  const auto dict = adam.state_dict();
  CHECK(dict.scalars.at("state.0.step") == 3);
  CHECK(dict.scalars.at("state.1.step") == 3);
  CHECK(dict.scalars.at("param_groups.0.lr") == 0.1);
  CHECK(dict.scalars.at("param_groups.1.lr") == 0.05);
  CHECK(dict.arrays.size() == 6);  // exp_avg, exp_avg_sq, max_exp_avg_sq for both
  CHECK(dict.arrays.at("state.1.exp_avg").shape() == Shape{1});

  // A copy of the parameters with fresh optimizer state, then the saved state loaded.
  auto a2 = a.detach().requires_grad_();
  auto b2 = b.detach().requires_grad_();
  AdamD resumed(std::vector<AdamD::Group>{{{a2}, AdamOptions(1.0).amsgrad(true)},
                                          {{b2}, AdamOptions(1.0).amsgrad(true)}});
  resumed.load_state_dict(dict);
  CHECK(resumed.lr(0) == 0.1);
  CHECK(resumed.param_groups()[1].state[0].step == 3);
  run_adam(adam, a, b, 2);
  run_adam(resumed, a2, b2, 2);
  CHECK(a2.data() == a.data());
  CHECK(b2.data() == b.data());
}

TEST_CASE("optim: load_state_dict rejects what does not fit and changes nothing") {
  auto a = param({1, 2});
  SGDD sgd({a}, SGDOptions(0.1).momentum(0.9));
  set_grad(a, {1, 1});
  sgd.step();
  const auto good = sgd.state_dict();
  REQUIRE(good.arrays.count("state.0.momentum_buffer") == 1);

  auto bad = good;
  bad.arrays["state.0.momentum_buffer"] = xt::xarray<double>({1.0, 2.0, 3.0});
  CHECK_THROWS_WITH_AS(sgd.load_state_dict(bad), doctest::Contains("has shape [3]"), ShapeError);
  bad = good;
  bad.arrays["state.0.exp_avg"] = xt::xarray<double>({1.0, 2.0});
  CHECK_THROWS_WITH_AS(sgd.load_state_dict(bad), doctest::Contains("unknown array"), ValueError);
  bad = good;
  bad.scalars["state.4.step"] = 1;
  CHECK_THROWS_AS(sgd.load_state_dict(bad), ValueError);
  bad = good;
  bad.scalars["param_groups.1.lr"] = 0.1;
  CHECK_THROWS_AS(sgd.load_state_dict(bad), ValueError);
  bad = good;
  bad.scalars["momentum"] = 0.1;
  CHECK_THROWS_AS(sgd.load_state_dict(bad), ValueError);
  bad = good;
  bad.scalars.erase("state.0.step");
  CHECK_THROWS_WITH_AS(sgd.load_state_dict(bad), doctest::Contains("no matching state.0.step"),
                       ValueError);
  CHECK(sgd.param_groups()[0].state[0].step == 1);

  // A step count that is not a whole number (a corrupt checkpoint) was cast to int64: 2.5
  // became 2 silently and infinity or 1e300 was undefined behaviour.
  for (const double step : {2.5, 1e300, std::numeric_limits<double>::infinity()}) {
    CAPTURE(step);
    bad = good;
    bad.scalars["state.0.step"] = step;
    CHECK_THROWS_WITH_AS(sgd.load_state_dict(bad),
                         doctest::Contains("SGD: load_state_dict: state.0.step"), ValueError);
  }
  CHECK(sgd.param_groups()[0].state[0].step == 1);

  // An empty dict resets the state but keeps the lrs.
  sgd.load_state_dict({});
  CHECK(sgd.param_groups()[0].state[0].step == 0);
  CHECK(sgd.lr(0) == 0.1);
  sgd.load_state_dict(good);
  CHECK(sgd.state_dict().arrays.at("state.0.momentum_buffer") ==
        good.arrays.at("state.0.momentum_buffer"));
}

TEST_CASE("optim: float optimizers are usable through the Optimizer base") {
  Tensor w = from_vector<float>({1.0f, -1.0f}, {2}, true);
  Adam adam({w}, AdamOptions(0.1));
  Optimizer& base = adam;
  OptimizerBase& any = adam;
  CHECK(std::string(any.name()) == "Adam");
  w.grad_data() = xt::xarray<float>({1.0f, -1.0f});
  base.step();
  CHECK(w.data()(0) == doctest::Approx(0.9f));
  CHECK(base.parameters().size() == 1);
}

}  // namespace
}  // namespace axon::test
