// SPDX-License-Identifier: MIT
// Tests optim/lr_scheduler.cpp and optim/reduce_lr_on_plateau.cpp: argument checks, step
// counting, the closed forms, state_dict round trips, cooldown and per-group minimum lrs.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "axon/optim/optim.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;
using namespace axon::optim;

SGDD make_sgd(double lr) {
  return SGDD({zeros<double>({1}, true)}, SGDOptions(lr));
}

TEST_CASE("optim: schedulers reject invalid arguments, naming them") {
  auto sgd = make_sgd(0.1);
  CHECK_THROWS_WITH_AS(StepLR(sgd, 0), "StepLR: invalid step_size 0 (expected >= 1)", ValueError);
  CHECK_THROWS_WITH_AS(StepLR(sgd, 2, -0.5), doctest::Contains("StepLR: invalid gamma"),
                       ValueError);
  CHECK_THROWS_AS(MultiStepLR(sgd, {1, 2}, -1), ValueError);
  CHECK_THROWS_AS(ExponentialLR(sgd, -0.1), ValueError);
  CHECK_THROWS_WITH_AS(CosineAnnealingLR(sgd, 0), doctest::Contains("invalid t_max 0"), ValueError);
  CHECK_THROWS_WITH_AS(LinearLR(sgd, 0.0), doctest::Contains("invalid start_factor 0"), ValueError);
  CHECK_THROWS_AS(LinearLR(sgd, 1.5), ValueError);
  CHECK_THROWS_AS(LinearLR(sgd, 0.5, 1.2), ValueError);
  CHECK_THROWS_AS(LinearLR(sgd, 0.5, 1.0, 0), ValueError);
  CHECK_THROWS_WITH_AS(ReduceLROnPlateau(sgd, ReduceLROnPlateauOptions().factor(1.0)),
                       doctest::Contains("ReduceLROnPlateau: invalid factor 1"), ValueError);
  CHECK_THROWS_WITH_AS(ReduceLROnPlateau(sgd, ReduceLROnPlateauOptions().min_lrs({0.1, 0.2})),
                       doctest::Contains("expected 1 min_lrs"), ValueError);
  CHECK_THROWS_AS(ReduceLROnPlateau(sgd, ReduceLROnPlateauOptions().patience(-1)), ValueError);
  CHECK(sgd.lr(0) == 0.1);  // a failed construction leaves the lr alone
}

TEST_CASE("optim: StepLR and ExponentialLR follow their closed forms") {
  auto a = make_sgd(0.3);
  auto b = make_sgd(0.3);
  StepLR step(a, 4, 0.5);
  ExponentialLR exponential(b, 0.95);
  CHECK(step.last_epoch() == 0);
  for (int epoch = 1; epoch <= 20; ++epoch) {
    step.step();
    exponential.step();
    CHECK(step.last_epoch() == epoch);
    CHECK(a.lr(0) == doctest::Approx(0.3 * std::pow(0.5, epoch / 4)));
    CHECK(b.lr(0) == doctest::Approx(0.3 * std::pow(0.95, epoch)));
    CHECK(step.last_lr()[0] == a.lr(0));
  }
  CHECK(step.base_lrs()[0] == 0.3);
}

TEST_CASE("optim: CosineAnnealingLR follows the closed form, past t_max too") {
  constexpr double pi = std::numbers::pi;
  auto sgd = make_sgd(0.2);
  CosineAnnealingLR cosine(sgd, 7, 0.01);
  for (int epoch = 1; epoch <= 30; ++epoch) {
    cosine.step();
    const double expected = 0.01 + (0.2 - 0.01) * (1 + std::cos(pi * epoch / 7)) / 2;
    CAPTURE(epoch);
    CHECK(sgd.lr(0) == doctest::Approx(expected).epsilon(1e-9));
  }
}

TEST_CASE("optim: LinearLR ramps from start_factor to end_factor over total_iters") {
  auto sgd = make_sgd(0.4);
  LinearLR warmup(sgd, 0.25, 1.0, 3);
  CHECK(sgd.lr(0) == doctest::Approx(0.1));
  warmup.step();
  CHECK(sgd.lr(0) == doctest::Approx(0.2));
  warmup.step();
  CHECK(sgd.lr(0) == doctest::Approx(0.3));
  warmup.step();
  CHECK(sgd.lr(0) == doctest::Approx(0.4));
  warmup.step();
  CHECK(sgd.lr(0) == doctest::Approx(0.4));
}

// Regression: the arguments were (start_factor, total_iters, end_factor) with no defaults, so a
// script ported from PyTorch as LinearLR(opt, 0.5, 0.8, 6) failed or ramped over the wrong span.
TEST_CASE("optim: LinearLR takes PyTorch's order and defaults (1/3, 1.0, 5)") {
  auto sgd = make_sgd(0.3);
  LinearLR defaults(sgd);
  CHECK(sgd.lr(0) == doctest::Approx(0.1));  // start_factor 1/3
  for (int epoch = 1; epoch <= 6; ++epoch) {
    defaults.step();
    CAPTURE(epoch);
    const double factor = 1.0 / 3 + (2.0 / 3) * std::min(epoch, 5) / 5;
    CHECK(sgd.lr(0) == doctest::Approx(0.3 * factor).epsilon(1e-12));
  }
  auto other = make_sgd(1.0);
  LinearLR decay(other, 0.5, 0.8, 6);  // start, end, total_iters
  for (int epoch = 0; epoch < 6; ++epoch) decay.step();
  CHECK(other.lr(0) == doctest::Approx(0.8).epsilon(1e-12));
  decay.step();
  CHECK(other.lr(0) == doctest::Approx(0.8).epsilon(1e-12));
}

TEST_CASE("optim: MultiStepLR applies gamma once per listing of a milestone") {
  auto sgd = make_sgd(1.0);
  MultiStepLR multi(sgd, {3, 1, 3}, 0.5);
  multi.step();
  CHECK(sgd.lr(0) == doctest::Approx(0.5));
  multi.step();
  multi.step();
  CHECK(sgd.lr(0) == doctest::Approx(0.125));
}

TEST_CASE("optim: a scheduler's state_dict resumes the schedule") {
  auto a = make_sgd(0.2);
  CosineAnnealingLR original(a, 6, 0.0);
  for (int i = 0; i < 4; ++i) original.step();
  const auto state = original.state_dict();
  CHECK(state.at("last_epoch") == 4);

  auto b = make_sgd(0.2);
  CosineAnnealingLR resumed(b, 6, 0.0);
  b.set_lr(0, a.lr(0));  // the optimizer's state_dict carries the current lr
  resumed.load_state_dict(state);
  CHECK(resumed.last_epoch() == 4);
  for (int i = 0; i < 5; ++i) {
    original.step();
    resumed.step();
    CHECK(b.lr(0) == doctest::Approx(a.lr(0)).epsilon(1e-12));
  }
  CHECK_THROWS_AS(resumed.load_state_dict({{"last_epoch", 1}}), ValueError);

  // Values no state_dict() writes (a corrupt checkpoint) are ValueErrors that change nothing:
  // last_epoch used to be cast to int64 as it was (NaN: undefined behaviour, 2.5: 2).
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, double>>{{"last_epoch", nan},
                                                   {"last_epoch", 2.5},
                                                   {"last_epoch", -1},
                                                   {"last_epoch", 1e300},
                                                   {"base_lrs.0", nan},
                                                   {"base_lrs.0", -0.1}}) {
    CAPTURE(key);
    CAPTURE(value);
    auto bad = state;
    bad[key] = value;
    CHECK_THROWS_WITH_AS(resumed.load_state_dict(bad),
                         doctest::Contains(("CosineAnnealingLR: load_state_dict: " + key).c_str()),
                         ValueError);
  }
  CHECK(resumed.last_epoch() == 9);
  CHECK(resumed.base_lrs() == std::vector<double>{0.2});
}

TEST_CASE("optim: ReduceLROnPlateau waits for patience, then cools down") {
  auto sgd = make_sgd(1.0);
  ReduceLROnPlateau plateau(sgd, ReduceLROnPlateauOptions().factor(0.5).patience(2).cooldown(2));
  plateau.step(1.0);  // best
  plateau.step(1.0);  // bad 1
  plateau.step(1.0);  // bad 2
  CHECK(sgd.lr(0) == 1.0);
  plateau.step(1.0);  // bad 3 > patience: reduce, cooldown 2
  CHECK(sgd.lr(0) == 0.5);
  for (int i = 0; i < 4; ++i) plateau.step(1.0);  // 2 cooldown epochs, then bad 1, bad 2
  CHECK(sgd.lr(0) == 0.5);
  plateau.step(1.0);
  CHECK(sgd.lr(0) == 0.25);
  plateau.step(0.5);  // an improvement resets the count
  CHECK(plateau.best() == 0.5);
  CHECK(plateau.num_bad_epochs() == 0);
  CHECK(plateau.last_epoch() == 10);
}

TEST_CASE("optim: ReduceLROnPlateau in max mode, with a floor per group") {
  SGDD sgd(std::vector<SGDD::Group>{{{zeros<double>({1})}, SGDOptions(1.0)},
                                    {{zeros<double>({1})}, SGDOptions(0.1)}});
  ReduceLROnPlateau plateau(
      sgd, ReduceLROnPlateauOptions().mode(PlateauMode::max).patience(0).min_lrs({0.5, 0.0}));
  plateau.step(1.0);
  plateau.step(2.0);  // better
  CHECK(sgd.lr(0) == 1.0);
  plateau.step(1.5);  // worse: reduce
  CHECK(sgd.lr(0) == 0.5);
  CHECK(sgd.lr(1) == doctest::Approx(0.01));
  plateau.step(1.5);
  CHECK(sgd.lr(0) == 0.5);
  CHECK(plateau.last_lr()[1] == doctest::Approx(0.001));

  const auto state = plateau.state_dict();
  ReduceLROnPlateau resumed(sgd, ReduceLROnPlateauOptions().mode(PlateauMode::max));
  resumed.load_state_dict(state);
  CHECK(resumed.best() == 2.0);
  CHECK(resumed.last_epoch() == 4);
  CHECK_THROWS_AS(resumed.load_state_dict({}), ValueError);

  // Values no state_dict() writes are ValueErrors that change nothing (the counters used to be
  // cast to int64 as they were: NaN was undefined behaviour, a negative cooldown ignored).
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, double>>{{"last_epoch", nan},
                                                   {"last_epoch", 0.5},
                                                   {"num_bad_epochs", -1},
                                                   {"cooldown_counter", 1e300},
                                                   {"best", nan}}) {
    CAPTURE(key);
    CAPTURE(value);
    auto bad = state;
    bad[key] = value;
    CHECK_THROWS_WITH_AS(resumed.load_state_dict(bad),
                         doctest::Contains(("ReduceLROnPlateau: load_state_dict: " + key).c_str()),
                         ValueError);
  }
  CHECK(resumed.best() == 2.0);
  CHECK(resumed.last_epoch() == 4);
}

TEST_CASE("optim: the first scheduler records each group's initial lr, saved with the optimizer") {
  auto sgd = make_sgd(0.5);
  CHECK(sgd.initial_lrs().empty());
  LinearLR warmup(sgd, 0.1, 1.0, 4);
  CHECK(sgd.lr(0) == doctest::Approx(0.05));
  CosineAnnealingLR cosine(sgd, 10);
  CHECK(cosine.base_lrs()[0] == 0.5);  // not the warmed-down 0.05
  CHECK(sgd.initial_lr(0) == 0.5);
  CHECK_THROWS_AS(sgd.initial_lr(1), IndexError);

  const auto dict = sgd.state_dict();
  CHECK(dict.scalars.at("param_groups.0.initial_lr") == 0.5);
  auto other = make_sgd(0.5);
  other.load_state_dict(dict);
  CHECK(other.initial_lrs().at(0) == 0.5);
  CHECK(other.lr(0) == doctest::Approx(0.05));
}

TEST_CASE("optim: schedulers drive float optimizers") {
  Tensor w = zeros<float>({2}, true);
  Adam adam({w}, AdamOptions(0.01));
  StepLR step(adam, 1, 0.5);
  step.step();
  CHECK(adam.lr(0) == doctest::Approx(0.005));
}

}  // namespace
}  // namespace axon::test
