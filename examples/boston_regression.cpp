// SPDX-License-Identifier: MIT
// Boston house prices: a 13-10-1 ReLU network regresses the median value (in $1000s) from 13
// standardised features, trained full batch with Adam on a fixed 80/20 split. The result compares
// the test MSE with the baseline that always predicts the training mean (tests/examples/ expects
// it 4x lower; Adam's default lr 1e-3 is too slow for 1,000 full-batch steps here: it reaches 1.2x
// to 3.8x).
#include <cstdio>
#include <memory>
#include <numeric>

#include "axon/datasets/bundled.hpp"
#include "axon/datasets/dataloader.hpp"
#include "axon/datasets/split.hpp"
#include "axon/datasets/transforms.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/losses.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/optim/adam.hpp"
#include "axon/train/metrics.hpp"
#include "examples/common.hpp"

using namespace axon;

/// All of `data` as one batch, inputs standardised with `scaler`.
datasets::Batch whole(const datasets::Dataset& data, const datasets::Standardizer& scaler) {
  datasets::DataLoader loader(data, data.size());
  loader.transform(scaler);
  return *loader.begin();
}

int main(int argc, char** argv) try {
  examples::Args args;
  args.epochs = 1000;
  args.seed = 2;  // the split and the initialisation; seeds 0-9 give 4.1x to 12x the baseline
  args.data = datasets::default_data_dir();
  CLI::App app("Boston house prices: a 13-10-1 ReLU regression, full batch Adam",
               "boston_regression");
  examples::add_flags(app, args,
                      examples::kEpochs | examples::kThreads | examples::kSeed | examples::kData |
                          examples::kSave | examples::kCheckpoint | examples::kResume);
  examples::parse(app, argc, argv, args);

  const auto boston = datasets::load_boston(args.data);
  const auto parts = datasets::random_split(boston.data, {0.8, 0.2}, args.seed);
  const datasets::Dataset& train_set = parts[0];
  const datasets::Dataset& test_set = parts[1];
  datasets::Standardizer scaler;
  scaler.fit(train_set);  // training statistics only: the test set stays unseen
  const datasets::Batch train = whole(train_set, scaler), test = whole(test_set, scaler);
  std::printf("Boston: %zu training and %zu test samples, %zu features\n", train_set.size(),
              test_set.size(), boston.feature_names.size());

  autograd::Generator gen(args.seed);
  nn::Sequential model{std::make_shared<nn::Linear>(nn::LinearOptions(13, 10), gen),
                       std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::Linear>(nn::LinearOptions(10, 1), gen)};
  optim::Adam optimizer(model.parameters(), optim::AdamOptions(0.01));

  examples::Stopwatch clock;
  const std::size_t done = examples::resume_training(args, model, optimizer);
  for (std::size_t epoch = done + 1; epoch <= args.epochs; ++epoch) {
    optimizer.zero_grad();
    auto loss = nn::mse_loss(model(train.inputs), train.targets);
    loss.backward();
    optimizer.step();
    if (epoch % std::max<std::size_t>(args.epochs / 10, 1) == 0) {
      std::printf("epoch %5zu  train mse %8.3f\n", epoch, loss.item());
    }
  }
  const double seconds = clock.seconds();
  examples::save_checkpoint(args, model, optimizer, std::max(done, args.epochs));

  autograd::NoGradGuard no_grad;
  model.eval();
  const double test_mse = train::mean_squared_error(model(test.inputs), test.targets);
  const auto& y = train.targets.data();
  const float train_mean = std::accumulate(y.begin(), y.end(), 0.0f) / y.size();
  const auto baseline = autograd::full<float>(test.targets.shape(), train_mean);
  const double baseline_mse = train::mean_squared_error(baseline, test.targets);
  std::printf("test mse %.3f, baseline (always %.2f) %.3f: %.1fx better\n", test_mse, train_mean,
              baseline_mse, baseline_mse / test_mse);

  examples::save_parameters(args, model);  // "0.weight", ...
  examples::print_result("boston_regression", {{"epochs", args.epochs},
                                               {"test_mse", test_mse},
                                               {"baseline_mse", baseline_mse},
                                               {"improvement", baseline_mse / test_mse},
                                               {"train_seconds", seconds}});
  return 0;
} catch (const std::exception& e) {
  return examples::report_error(e);
}
