// SPDX-License-Identifier: MIT
// The flagship: a 784-64-64-10 ReLU MLP classifies Fashion-MNIST's 28x28 clothing images with
// softmax cross-entropy and Adam (lr 1e-3, batch 128) for 10 epochs, trained batch-parallel by
// train::fit. PyTorch reaches a test accuracy of 0.872-0.877 with this model and these settings
// (scripts/pytorch_examples.py, seeds 0-2); tests/examples/ expects 0.865 or more.
// It evaluates the test set after each epoch (as pytorch/examples' mnist.cpp) and writes the
// learning curves, training beside test, as SVG to --curves (default
// fashion_mnist_mlp_curves.svg), then prints the path.
#include <cstdio>
#include <string>

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
  args.epochs = 10;
  args.batch_size = 128;
  args.data = datasets::kFashionMnistDir;
  std::string curves = "fashion_mnist_mlp_curves.svg";
  CLI::App app("The flagship: a 784-64-64-10 ReLU MLP on Fashion-MNIST", "fashion_mnist_mlp");
  examples::add_flags(app, args, examples::kAllFlags);
  examples::add_text(app, "--curves", curves, "PATH", "write the learning curves as SVG to PATH")
      ->capture_default_str();
  examples::parse(app, argc, argv, args);
  io::check_output_path(curves, "--curves");  // before training, as --save and --checkpoint

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
  nn::Sequential model;
  model.add<nn::Flatten>();  // [B,28,28] -> [B,784]
  model.add<nn::Linear>(784, 64, gen);
  model.add<nn::ReLU>();
  model.add<nn::Linear>(64, 64, gen);
  model.add<nn::ReLU>();
  model.add<nn::Linear>(64, 10, gen);
  std::printf("%s\n", model.repr().c_str());
  optim::Adam optimizer(model.parameters(), optim::AdamOptions(1e-3));

  examples::Stopwatch clock;
  const train::History history = train::fit(
      model, optimizer, train::cross_entropy_loss(), train_loader,
      examples::with_checkpoints(
          args, train::FitOptions().epochs(args.epochs).metrics({"accuracy"}).seed(args.seed)),
      &test_loader);
  const double seconds = clock.seconds();
  history.write_svg(curves, "fashion_mnist_mlp: learning curves");
  std::printf("learning curves: %s\n", curves.c_str());
  const auto test = train::evaluate(model, train::cross_entropy_loss(), test_loader, {"accuracy"});
  const double rate = examples::samples_per_second(args, train_loader.dataset().size(), seconds);
  std::printf("test loss %.4f, test accuracy %.4f; %.1f s, %.0f samples/s with %zu threads\n",
              test.at("loss"), test.at("accuracy"), seconds, rate, train::workers());
  examples::save_parameters(args, model);
  examples::print_result("fashion_mnist_mlp", {{"epochs", args.epochs},
                                               {"test_accuracy", test.at("accuracy")},
                                               {"test_loss", test.at("loss")},
                                               {"train_seconds", seconds},
                                               {"samples_per_second", rate},
                                               {"threads", train::workers()}});
  return 0;
} catch (const std::exception& e) {
  return examples::report_error(e);
}
