// SPDX-License-Identifier: MIT
// Boston house prices: a grid search over the 13-H-1 network's hidden units and Adam's learning
// rate, each scored by 5-fold cross-validation (mean validation MSE) on the training 80%; the
// best setting is then trained on all of it and tested on the held-out 20%. With --bench 1 it
// instead times the same search with one trial at a time on every thread against two trials at
// once with one thread each (the tables must be identical).
#include <cstdio>
#include <ctime>
#include <memory>
#include <sstream>

#include "axon/datasets/bundled.hpp"
#include "axon/datasets/dataloader.hpp"
#include "axon/datasets/split.hpp"
#include "axon/datasets/transforms.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/optim/adam.hpp"
#include "axon/train/fit.hpp"
#include "axon/tune/cross_validate.hpp"
#include "axon/tune/search.hpp"
#include "examples/common.hpp"

using namespace axon;

/// Trains the 13-units-1 network full batch (batch-parallel fit) on `train` and returns the
/// mean squared error on `test`, both standardised with `train`'s statistics.
double train_and_test(const tune::Trial& trial, tune::Reporter& reporter,
                      const datasets::Dataset& train, const datasets::Dataset& test) {
  datasets::Standardizer scaler;
  scaler.fit(train);
  datasets::DataLoader train_loader(train, datasets::DataLoaderOptions(train.size()));
  datasets::DataLoader test_loader(test, datasets::DataLoaderOptions(test.size()));
  train_loader.transform(scaler);
  test_loader.transform(scaler);
  autograd::Generator gen(trial.seed);
  const auto units = static_cast<std::size_t>(trial.integer("units"));
  nn::Sequential model{std::make_shared<nn::Linear>(nn::LinearOptions(13, units), gen),
                       std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::Linear>(nn::LinearOptions(units, 1), gen)};
  optim::Adam optimizer(model.parameters(), optim::AdamOptions(trial.real("lr")));
  train::fit(model, optimizer, train::mse_loss(), train_loader,
             train::FitOptions()
                 .epochs(trial.epochs)
                 .verbose(0)
                 .seed(trial.seed)
                 .callback(reporter.callback("")));  // fails the trial on a NaN or diverging loss
  return train::evaluate(model, train::mse_loss(), test_loader).at("loss");
}

int main(int argc, char** argv) try {
  examples::Args args;
  args.epochs = 300;
  args.seed = 2;
  args.data = datasets::default_data_dir();
  std::size_t folds = 5, parallel = 1, bench = 0;
  CLI::App app("A cross-validated grid search over a Boston regression network", "tune_boston");
  examples::add_flags(app, args,
                      examples::kEpochs | examples::kThreads | examples::kSeed | examples::kData);
  examples::add_integer(app, "--folds", folds, "K", "cross-validation folds");
  examples::add_integer(app, "--parallel", parallel, "P", "trials at once");
  examples::add_integer(app, "--bench", bench, "1",
                        "1: 1 trial x all threads against 2 x 1 thread");
  examples::parse(app, argc, argv, args);

  const auto boston = datasets::load_boston(args.data);
  const auto parts = datasets::random_split(boston.data, {0.8, 0.2}, args.seed);
  tune::Space space;
  space.integer("units", 5, 20, 5).real("lr", 3e-3, 3e-2, /*log=*/true, 3);
  const tune::GridSearch grid(space, args.epochs, args.seed);
  auto objective = [&](const tune::Trial& trial, tune::Reporter& reporter) {
    return tune::cross_validate(
               parts[0], folds, args.seed,
               [&](const datasets::Dataset& train, const datasets::Dataset& val, std::size_t) {
                 return train_and_test(trial, reporter, train, val);
               })
        .mean;
  };

  if (bench) {
    std::ostringstream quiet;
    const std::size_t cores = train::num_threads();
    // Wall time, and the process's CPU time (all threads): on a busy machine only the latter says
    // how much work (including oneTBB's waiting) each way costs.
    const std::clock_t cpu0 = std::clock();
    examples::Stopwatch one_clock;
    const auto one = tune::search(
        grid, objective, tune::SearchOptions().parallel(1).threads_per_trial(cores).out(quiet));
    const double one_seconds = one_clock.seconds();
    const std::clock_t cpu1 = std::clock();
    examples::Stopwatch two_clock;
    const auto two = tune::search(
        grid, objective, tune::SearchOptions().parallel(cores).threads_per_trial(1).out(quiet));
    const double two_seconds = two_clock.seconds();
    const std::clock_t cpu2 = std::clock();
    std::printf("%s", two.table().c_str());
    examples::print_result("tune_boston_bench",
                           {{"trials", one.trials().size()},
                            {"epochs", args.epochs},
                            {"threads", cores},
                            {"one_at_a_time_seconds", one_seconds},
                            {"all_at_once_seconds", two_seconds},
                            {"speedup", one_seconds / two_seconds},
                            {"one_at_a_time_cpu_seconds", double(cpu1 - cpu0) / CLOCKS_PER_SEC},
                            {"all_at_once_cpu_seconds", double(cpu2 - cpu1) / CLOCKS_PER_SEC},
                            {"same_table", one.table() == two.table()}});
    return one.table() == two.table() ? 0 : 1;
  }

  examples::Stopwatch clock;
  const auto result = tune::search(grid, objective, tune::SearchOptions().parallel(parallel));
  std::printf("%s", result.table().c_str());
  const tune::TrialRecord& best = result.best();
  tune::Trial final_trial;
  final_trial.values = best.values, final_trial.epochs = args.epochs;
  final_trial.seed = tune::trial_seed(args.seed, best.id);
  tune::Reporter reporter;
  const double test_mse = train_and_test(final_trial, reporter, parts[0], parts[1]);
  std::printf("best: units %lld, lr %.4g: cross-validated mse %.3f, test mse %.3f\n",
              static_cast<long long>(final_trial.integer("units")), final_trial.real("lr"),
              best.score, test_mse);
  examples::print_result("tune_boston", {{"trials", result.trials().size()},
                                         {"folds", folds},
                                         {"best_units", final_trial.integer("units")},
                                         {"best_lr", final_trial.real("lr")},
                                         {"cv_mse", best.score},
                                         {"test_mse", test_mse},
                                         {"wall_seconds", clock.seconds()}});
  return 0;
} catch (const std::exception& e) {
  return examples::report_error(e);
}
