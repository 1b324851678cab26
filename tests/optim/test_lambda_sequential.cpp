// SPDX-License-Identifier: MIT
// Tests LambdaLR and SequentialLR (optim/lr_scheduler.cpp) beyond the PyTorch lr sequences of
// test_golden.cpp: argument checks, state_dict round trips (all or nothing), and a training
// checkpoint that carries a SequentialLR through a resume of fit.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "axon/datasets/dataloader.hpp"
#include "axon/nn/linear.hpp"
#include "axon/optim/optim.hpp"
#include "axon/train/fit.hpp"
#include "tests/datasets/files.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;
using namespace axon::optim;

SGDD make_sgd(double lr) {
  return SGDD({zeros<double>({1}, true)}, SGDOptions(lr));
}

}  // namespace

TEST_CASE("optim: LambdaLR sets base_lr times the function of the epoch, per group") {
  auto sgd = make_sgd(0.2);
  LambdaLR schedule(sgd, [](std::int64_t e) { return 1.0 / static_cast<double>(e + 1); });
  CHECK(sgd.lr(0) == 0.2);
  schedule.step();
  CHECK(sgd.lr(0) == 0.1);
  sgd.set_lr(0, 5.0);  // not chainable: the next epoch's lr comes from the base lr
  schedule.step();
  CHECK(sgd.lr(0) == doctest::Approx(0.2 / 3));
  CHECK(schedule.last_epoch() == 2);

  CHECK_THROWS_WITH_AS(LambdaLR(sgd, std::vector<LambdaLR::Lambda>{}),
                       "LambdaLR: expected 1 lr_lambdas (one per parameter group), got 0",
                       ValueError);
  CHECK_THROWS_WITH_AS(LambdaLR(sgd, LambdaLR::Lambda()), "LambdaLR: lr_lambda 0 is empty",
                       ValueError);
  LambdaLR blows_up(
      sgd, [](std::int64_t e) { return e < 2 ? 1.0 : std::numeric_limits<double>::infinity(); });
  blows_up.step();
  const double before = sgd.lr(0);
  CHECK_THROWS_WITH_AS(blows_up.step(),
                       doctest::Contains("LambdaLR: lr_lambda of group 0 gave inf at epoch 2"),
                       ValueError);
  CHECK(sgd.lr(0) == before);
}

TEST_CASE("optim: SequentialLR checks its schedulers and milestones") {
  auto sgd = make_sgd(0.1), other = make_sgd(0.1);
  ExponentialLR a(sgd, 0.9);
  StepLR b(sgd, 2);
  ExponentialLR elsewhere(other, 0.5);
  CHECK_THROWS_WITH_AS(SequentialLR(sgd, {a, b}, {}),
                       "SequentialLR: expected one milestone fewer than schedulers, got 2 "
                       "schedulers and 0 milestones",
                       ValueError);
  CHECK_THROWS_AS(SequentialLR(sgd, {}, {}), ValueError);
  CHECK_THROWS_WITH_AS(SequentialLR(sgd, {a, elsewhere}, {3}),
                       "SequentialLR: scheduler 1 (ExponentialLR) sets another optimizer",
                       ValueError);
  CHECK_THROWS_AS(SequentialLR(sgd, {a, b, a}, {5, 2}), ValueError);
  SequentialLR inner(sgd, {a, b}, {2});
  CHECK_THROWS_WITH_AS(SequentialLR(sgd, {inner, b}, {2}),
                       doctest::Contains("scheduler 0 is a SequentialLR"), ValueError);
}

TEST_CASE("optim: SequentialLR's state_dict resumes the schedule, all or nothing") {
  // Three schedulers; the straight run and one restored at each epoch give the same lrs.
  const auto build = [](SGDD& sgd, std::function<void(SequentialLR&)> use) {
    LinearLR warmup(sgd, 0.25, 1.0, 2);
    CosineAnnealingLR cosine(sgd, 4, 0.01);
    LambdaLR tail(sgd, [](std::int64_t e) { return std::pow(0.5, static_cast<double>(e)); });
    SequentialLR schedule(sgd, {warmup, cosine, tail}, {2, 6});
    use(schedule);
  };
  std::vector<double> straight;
  std::vector<std::map<std::string, double>> states;
  auto sgd = make_sgd(0.4);
  build(sgd, [&](SequentialLR& s) {
    for (int e = 0; e < 10; ++e) {
      states.push_back(s.state_dict());
      s.step();
      straight.push_back(sgd.lr(0));
    }
  });
  CHECK(states[3].count("1.last_epoch") == 1);
  CHECK(states[3].at("last_epoch") == 3);
  CHECK(states[3].at("1.last_epoch") == 1);  // the cosine restarted at the milestone 2
  for (int at = 0; at < 10; ++at) {
    CAPTURE(at);
    auto resumed = make_sgd(0.4);
    build(resumed, [&](SequentialLR& s) {
      s.load_state_dict(states[at]);
      resumed.set_lr(0, at == 0 ? 0.1 : straight[at - 1]);  // the optimizer's lr is its own state
      for (int e = at; e < 10; ++e) {
        s.step();
        CHECK(resumed.lr(0) == straight[e]);
      }
    });
  }

  auto sgd2 = make_sgd(0.4);
  build(sgd2, [&](SequentialLR& s) {
    const auto before = s.state_dict();
    auto bad = states[5];
    bad["2.last_epoch"] = 0.5;  // the third scheduler refuses it, after the first two loaded
    CHECK_THROWS_WITH_AS(s.load_state_dict(bad),
                         doctest::Contains("SequentialLR: scheduler 2: LambdaLR: load_state_dict"),
                         ValueError);
    CHECK(s.state_dict() == before);
    bad = states[5];
    bad["7.last_epoch"] = 1;
    CHECK_THROWS_WITH_AS(s.load_state_dict(bad), doctest::Contains("unexpected key '7.last_epoch'"),
                         ValueError);
    CHECK(s.state_dict() == before);
  });
}

TEST_CASE("fit: a SequentialLR is saved in the checkpoint and a resumed run ends identical") {
  TempDir dir;
  const std::string path = dir.file("run.safetensors");
  std::vector<float> x;
  std::vector<std::size_t> y;
  for (int i = 0; i < 16; ++i) {
    x.push_back(static_cast<float>(i % 4) - 1.5f);
    x.push_back(static_cast<float>(i % 3) - 1.0f);
    y.push_back(static_cast<std::size_t>(i % 2));
  }
  const auto data = datasets::Dataset::classification(x, {2}, y, 2);
  // Returns the lr after `epochs` epochs and the trained weights, resuming from `path` when
  // `resume`, else writing a checkpoint there every epoch.
  const auto run = [&](std::size_t epochs, bool resume) {
    Generator gen(7);
    nn::Linear model(nn::LinearOptions(2, 2), gen);
    SGD sgd(model.parameters(), SGDOptions(0.5));
    LinearLR warmup(sgd, 0.1, 1.0, 2);
    ExponentialLR decay(sgd, 0.7);
    SequentialLR schedule(sgd, {warmup, decay}, {3});
    datasets::DataLoader loader(data, 4);
    auto options = train::FitOptions().epochs(epochs).verbose(0).scheduler(schedule);
    if (resume) {
      options.resume(path);
    } else {
      options.checkpoint(path, 1);
    }
    train::fit(model, sgd, train::cross_entropy_loss(), loader, options);
    std::vector<float> weights(model.parameter("weight").data().begin(),
                               model.parameter("weight").data().end());
    return std::make_pair(sgd.lr(0), weights);
  };
  const auto first = run(4, false);
  const auto rest = run(7, true);
  const auto straight = run(7, false);
  CHECK(first.first == doctest::Approx(0.5 * 0.7));  // epochs 0-2 warm up, 3 restarts, 4 decays
  CHECK(rest.first == straight.first);
  CHECK(rest.second == straight.second);
}

}  // namespace axon::test
