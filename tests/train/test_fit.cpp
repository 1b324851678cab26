// SPDX-License-Identifier: MIT
// Tests train/fit.cpp and train/callbacks.cpp on a small separable problem.
#include <doctest/doctest.h>

#include <memory>
#include <sstream>

#include "datasets/dataloader.hpp"
#include "nn/activation.hpp"
#include "nn/linear.hpp"
#include "nn/sequential.hpp"
#include "optim/adam.hpp"
#include "optim/lr_scheduler.hpp"
#include "train/fit.hpp"

namespace axon::test {

using namespace axon;
using autograd::Generator;

namespace {

/// Two Gaussian blobs in 4-D, classes 0 and 1, centred at -1 and +1.
datasets::Dataset blobs(std::size_t n, std::uint64_t seed) {
  Generator gen(seed);
  std::vector<float> x;
  std::vector<std::size_t> y;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = i % 2;
    for (int f = 0; f < 4; ++f)
      x.push_back(static_cast<float>((c ? 1.0 : -1.0) + 0.5 * gen.normal()));
    y.push_back(c);
  }
  return datasets::Dataset::classification(std::move(x), {4}, std::move(y), 2);
}

std::shared_ptr<nn::Sequential> small_mlp(std::uint64_t seed) {
  Generator gen(seed);
  return std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(nn::LinearOptions(4, 8), gen), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(nn::LinearOptions(8, 2), gen)});
}

}  // namespace

TEST_CASE("fit: trains, records history, evaluates, predicts; one line per epoch off a tty") {
  auto model = small_mlp(1);
  optim::Adam adam(model->parameters(), optim::AdamOptions(0.05));
  datasets::DataLoader train_loader(blobs(200, 1), 20, true, 3);
  datasets::DataLoader val_loader(blobs(60, 2), 30);
  std::ostringstream out;
  const auto history =
      train::fit(*model, adam, train::cross_entropy_loss(), train_loader,
                 train::FitOptions().epochs(5).metrics({"accuracy"}).out(out), &val_loader);
  CHECK(history.names() ==
        std::vector<std::string>{"loss", "accuracy", "val_loss", "val_accuracy"});
  CHECK(history.epochs() == 5);
  CHECK(history["loss"].back() < history["loss"].front());
  CHECK(history["val_accuracy"].back() > 0.95);
  const std::string text = out.str();
  CHECK(std::count(text.begin(), text.end(), '\n') == 5);
  CHECK(text.find("Epoch 5/5") != std::string::npos);
  CHECK(text.find("val_accuracy") != std::string::npos);

  const auto logs = train::evaluate(*model, train::cross_entropy_loss(), val_loader,
                                    {"accuracy", "macro_f1"}, "test_");
  CHECK(logs.at("test_accuracy") == doctest::Approx(history["val_accuracy"].back()));
  CHECK(logs.count("test_macro_f1") == 1);
  CHECK(model->is_training());  // evaluate restores the mode
  const auto pred = train::predict(*model, val_loader);
  CHECK(pred.shape() == autograd::Shape{60, 2});
  CHECK_FALSE(pred.requires_grad());
}

TEST_CASE("fit: the parallel and the plain loop train to the same weights") {
  auto run = [](bool parallel) {
    auto model = small_mlp(2);
    optim::Adam adam(model->parameters(), optim::AdamOptions(0.01));
    datasets::DataLoader loader(blobs(64, 4), 16, true, 5);
    std::ostringstream out;
    train::fit(*model, adam, train::cross_entropy_loss(), loader,
               train::FitOptions().epochs(2).parallel(parallel).shard_size(16).out(out));
    return model->parameters()[0].data();
  };
  // One shard per batch: the sharded step does exactly the plain step's arithmetic.
  CHECK(run(true) == run(false));
}

TEST_CASE("fit: Keras-style validation_split, early stopping, checkpoints, schedulers") {
  auto model = small_mlp(3);
  optim::Adam adam(model->parameters(), optim::AdamOptions(0.0));  // lr 0: nothing improves
  optim::StepLR scheduler(adam, 1, 0.5);
  auto early = std::make_shared<train::EarlyStopping>("val_loss", 2);
  std::vector<std::size_t> saved;
  auto checkpoint = std::make_shared<train::CheckpointCallback>(
      3, [&](std::size_t epoch, train::TrainContext&) { saved.push_back(epoch); });
  std::ostringstream out;
  const auto history =
      train::fit(*model, adam, train::cross_entropy_loss(), blobs(100, 5),
                 train::FitOptions()
                     .epochs(10)
                     .batch_size(25)
                     .validation_split(0.2)
                     .out(out)
                     .callback(early)
                     .callback(checkpoint)
                     .callback(std::make_shared<train::LRSchedulerCallback>(scheduler)));
  // Epoch 1 sets the best val_loss; epochs 2 and 3 do not improve: stop after epoch 3.
  CHECK(early->stopped_epoch() == 3);
  CHECK(history.epochs() == 3);
  CHECK(saved == std::vector<std::size_t>{3});
  CHECK(adam.lr(0) == doctest::Approx(0.0));
  CHECK(history.contains("val_loss"));

  CHECK_THROWS_AS(train::fit(*model, adam, train::cross_entropy_loss(), blobs(10, 1),
                             train::FitOptions().validation_split(1.5).out(out)),
                  ValueError);
  auto bad_monitor = std::make_shared<train::EarlyStopping>("val_nothing", 1);
  CHECK_THROWS_AS(train::fit(*model, adam, train::cross_entropy_loss(), blobs(10, 1),
                             train::FitOptions().out(out).callback(bad_monitor)),
                  ValueError);
}

}  // namespace axon::test
