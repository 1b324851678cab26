// SPDX-License-Identifier: MIT
// The smallest useful Fashion-MNIST model: one hidden layer of 32 ReLU units (784-32-10), softmax
// cross-entropy, Adam (lr 1e-3, batch 128), 5 epochs with train::fit. tests/examples/ expects a
// test accuracy of 0.835 or more at these settings. fashion_mnist_mlp is the bigger, flagship
// version.
#include <cstdio>
#include <memory>

#include "axon/datasets/dataloader.hpp"
#include "axon/datasets/mnist.hpp"
#include "axon/datasets/transforms.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/flatten.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/optim/adam.hpp"
#include "axon/train/fit.hpp"
#include "examples/common.hpp"

using namespace axon;

int main(int argc, char** argv) try {
  examples::Args args;
  args.epochs = 5;
  args.batch_size = 128;
  args.data = datasets::kFashionMnistDir;
  CLI::App app("The smallest useful Fashion-MNIST model: a 784-32-10 ReLU MLP",
               "fashion_mnist_small");
  examples::add_flags(app, args, examples::kAllFlags);
  examples::parse(app, argc, argv, args);

  // Images stay uint8 in memory; each batch is converted to float and scaled to [0, 1].
  datasets::DataLoader train_loader(
      datasets::load_fashion_mnist(datasets::Split::Train, args.data),
      datasets::DataLoaderOptions(args.batch_size).shuffle(true).seed(args.seed));
  train_loader.transform(datasets::scale_to_unit());
  datasets::DataLoader test_loader(datasets::load_fashion_mnist(datasets::Split::Test, args.data),
                                   datasets::DataLoaderOptions(1000));
  test_loader.transform(datasets::scale_to_unit());
  examples::check_evaluation_data(test_loader, "the test set in " + args.data);

  autograd::Generator gen(args.seed);
  nn::Sequential model{std::make_shared<nn::Flatten>(),  // [B,28,28] -> [B,784]
                       std::make_shared<nn::Linear>(nn::LinearOptions(784, 32), gen),
                       std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::Linear>(nn::LinearOptions(32, 10), gen)};
  std::printf("%s\n", model.repr().c_str());
  optim::Adam optimizer(model.parameters(), optim::AdamOptions(1e-3));

  examples::Stopwatch clock;
  train::fit(
      model, optimizer, train::cross_entropy_loss(), train_loader,
      examples::with_checkpoints(
          args, train::FitOptions().epochs(args.epochs).metrics({"accuracy"}).seed(args.seed)));
  const double seconds = clock.seconds();
  const auto test = train::evaluate(model, train::cross_entropy_loss(), test_loader, {"accuracy"});
  const double rate = examples::samples_per_second(args, train_loader.dataset().size(), seconds);
  std::printf("test loss %.4f, test accuracy %.4f; %.1f s, %.0f samples/s with %zu threads\n",
              test.at("loss"), test.at("accuracy"), seconds, rate, train::workers());
  examples::save_parameters(args, model);
  examples::print_result("fashion_mnist_small", {{"epochs", args.epochs},
                                                 {"test_accuracy", test.at("accuracy")},
                                                 {"test_loss", test.at("loss")},
                                                 {"train_seconds", seconds},
                                                 {"samples_per_second", rate},
                                                 {"threads", train::workers()}});
  return 0;
} catch (const std::exception& e) {
  return examples::report_error(e);
}
