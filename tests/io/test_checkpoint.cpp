// SPDX-License-Identifier: MIT
// Tests io/checkpoint.cpp and fit()'s checkpoint/resume (train/fit.cpp): every piece of state
// round-trips, mismatches are typed errors, and a resumed run ends bit-identical to a straight one.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/datasets/dataloader.hpp"
#include "axon/io/checkpoint.hpp"
#include "axon/io/serialize.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/dropout.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/optim/adam.hpp"
#include "axon/optim/lr_scheduler.hpp"
#include "axon/optim/sgd.hpp"
#include "axon/train/fit.hpp"
#include "tests/datasets/files.hpp"

namespace axon::test {

using autograd::Generator;

namespace {

/// A classifier with Dropout, so that resuming must also restore random streams.
std::shared_ptr<nn::Sequential> net(std::uint64_t seed) {
  Generator gen(seed);
  return std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(nn::LinearOptions(4, 16), gen), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Dropout>(nn::DropoutOptions(0.3).seed(seed)),
      std::make_shared<nn::Linear>(nn::LinearOptions(16, 3), gen)});
}

datasets::Dataset data(std::size_t n) {
  Generator gen(11);
  std::vector<float> x;
  std::vector<std::size_t> y;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = i % 3;
    for (int f = 0; f < 4; ++f) x.push_back(static_cast<float>(c + gen.normal()));
    y.push_back(c);
  }
  return datasets::Dataset::classification(std::move(x), {4}, std::move(y), 3);
}

/// The message of the axon::Error `fn` throws ("" when it throws nothing).
template <class F>
std::string error_text(F&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

std::string param_bytes(const nn::Module& m) {
  std::string out;
  for (const auto& p : m.parameters()) {
    out.append(reinterpret_cast<const char*>(p.data_ptr()), sizeof(float) * p.numel());
  }
  return out;
}

}  // namespace

TEST_CASE("io/checkpoint: model, optimizer and the rest of the state round-trip exactly") {
  TempDir dir;
  const std::string path = dir.file("train.safetensors");
  auto model = net(1);
  optim::Adam adam(model->parameters(), optim::AdamOptions(0.01).amsgrad(true));
  for (int i = 0; i < 3; ++i) {  // some steps, so that the moments are set
    for (auto& p : model->parameters()) p.grad_data() = xt::ones_like(p.data()) * (0.1f * i + 0.3f);
    adam.step();
  }
  io::TrainingState state;
  state.epoch = 7;
  state.step = 123456789012345ull;
  state.shard_steps = ~std::uint64_t{0};
  state.generators["dropout.2"] = Generator(99).state();
  state.schedulers["0"] = {{"last_epoch", 7}, {"base_lrs.0", 0.1}};
  state.schedulers["plateau"] = {{"best", std::numeric_limits<double>::infinity()},
                                 {"x", std::nextafter(1.0, 2.0)}};
  state.extra["history"] = "{}";
  io::save_training_checkpoint(path, *model, adam, state);

  auto model2 = net(2);
  optim::Adam adam2(model2->parameters(), optim::AdamOptions(0.5).amsgrad(true));
  const io::TrainingState back = io::load_training_checkpoint(path, *model2, adam2);
  CHECK(param_bytes(*model2) == param_bytes(*model));
  CHECK(back.epoch == 7);
  CHECK(back.step == state.step);
  CHECK(back.shard_steps == state.shard_steps);
  CHECK(back.generators == state.generators);
  CHECK(back.schedulers == state.schedulers);
  CHECK(back.extra == state.extra);
  CHECK(adam2.lr(0) == 0.01);
  const auto s1 = adam.state_dict(), s2 = adam2.state_dict();
  CHECK(s1.scalars == s2.scalars);
  REQUIRE(s1.arrays.size() == s2.arrays.size());
  CHECK(s1.arrays.count("state.0.max_exp_avg_sq") == 1);
  for (const auto& [key, array] : s1.arrays) {
    CAPTURE(key);
    CHECK(std::memcmp(array.data(), s2.arrays.at(key).data(), sizeof(float) * array.size()) == 0);
  }

  // The model part reads in Python/NumPy like any checkpoint: names "model.<name>".
  CHECK(io::SafetensorsFile::read_header(path).tensors.size() > 4);
}

TEST_CASE("io/checkpoint: mismatches are typed errors and change nothing") {
  TempDir dir;
  const std::string path = dir.file("train.safetensors");
  auto model = net(1);
  optim::Adam adam(model->parameters(), optim::AdamOptions(0.01));
  io::save_training_checkpoint(path, *model, adam, {});

  auto other = net(3);
  const std::string before = param_bytes(*other);
  optim::SGD sgd(other->parameters(), optim::SGDOptions(0.1));
  CHECK_THROWS_AS(io::load_training_checkpoint(path, *other, sgd), ValueError);  // Adam vs SGD
  optim::Adam adam_other(other->parameters(), optim::AdamOptions(0.3));
  CHECK_THROWS_AS(
      io::load_training_checkpoint(path, *other, adam_other,
                                   [](const io::TrainingState&) { throw ValueError("refused"); }),
      ValueError);
  CHECK(param_bytes(*other) == before);
  CHECK(adam_other.lr(0) == 0.3);

  // A plain model file is not a training checkpoint.
  io::save(*model, dir.file("plain.safetensors"));
  CHECK_THROWS_AS(io::load_training_checkpoint(dir.file("plain.safetensors"), *other, adam_other),
                  IOError);
  // A model whose shapes differ.
  Generator gen(1);
  nn::Sequential small{std::make_shared<nn::Linear>(nn::LinearOptions(4, 2), gen)};
  optim::Adam adam_small(small.parameters());
  CHECK_THROWS_AS(io::load_training_checkpoint(path, small, adam_small), ShapeError);
  // Bad names are refused when saving.
  io::TrainingState bad;
  bad.schedulers["a.b"] = {{"k", 1}};
  CHECK_THROWS_AS(io::save_training_checkpoint(path, *model, adam, bad), ValueError);
  CHECK(io::parse_double(io::format_double(0.1), "x") == 0.1);
  CHECK(std::isnan(io::parse_double(io::format_double(std::nan("")), "x")));
  CHECK_THROWS_AS(io::parse_double("1.5x", "x"), IOError);
  CHECK_THROWS_AS(io::parse_u64("-1", "x"), IOError);
}

TEST_CASE("fit: 4 epochs straight equal 2 epochs, a checkpoint and 2 resumed, bit for bit") {
  for (const bool parallel : {true, false}) {
    CAPTURE(parallel);
    TempDir dir;
    const std::string path = dir.file("run.safetensors");
    std::ostringstream out;
    const auto options = [&](std::size_t epochs, optim::LRScheduler& s) {
      return train::FitOptions()
          .epochs(epochs)
          .parallel(parallel)
          .shard_size(8)
          .seed(5)
          .out(out)
          .metrics({"accuracy"})
          .scheduler(s);
    };
    datasets::DataLoader loader(data(90), datasets::DataLoaderOptions(20).shuffle(true).seed(3));

    auto straight = net(1);
    optim::Adam adam(straight->parameters(), optim::AdamOptions(0.02));
    optim::StepLR step_lr(adam, 1, 0.7);
    const train::History full =
        train::fit(*straight, adam, train::cross_entropy_loss(), loader, options(4, step_lr));

    auto first = net(1);
    optim::Adam adam1(first->parameters(), optim::AdamOptions(0.02));
    optim::StepLR step_lr1(adam1, 1, 0.7);
    train::fit(*first, adam1, train::cross_entropy_loss(), loader,
               options(2, step_lr1).checkpoint(path, 2));
    REQUIRE(std::filesystem::exists(path));
    CHECK(param_bytes(*first) != param_bytes(*straight));

    auto resumed = net(42);  // fresh objects, different initial weights and dropout seed
    optim::Adam adam2(resumed->parameters(), optim::AdamOptions(0.5));
    optim::StepLR step_lr2(adam2, 1, 0.7);
    const train::History rest = train::fit(*resumed, adam2, train::cross_entropy_loss(), loader,
                                           options(4, step_lr2).resume(path));
    CHECK(param_bytes(*resumed) == param_bytes(*straight));
    CHECK(adam2.lr(0) == adam.lr(0));
    CHECK(step_lr2.last_epoch() == 4);
    CHECK(rest.to_csv() == full.to_csv());
    CHECK(rest.epochs() == 4);
  }
}

TEST_CASE("fit: checkpoints every N epochs and after the last; resume checks what it restores") {
  TempDir dir;
  const std::string path = dir.file("run.safetensors");
  std::ostringstream out;
  datasets::DataLoader loader(data(40), datasets::DataLoaderOptions(20).shuffle(true).seed(3));
  auto model = net(1);
  optim::Adam adam(model->parameters(), optim::AdamOptions(0.02));
  std::vector<std::string> epochs_seen;
  auto spy = std::make_shared<train::LambdaCallback>(
      [&](std::size_t, const train::EpochLogs&, train::TrainContext&) {
        if (std::filesystem::exists(path)) {
          epochs_seen.push_back(io::SafetensorsFile::read_header(path).metadata.at("epoch"));
        }
      });
  train::fit(*model, adam, train::cross_entropy_loss(), loader,
             train::FitOptions().epochs(5).out(out).callback(spy).checkpoint(path, 2));
  // The spy runs before the epoch's checkpoint: it sees the previous ones.
  CHECK(epochs_seen == std::vector<std::string>{"2", "2", "4"});
  CHECK(io::SafetensorsFile::read_header(path).metadata.at("epoch") == "5");
  CHECK_THROWS_AS(train::FitOptions().checkpoint(path, 0), ValueError);

  // Resuming a finished run trains nothing and returns the saved history.
  auto again = net(1);
  optim::Adam adam_again(again->parameters(), optim::AdamOptions(0.02));
  const auto h = train::fit(*again, adam_again, train::cross_entropy_loss(), loader,
                            train::FitOptions().epochs(5).out(out).resume(path));
  CHECK(h.epochs() == 5);
  CHECK(param_bytes(*again) == param_bytes(*model));

  // A scheduler the checkpoint does not have, or a model without its Dropout: ValueError.
  auto other = net(2);
  optim::Adam adam_other(other->parameters(), optim::AdamOptions(0.02));
  optim::StepLR extra(adam_other, 1, 0.5);
  const std::string before = param_bytes(*other);
  CHECK_THROWS_AS(train::fit(*other, adam_other, train::cross_entropy_loss(), loader,
                             train::FitOptions().epochs(6).out(out).scheduler(extra).resume(path)),
                  ValueError);
  CHECK(param_bytes(*other) == before);
  CHECK_THROWS_AS(
      train::fit(*other, adam_other, train::cross_entropy_loss(), loader,
                 train::FitOptions().epochs(6).out(out).resume(dir.file("missing.safetensors"))),
      IOError);

  // A checkpoint past the run's epochs trained nothing and said nothing: now a ValueError.
  auto late = net(1);
  optim::Adam adam_late(late->parameters(), optim::AdamOptions(0.02));
  const std::string late_msg = error_text([&] {
    train::fit(*late, adam_late, train::cross_entropy_loss(), loader,
               train::FitOptions().epochs(3).out(out).resume(path));
  });
  CHECK(late_msg.find("epoch 5 in the checkpoint is past the run's 3 epochs") != std::string::npos);
}

TEST_CASE("fit: a checkpoint path that cannot be written fails before the first epoch") {
  // It trained every epoch, then failed at the first save and lost the run.
  TempDir dir;
  std::ostringstream out;
  datasets::DataLoader loader(data(40), datasets::DataLoaderOptions(20).shuffle(true).seed(3));
  auto model = net(1);
  optim::Adam adam(model->parameters(), optim::AdamOptions(0.02));
  const std::string before = param_bytes(*model);
  const std::string bad = dir.file("no/such/dir/run.safetensors");
  std::size_t epochs_run = 0;
  auto spy = std::make_shared<train::LambdaCallback>(
      [&](std::size_t, const train::EpochLogs&, train::TrainContext&) { ++epochs_run; });
  const std::string msg = error_text([&] {
    train::fit(*model, adam, train::cross_entropy_loss(), loader,
               train::FitOptions().epochs(3).out(out).callback(spy).checkpoint(bad, 1));
  });
  CHECK(msg.find("fit: " + bad) != std::string::npos);
  CHECK(msg.find("does not exist") != std::string::npos);
  CHECK(epochs_run == 0);
  CHECK(param_bytes(*model) == before);
}

}  // namespace axon::test
