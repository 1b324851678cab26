// SPDX-License-Identifier: MIT
// Tests optim/ against PyTorch: optimizer trajectories, scheduler lr sequences and clipping, all
// recorded by scripts/golden_optim.py in tests/optim/golden_optim.hpp.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "axon/autograd/operators.hpp"
#include "axon/optim/optim.hpp"
#include "golden_optim.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;
using namespace axon::optim;

template <class T>
std::vector<T> to_vector(const double* values, std::size_t n) {
  return std::vector<T>(values, values + n);
}

// The generator's problem, computed with axon ops: w [2,3], b [3], v [2] and
// loss = sum((w*x + b - y)^2) + 0.25 sum(b^4) + sum((1 - v)^2 + 10 (v^2 - 0.5)^2).
// Each term is backpropagated with a gradient of ones, which sums it.
template <class T>
struct Problem {
  BasicTensor<T> w = from_vector<T>(to_vector<T>(golden::kW0, 6), {2, 3}, true);
  BasicTensor<T> b = from_vector<T>(to_vector<T>(golden::kB0, 3), {3}, true);
  BasicTensor<T> v = from_vector<T>(to_vector<T>(golden::kV0, 2), {2}, true);

  std::vector<BasicTensor<T>> params() const { return {w, b, v}; }

  void backward() const {
    const auto x = from_vector<T>(to_vector<T>(golden::kX, 6), {2, 3});
    const auto y = from_vector<T>(to_vector<T>(golden::kY, 6), {2, 3});
    const auto r = w * x + b - y;
    (r * r).backward(ones<T>({2, 3}));
    (pow(b, T(4)) * 0.25).backward(ones<T>({3}));
    const auto u = v * v - 0.5;
    ((1 - v) * (1 - v) + 10 * (u * u)).backward(ones<T>({2}));
  }

  std::vector<double> values() const {
    std::vector<double> all;
    for (const auto& p : params()) {
      for (T x : p.data()) all.push_back(static_cast<double>(x));
    }
    return all;
  }
};

template <class T>
using Factory = std::function<std::unique_ptr<BasicOptimizer<T>>(std::vector<BasicTensor<T>>)>;

template <class T, class O, class... Args>
std::unique_ptr<BasicOptimizer<T>> make(Args&&... args) {
  return std::make_unique<O>(std::forward<Args>(args)...);
}

// The optimizer of each golden case, as in scripts/golden_optim.py's OPTIMIZERS.
template <class T>
std::map<std::string, Factory<T>> factories() {
  using P = std::vector<BasicTensor<T>>;
  using SGDT = BasicSGD<T>;
  // clang-format off
  return {
    {"sgd_plain", [](P p) { return make<T, SGDT>(p, SGDOptions(0.01)); }},
    {"sgd_momentum", [](P p) { return make<T, SGDT>(p, SGDOptions(0.01).momentum(0.9)); }},
    {"sgd_dampening", [](P p) { return make<T, SGDT>(p, SGDOptions(0.01).momentum(0.9).dampening(0.3)); }},
    {"sgd_nesterov", [](P p) { return make<T, SGDT>(p, SGDOptions(0.01).momentum(0.9).nesterov(true)); }},
    {"sgd_weight_decay", [](P p) { return make<T, SGDT>(p, SGDOptions(0.01).momentum(0.5).weight_decay(0.1)); }},
    {"sgd_maximize", [](P p) { return make<T, SGDT>(p, SGDOptions(0.002).momentum(0.9).maximize(true)); }},
    {"sgd_groups", [](P p) {
      return make<T, SGDT>(std::vector<typename SGDT::Group>{
          {{p[0]}, SGDOptions(0.02)}, {{p[1], p[2]}, SGDOptions(0.005).momentum(0.9)}});
    }},
    {"adam_default", [](P p) { return make<T, BasicAdam<T>>(p, AdamOptions(0.05)); }},
    {"adam_amsgrad", [](P p) { return make<T, BasicAdam<T>>(p, AdamOptions(0.05).betas(0.8, 0.9).amsgrad(true)); }},
    {"adam_weight_decay", [](P p) { return make<T, BasicAdam<T>>(p, AdamOptions(0.05).weight_decay(0.1)); }},
    {"adam_maximize", [](P p) { return make<T, BasicAdam<T>>(p, AdamOptions(0.01).eps(1e-3).maximize(true)); }},
    {"adamw_default", [](P p) { return make<T, BasicAdamW<T>>(p, AdamWOptions(0.05)); }},
    {"adamw_amsgrad", [](P p) { return make<T, BasicAdamW<T>>(p, AdamWOptions(0.05).betas(0.8, 0.9).weight_decay(0.1).amsgrad(true)); }},
    {"rmsprop_plain", [](P p) { return make<T, BasicRMSprop<T>>(p, RMSpropOptions(0.01)); }},
    {"rmsprop_momentum", [](P p) { return make<T, BasicRMSprop<T>>(p, RMSpropOptions(0.01).momentum(0.9)); }},
    {"rmsprop_centered", [](P p) { return make<T, BasicRMSprop<T>>(p, RMSpropOptions(0.01).alpha(0.9).centered(true)); }},
    {"rmsprop_weight_decay", [](P p) { return make<T, BasicRMSprop<T>>(p, RMSpropOptions(0.01).weight_decay(0.1).momentum(0.5).centered(true)); }},
    {"adagrad_plain", [](P p) { return make<T, BasicAdagrad<T>>(p, AdagradOptions(0.1)); }},
    {"adagrad_lr_decay", [](P p) { return make<T, BasicAdagrad<T>>(p, AdagradOptions(0.1).lr_decay(0.05)); }},
    {"adagrad_weight_decay", [](P p) { return make<T, BasicAdagrad<T>>(p, AdagradOptions(0.1).weight_decay(0.1)); }},
    {"adagrad_initial_accumulator", [](P p) { return make<T, BasicAdagrad<T>>(p, AdagradOptions(0.1).initial_accumulator_value(0.5).eps(1e-6)); }},
  };
  // clang-format on
}

bool close(double actual, double expected, double rtol, double atol) {
  return std::abs(actual - expected) <= atol + rtol * std::abs(expected);
}

// Runs every golden case with scalar type T and checks each step's parameters.
template <class T>
void check_trajectories(double rtol, double atol) {
  const auto table = factories<T>();
  std::size_t checked = 0;
  for (const auto& golden : golden::kOptimizerTrajectories) {
    CAPTURE(golden.name);
    auto it = table.find(golden.name);
    REQUIRE_MESSAGE(it != table.end(), "no C++ optimizer for golden case ", golden.name);
    Problem<T> problem;
    auto optimizer = it->second(problem.params());
    for (int step = 0; step < golden::kSteps; ++step) {
      CAPTURE(step);
      optimizer->zero_grad();
      problem.backward();
      optimizer->step();
      const auto values = problem.values();
      REQUIRE(values.size() == std::size_t(golden::kNumValues));
      for (int k = 0; k < golden::kNumValues; ++k) {
        CAPTURE(k);
        CHECK_MESSAGE(close(values[k], golden.values[step][k], rtol, atol), values[k],
                      " vs PyTorch ", golden.values[step][k]);
      }
    }
    ++checked;
  }
  CHECK_MESSAGE(checked == table.size(), "every C++ golden case needs a row from the generator");
}

TEST_CASE("optim: golden problem gradients match PyTorch's") {
  Problem<double> problem;
  problem.backward();
  std::vector<double> grads;
  for (auto p : problem.params()) {
    for (double g : p.grad_data()) grads.push_back(g);
  }
  REQUIRE(grads.size() == std::size_t(golden::kNumValues));
  for (int k = 0; k < golden::kNumValues; ++k)
    CHECK(close(grads[k], golden::kGrad0[k], 1e-12, 1e-12));
}

TEST_CASE("optim: every optimizer follows PyTorch's trajectory for 5 steps (double)") {
  // At double's precision: eps inside or outside a square root (RMSprop, Adagrad) changes the
  // values near 1e-7 relative, which a tolerance of 1e-6 let pass.
  check_trajectories<double>(1e-12, 1e-14);
}

TEST_CASE("optim: float optimizers stay near PyTorch's double trajectory") {
  check_trajectories<float>(1e-3, 1e-4);
}

/// The schedulers of one lr sequence: those the loop steps, and those a SequentialLR holds.
struct Schedulers {
  std::vector<std::unique_ptr<LRScheduler>> stepped;
  std::vector<std::unique_ptr<LRScheduler>> parts;
};

template <class S, class... Args>
Schedulers one(OptimizerBase& optimizer, Args... args) {
  Schedulers list;
  list.stepped.push_back(std::make_unique<S>(optimizer, args...));
  return list;
}

/// A SequentialLR over `parts` (built in this order, as in the script) with `milestones`.
Schedulers sequential(OptimizerBase& optimizer, std::vector<std::unique_ptr<LRScheduler>> parts,
                      std::vector<std::int64_t> milestones) {
  Schedulers list;
  list.parts = std::move(parts);
  std::vector<std::reference_wrapper<LRScheduler>> refs;
  for (auto& p : list.parts) refs.push_back(*p);
  list.stepped.push_back(std::make_unique<SequentialLR>(optimizer, refs, milestones));
  return list;
}

/// `make(optimizer)` for each scheduler type, in order: the parts of a SequentialLR.
template <class... Makers>
std::vector<std::unique_ptr<LRScheduler>> build(OptimizerBase& o, Makers... make) {
  std::vector<std::unique_ptr<LRScheduler>> out;
  (out.push_back(make(o)), ...);
  return out;
}

// The schedulers of each golden lr sequence, as in scripts/golden_optim.py's SCHEDULERS.
std::map<std::string, std::function<Schedulers(OptimizerBase&)>> scheduler_factories() {
  // clang-format off
  return {
    {"step_lr", [](OptimizerBase& o) { return one<StepLR>(o, 3, 0.5); }},
    {"multi_step_lr", [](OptimizerBase& o) { return one<MultiStepLR>(o, std::vector<std::int64_t>{2, 5, 5, 9}, 0.3); }},
    {"exponential_lr", [](OptimizerBase& o) { return one<ExponentialLR>(o, 0.9); }},
    {"cosine_annealing_lr", [](OptimizerBase& o) { return one<CosineAnnealingLR>(o, 5, 0.001); }},
    {"linear_warmup", [](OptimizerBase& o) { return one<LinearLR>(o, 0.25, 1.0, 4); }},
    {"linear_warmup_end_factor", [](OptimizerBase& o) { return one<LinearLR>(o, 0.5, 0.8, 6); }},
    {"warmup_then_exponential", [](OptimizerBase& o) {
      Schedulers v;
      v.stepped.push_back(std::make_unique<LinearLR>(o, 0.1, 1.0, 3));
      v.stepped.push_back(std::make_unique<ExponentialLR>(o, 0.9));
      return v;
    }},
    {"warmup_then_cosine", [](OptimizerBase& o) {
      Schedulers v;
      v.stepped.push_back(std::make_unique<LinearLR>(o, 0.2, 1.0, 3));
      v.stepped.push_back(std::make_unique<CosineAnnealingLR>(o, 4, 0.001));
      return v;
    }},
    {"lambda_lr", [](OptimizerBase& o) {
      return one<LambdaLR>(o, LambdaLR::Lambda([](std::int64_t e) {
        return e < 3 ? static_cast<double>(e + 1) / 4 : std::pow(0.5, static_cast<double>(e - 3));
      }));
    }},
    {"lambda_lr_per_group", [](OptimizerBase& o) {
      Schedulers v;
      v.stepped.push_back(std::make_unique<ExponentialLR>(o, 0.5));
      v.stepped.push_back(std::make_unique<LambdaLR>(o, std::vector<LambdaLR::Lambda>{
          [](std::int64_t e) { return std::pow(0.95, static_cast<double>(e)); },
          [](std::int64_t e) { return 1.0 / (1.0 + 0.5 * static_cast<double>(e)); }}));
      return v;
    }},
    {"sequential_warmup_cosine", [](OptimizerBase& o) {
      return sequential(o, build(o,
          [](OptimizerBase& p) { return std::make_unique<LinearLR>(p, 0.2, 1.0, 3); },
          [](OptimizerBase& p) { return std::make_unique<CosineAnnealingLR>(p, 6, 0.001); }),
          {3});
    }},
    {"sequential_three", [](OptimizerBase& o) {
      return sequential(o, build(o,
          [](OptimizerBase& p) { return std::make_unique<ExponentialLR>(p, 0.8); },
          [](OptimizerBase& p) {
            return std::make_unique<MultiStepLR>(p, std::vector<std::int64_t>{2, 5, 5}, 0.5);
          },
          [](OptimizerBase& p) {
            return std::make_unique<LambdaLR>(p, [](std::int64_t e) {
              return 1.0 / (1.0 + static_cast<double>(e));
            });
          }),
          {3, 9});
    }},
    {"sequential_step_then_linear", [](OptimizerBase& o) {
      return sequential(o, build(o,
          [](OptimizerBase& p) { return std::make_unique<StepLR>(p, 2, 0.5); },
          [](OptimizerBase& p) { return std::make_unique<LinearLR>(p, 0.5, 1.0, 4); }),
          {5});
    }},
  };
  // clang-format on
}

std::map<std::string, ReduceLROnPlateauOptions> plateau_options() {
  return {
      {"plateau_min_rel",
       ReduceLROnPlateauOptions().factor(0.5).patience(1).threshold(0.01).cooldown(1).min_lr(0.02)},
      {"plateau_max_abs", ReduceLROnPlateauOptions()
                              .mode(PlateauMode::max)
                              .factor(0.3)
                              .patience(0)
                              .threshold(0.1)
                              .threshold_mode(ThresholdMode::abs)
                              .min_lrs({0.01, 0.001})},
  };
}

// An SGD optimizer with two groups at the generator's base lrs.
SGDD two_group_sgd() {
  return SGDD(std::vector<SGDD::Group>{{{zeros<double>({1})}, SGDOptions(golden::kBaseLrs[0])},
                                       {{zeros<double>({1})}, SGDOptions(golden::kBaseLrs[1])}});
}

void check_lrs(const OptimizerBase& optimizer, const double (&expected)[2]) {
  for (std::size_t g = 0; g < 2; ++g) {
    CAPTURE(g);
    CHECK_MESSAGE(close(optimizer.lr(g), expected[g], 1e-9, 1e-15), optimizer.lr(g), " vs PyTorch ",
                  expected[g]);
  }
}

TEST_CASE("optim: schedulers follow PyTorch's lr sequences") {
  const auto schedulers = scheduler_factories();
  const auto plateaus = plateau_options();
  std::size_t checked = 0;
  for (const auto& golden : golden::kLrSequences) {
    CAPTURE(golden.name);
    SGDD optimizer = two_group_sgd();
    if (auto it = schedulers.find(golden.name); it != schedulers.end()) {
      auto list = it->second(optimizer);
      check_lrs(optimizer, golden.lrs[0]);
      for (int epoch = 1; epoch <= golden::kSchedulerSteps; ++epoch) {
        CAPTURE(epoch);
        optimizer.step();
        for (auto& s : list.stepped) s->step();
        check_lrs(optimizer, golden.lrs[epoch]);
      }
      CHECK(list.stepped.back()->last_epoch() == golden::kSchedulerSteps);
    } else if (auto pt = plateaus.find(golden.name); pt != plateaus.end()) {
      ReduceLROnPlateau scheduler(optimizer, pt->second);
      check_lrs(optimizer, golden.lrs[0]);
      for (int epoch = 1; epoch <= golden::kSchedulerSteps; ++epoch) {
        CAPTURE(epoch);
        scheduler.step(golden::kPlateauMetrics[epoch - 1]);
        check_lrs(optimizer, golden.lrs[epoch]);
      }
    } else {
      FAIL("no C++ scheduler for golden case ", golden.name);
    }
    ++checked;
  }
  CHECK(checked == schedulers.size() + plateaus.size());
}

// Tensors shaped like the problem's parameters holding the gradients at its starting point.
std::vector<TensorD> golden_grads() {
  std::vector<TensorD> params = {zeros<double>({2, 3}), zeros<double>({3}), zeros<double>({2})};
  std::size_t k = 0;
  for (auto& p : params) {
    for (double& g : p.grad_data()) g = golden::kGrad0[k++];
  }
  return params;
}

void check_grads(const std::vector<TensorD>& params, const double* expected) {
  std::size_t k = 0;
  for (auto p : params) {
    for (double g : p.grad_data()) {
      CAPTURE(k);
      CHECK_MESSAGE(close(g, expected[k], 1e-9, 1e-15), g, " vs PyTorch ", expected[k]);
      ++k;
    }
  }
}

TEST_CASE("optim: clip_grad_norm matches torch.nn.utils.clip_grad_norm_") {
  for (const auto& golden : golden::kClipNormCases) {
    CAPTURE(golden.name);
    auto params = golden_grads();
    const double total = clip_grad_norm(params, golden.max_norm, golden.norm_type);
    CHECK(close(total, golden.total_norm, 1e-12, 0));
    check_grads(params, golden.grads);
  }
}

TEST_CASE("optim: clip_grad_value matches torch.nn.utils.clip_grad_value_") {
  auto params = golden_grads();
  clip_grad_value(params, golden::kClipValue);
  check_grads(params, golden::kClipValueGrads);
}

}  // namespace
}  // namespace axon::test
