// SPDX-License-Identifier: MIT
// Tests train/fit.cpp and train/callbacks.cpp on a small separable problem.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <sstream>

#include "axon/autograd/autograd.hpp"
#include "axon/datasets/dataloader.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/optim/adam.hpp"
#include "axon/optim/lr_scheduler.hpp"
#include "axon/train/fit.hpp"

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
  datasets::DataLoader train_loader(blobs(200, 1),
                                    datasets::DataLoaderOptions(20).shuffle(true).seed(3));
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
    datasets::DataLoader loader(blobs(64, 4),
                                datasets::DataLoaderOptions(16).shuffle(true).seed(5));
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

namespace {
/// Outputs x x^T: [N, N], so its trailing shape depends on the batch size.
class Gram final : public nn::Module {
 public:
  autograd::Tensor forward(const autograd::Tensor& x) override {
    return autograd::matmul(x, autograd::transpose(x, 0, 1));
  }
};
/// Outputs a 0-d tensor per batch.
class Total final : public nn::Module {
 public:
  autograd::Tensor forward(const autograd::Tensor& x) override { return autograd::sum(x); }
};
}  // namespace

TEST_CASE("predict: outputs that cannot be stacked are a ShapeError naming the shapes") {
  // Batches of 4, 4 and 2 rows: outputs [4,4], [4,4] and [2,2]. Stacking them used to copy
  // 36 values into a [10,4] buffer of 40 without a check; a 0-d output read shape()[0].
  datasets::DataLoader loader(blobs(10, 1), 4);
  Gram gram;
  try {
    (void)train::predict(gram, loader);
    FAIL("expected a ShapeError");
  } catch (const ShapeError& e) {
    const std::string message = e.what();
    CHECK(message.find("predict") != std::string::npos);
    CHECK(message.find("[4,4]") != std::string::npos);
    CHECK(message.find("[2,2]") != std::string::npos);
  }
  Total total;
  CHECK_THROWS_AS(train::predict(total, loader), ShapeError);
  // Batches of equal rows still stack.
  datasets::DataLoader even(blobs(8, 1), 4);
  CHECK(train::predict(gram, even).shape() == autograd::Shape{8, 4});
}

TEST_CASE("evaluate and fit: a validation loader with no batch is a ValueError, not a zero loss") {
  // 10 samples in batches of 16 with drop_last: no batch. evaluate returned loss 0, so fit
  // recorded val_loss 0 every epoch and EarlyStopping took it as the best value.
  auto model = small_mlp(4);
  datasets::DataLoader empty(blobs(10, 1), datasets::DataLoaderOptions(16).drop_last(true));
  REQUIRE(empty.num_batches() == 0);
  CHECK_THROWS_WITH_AS(train::evaluate(*model, train::cross_entropy_loss(), empty, {"accuracy"}),
                       doctest::Contains("evaluate: the loader produced no batch"), ValueError);
  optim::Adam adam(model->parameters());
  datasets::DataLoader train_loader(blobs(20, 2), 10);
  std::ostringstream out;
  const xt::xarray<float> weight = model->parameters()[0].data();
  CHECK_THROWS_WITH_AS(train::fit(*model, adam, train::cross_entropy_loss(), train_loader,
                                  train::FitOptions().out(out), &empty),
                       doctest::Contains("fit: the validation loader produces no batch"),
                       ValueError);
  CHECK(model->parameters()[0].data() == weight);  // refused before training
}

TEST_CASE("fit: EarlyStopping with restore_best_weights puts back the best epoch's weights") {
  auto model = small_mlp(6);
  optim::Adam adam(model->parameters(), optim::AdamOptions(0.05));
  datasets::DataLoader loader(blobs(40, 1), 10);
  std::vector<xt::xarray<float>> after_epoch_1;
  auto snapshot = std::make_shared<train::LambdaCallback>(
      [&](std::size_t epoch, const train::EpochLogs&, train::TrainContext& ctx) {
        if (epoch != 1) return;
        for (auto& p : ctx.model.parameters()) after_epoch_1.push_back(p.data());
      });
  // "max" on a falling loss: epoch 1 is the best, epochs 2 and 3 are not; stop after 3.
  auto early = std::make_shared<train::EarlyStopping>("loss", 2, 0.0, "max", true);
  std::ostringstream out;
  const auto history =
      train::fit(*model, adam, train::cross_entropy_loss(), loader,
                 train::FitOptions().epochs(6).out(out).callback(snapshot).callback(early));
  CHECK(early->stopped_epoch() == 3);
  CHECK(history["loss"][2] < history["loss"][0]);
  std::vector<xt::xarray<float>> restored;
  for (auto& p : model->parameters()) restored.push_back(p.data());
  CHECK(restored == after_epoch_1);
}

TEST_CASE("fit: a NaN loss stops training with an error naming the epoch and the step") {
  // Regression: a model whose weights had turned NaN trained on, and its NaN outputs scored an
  // accuracy of 1.0 in the history. The first layer's weights become NaN after epoch 2, so the
  // first step of epoch 3 has a NaN loss.
  auto run = [](train::FitOptions options) {
    auto model = small_mlp(3);
    optim::Adam adam(model->parameters(), optim::AdamOptions(0.05));
    datasets::DataLoader loader(blobs(80, 6),
                                datasets::DataLoaderOptions(10).shuffle(true).seed(7));
    std::ostringstream out;
    auto poison = std::make_shared<train::LambdaCallback>(
        [&](std::size_t epoch, const train::EpochLogs&, train::TrainContext&) {
          if (epoch != 2) return;
          autograd::Tensor w = model->named_parameters().front().second;
          w.mutable_data().fill(std::numeric_limits<float>::quiet_NaN());
        });
    return train::fit(*model, adam, train::cross_entropy_loss(), loader,
                      options.epochs(4).metrics({"accuracy"}).callback(poison).out(out));
  };
  SUBCASE("on by default") {
    CHECK_THROWS_WITH_AS(run(train::FitOptions()),
                         "fit: the loss is nan at epoch 3 of 4, step 1 of the epoch; training "
                         "stopped (FitOptions().terminate_on_nan(false) trains on)",
                         NumericalError);
  }
  SUBCASE("turned off, training goes on and the NaN model scores no accuracy") {
    const auto history = run(train::FitOptions().terminate_on_nan(false));
    REQUIRE(history.epochs() == 4);
    CHECK(std::isfinite(history["loss"][1]));
    CHECK(history["accuracy"][1] > 0.8);
    CHECK(std::isnan(history["loss"][3]));
    CHECK(history["accuracy"][3] == 0.0);
  }
  SUBCASE("an infinite loss too, named as such") {
    train::TerminateOnNaN guard;
    auto model = small_mlp(4);
    optim::Adam adam(model->parameters());
    train::History history;
    train::TrainContext ctx{*model, adam, history, 7};
    guard.on_train_begin(ctx);
    guard.on_epoch_begin(5, ctx);
    guard.on_batch_end(0, 0.25, ctx);
    CHECK_THROWS_WITH_AS(guard.on_batch_end(11, INFINITY, ctx),
                         doctest::Contains("the loss is infinite at epoch 5 of 7, step 12"),
                         NumericalError);
  }
}

TEST_CASE("fit: the DataLoader overload refuses the Dataset overload's options, naming them") {
  // Regression: fit(model, opt, loss, loader, FitOptions().validation_split(0.1)) used to train
  // without any validation and say nothing.
  auto model = small_mlp(4);
  optim::Adam adam(model->parameters(), optim::AdamOptions(1e-2));
  datasets::DataLoader loader(blobs(40, 2), datasets::DataLoaderOptions(10));
  const auto before = model->parameters().front().data();
  std::ostringstream out;
  auto fit_with = [&](train::FitOptions options) {
    train::fit(*model, adam, train::cross_entropy_loss(), loader, options.out(out));
  };
  const std::string tail =
      " set, but they apply to fit(model, optimizer, loss, dataset, options) only; with a "
      "DataLoader, set them on the loader (DataLoaderOptions) and pass a validation loader";
  CHECK_THROWS_WITH_AS(fit_with(train::FitOptions().validation_split(0.1)),
                       ("fit: validation_split" + tail).c_str(), ValueError);
  CHECK_THROWS_WITH_AS(fit_with(train::FitOptions().batch_size(32).shuffle(false)),
                       ("fit: batch_size, shuffle" + tail).c_str(), ValueError);
  CHECK_THROWS_WITH_AS(fit_with(train::FitOptions().transform([](datasets::Batch& b) { (void)b; })),
                       ("fit: transform" + tail).c_str(), ValueError);
  CHECK(model->parameters().front().data() == before);  // refused before any step

  // The Dataset overload takes all four, and validates on the held-out part.
  std::size_t transformed = 0;
  const auto history = train::fit(*model, adam, train::cross_entropy_loss(), blobs(40, 2),
                                  train::FitOptions()
                                      .epochs(2)
                                      .batch_size(10)
                                      .shuffle(false)
                                      .validation_split(0.25)
                                      .transform([&](datasets::Batch&) { ++transformed; })
                                      .out(out));
  CHECK(history["val_loss"].size() == 2);
  CHECK(transformed == 2 * (3 + 1));  // 30 training and 10 validation samples, batches of 10
}

}  // namespace axon::test
