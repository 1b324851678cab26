// SPDX-License-Identifier: MIT
// Fashion-MNIST: successive halving over an MLP's learning rate (log), batch size, hidden units,
// depth, optimizer (SGD with momentum / Adam / RMSprop), L2 penalty and dropout, scored by
// accuracy on 10,000 images held out of the training set. Promoted trials continue from their
// training checkpoint. Then: the best model and an ensemble of the k best on the test set, the
// flagship's hand-picked settings on the same validation split, the table and an SVG.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "axon/datasets/dataloader.hpp"
#include "axon/datasets/mnist.hpp"
#include "axon/datasets/split.hpp"
#include "axon/datasets/transforms.hpp"
#include "axon/io/serialize.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/dropout.hpp"
#include "axon/nn/ensemble.hpp"
#include "axon/nn/flatten.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/optim/adam.hpp"
#include "axon/optim/rmsprop.hpp"
#include "axon/optim/sgd.hpp"
#include "axon/train/fit.hpp"
#include "axon/tune/search.hpp"
#include "examples/common.hpp"

using namespace axon;

/// The MLP a trial's values describe: depth x (Linear, ReLU, Dropout), then Linear to 10.
std::shared_ptr<nn::Sequential> build_model(const tune::Trial& trial) {
  autograd::Generator gen(trial.seed);
  auto model = std::make_shared<nn::Sequential>();
  model->add(std::make_shared<nn::Flatten>());  // [B,28,28] -> [B,784]
  std::size_t in = 784;
  const auto units = static_cast<std::size_t>(trial.integer("units"));
  for (std::int64_t layer = 0; layer < trial.integer("depth"); ++layer) {
    model->add(std::make_shared<nn::Linear>(nn::LinearOptions(in, units), gen));
    model->add(std::make_shared<nn::ReLU>());
    model->add(std::make_shared<nn::Dropout>(nn::DropoutOptions(trial.real("dropout"))));
    in = units;
  }
  model->add(std::make_shared<nn::Linear>(nn::LinearOptions(in, 10), gen));
  return model;
}

/// The trial's optimizer, with its L2 penalty as weight decay.
std::unique_ptr<optim::Optimizer> build_optimizer(const tune::Trial& trial, nn::Module& model) {
  const double lr = trial.real("lr"), l2 = trial.real("l2");
  const std::string& name = trial.text("optimizer");
  if (name == "sgd") {
    return std::make_unique<optim::SGD>(
        model.parameters(),
        optim::SGDOptions(lr).momentum(trial.real("momentum")).weight_decay(l2));
  }
  if (name == "adam") {
    return std::make_unique<optim::Adam>(model.parameters(),
                                         optim::AdamOptions(lr).weight_decay(l2));
  }
  return std::make_unique<optim::RMSprop>(model.parameters(),
                                          optim::RMSpropOptions(lr).weight_decay(l2));
}

/// Batches of `data` scaled to [0, 1], shuffled with `seed` when `shuffle`.
datasets::DataLoader loader(const datasets::Dataset& data, std::size_t batch, bool shuffle,
                            std::uint64_t seed = 0) {
  datasets::DataLoader out(data, datasets::DataLoaderOptions(batch).shuffle(shuffle).seed(seed));
  out.transform(datasets::scale_to_unit());
  return out;
}

int main(int argc, char** argv) try {
  examples::Args args;
  args.data = datasets::kFashionMnistDir;
  args.seed = 1;
  std::size_t trials = 27, min_epochs = 1, max_epochs = 9, parallel = 2, ensemble_size = 3;
  std::size_t baseline_epochs = 10, limit = 50000;
  std::string out_dir = "tune_mlp_out";
  CLI::App app("Successive halving over an MLP's settings on Fashion-MNIST", "tune_mlp");
  examples::add_flags(app, args, examples::kSeed | examples::kData | examples::kThreads);
  examples::add_integer(app, "--trials", trials, "N", "trials at the first rung");
  examples::add_integer(app, "--min-epochs", min_epochs, "E", "epochs at the first rung");
  examples::add_integer(app, "--max-epochs", max_epochs, "E", "epochs at the last rung");
  examples::add_integer(app, "--parallel", parallel, "P", "trials at once");
  examples::add_integer(app, "--ensemble", ensemble_size, "K", "models in the ensemble");
  examples::add_integer(app, "--baseline-epochs", baseline_epochs, "E",
                        "epochs of the flagship's settings, 0: skip");
  examples::add_integer(app, "--limit", limit, "N", "training images searched on");
  examples::add_text(app, "--out", out_dir, "DIR", "journal, models and SVG")
      ->capture_default_str();
  examples::parse(app, argc, argv, args);

  // 50,000 training and 10,000 validation images out of the 60,000; the test set stays unseen.
  const auto full = datasets::load_fashion_mnist(datasets::Split::Train, args.data);
  const auto parts = datasets::random_split(full, {5.0 / 6.0, 1.0 / 6.0}, args.seed);
  autograd::Generator gen(args.seed);
  std::vector<std::size_t> chosen = datasets::permutation(parts[0].size(), gen);
  chosen.resize(std::min(limit, chosen.size()));  // --limit: a random subset, for quick runs
  std::sort(chosen.begin(), chosen.end());
  const auto train_set = parts[0].subset(chosen);
  const auto& val_set = parts[1];
  const auto test_set = datasets::load_fashion_mnist(datasets::Split::Test, args.data);
  // Checked before the search, which takes hours: the model selection needs validation data and
  // the final evaluation test data.
  examples::check_evaluation_data(loader(val_set, 1000, false), "the validation set");
  examples::check_evaluation_data(loader(test_set, 1000, false), "the test set in " + args.data);

  tune::Space space;
  space.real("lr", 1e-4, 1e-1, /*log=*/true)
      .choice("batch_size", {64, 128, 256})
      .choice("units", {64, 128, 256})
      .integer("depth", 1, 3)
      .choice("optimizer", {"sgd", "adam", "rmsprop"})
      .real("momentum", 0.5, 0.95)
      .when("optimizer", {"sgd"})
      .real("l2", 1e-7, 1e-3, /*log=*/true)
      .real("dropout", 0.0, 0.3);

  auto objective = [&](const tune::Trial& trial, tune::Reporter& reporter) {
    auto model = build_model(trial);
    auto optimizer = build_optimizer(trial, *model);
    auto train_loader = loader(train_set, trial.integer("batch_size"), true, trial.seed);
    auto val_loader = loader(val_set, 1000, false);
    auto options = train::FitOptions().epochs(trial.epochs).metrics({"accuracy"}).verbose(0);
    options.seed(trial.seed).callback(reporter.callback("val_accuracy"));
    if (!trial.checkpoint.empty()) {  // a promoted trial continues where its last rung stopped
      if (trial.rung > 0 && std::filesystem::exists(trial.checkpoint))
        options.resume(trial.checkpoint);
      options.checkpoint(trial.checkpoint);
    }
    train::fit(*model, *optimizer, train::cross_entropy_loss(), train_loader, options, &val_loader);
    reporter.save(*model);
    return reporter.curve().back();
  };

  examples::Stopwatch clock;
  std::filesystem::create_directories(out_dir);
  const tune::SuccessiveHalving strategy(space, trials, min_epochs, max_epochs, 3, args.seed);
  const auto result = tune::search(strategy, objective,
                                   tune::SearchOptions()
                                       .maximize()
                                       .journal(out_dir + "/journal.jsonl")
                                       .model_dir(out_dir + "/models")
                                       .parallel(parallel));
  std::printf("%s", result.table().c_str());
  result.write_svg(out_dir + "/search.svg", space);

  // The best model and the ensemble of the k best (at the last rung reached) on the test set.
  auto test_loader = loader(test_set, 1000, false);
  std::vector<std::shared_ptr<nn::Module>> members;
  for (const tune::TrialRecord& r : result.trials()) {
    if (!r.ok() || r.rung != result.best().rung || members.size() == ensemble_size) continue;
    tune::Trial trial;
    trial.values = r.values, trial.seed = tune::trial_seed(args.seed, r.id);
    members.push_back(build_model(trial));
    io::load(*members.back(), result.model_path(r.id));
  }
  const auto metrics = std::vector<std::string>{"accuracy"};
  const double best_test =
      train::evaluate(*members[0], train::cross_entropy_loss(), test_loader, metrics)
          .at("accuracy");
  nn::Ensemble ensemble(members, nn::EnsembleMode::kProbabilities);
  const double ensemble_test =
      train::evaluate(ensemble, train::cross_entropy_loss(), test_loader, metrics).at("accuracy");
  const double search_seconds = clock.seconds();

  // The flagship's hand-picked settings (784-64-64-10, Adam 1e-3, batch 128) on the same split.
  double baseline_val = 0;
  if (baseline_epochs > 0) {
    tune::Trial flagship;
    flagship.values = {{"units", std::int64_t{64}},
                       {"depth", std::int64_t{2}},
                       {"dropout", 0.0},
                       {"lr", 1e-3},
                       {"l2", 0.0},
                       {"optimizer", "adam"}};
    flagship.seed = args.seed;
    auto model = build_model(flagship);
    auto optimizer = build_optimizer(flagship, *model);
    auto train_loader = loader(train_set, 128, true, args.seed);
    auto val_loader = loader(val_set, 1000, false);
    train::fit(*model, *optimizer, train::cross_entropy_loss(), train_loader,
               train::FitOptions().epochs(baseline_epochs).verbose(0).seed(args.seed));
    baseline_val =
        train::evaluate(*model, train::cross_entropy_loss(), val_loader, metrics).at("accuracy");
  }
  std::printf(
      "best trial %zu: validation %.4f, test %.4f; ensemble of %zu: test %.4f; "
      "flagship settings: validation %.4f\n",
      result.best().id, result.best().score, best_test, members.size(), ensemble_test,
      baseline_val);
  nlohmann::ordered_json result_fields;
  for (const auto& [name, value] : result.best().values)
    result_fields["best_" + name] = tune::to_string(value);
  result_fields.update({{"best_val_accuracy", result.best().score},
                        {"best_test_accuracy", best_test},
                        {"ensemble_size", members.size()},
                        {"ensemble_test_accuracy", ensemble_test},
                        {"baseline_val_accuracy", baseline_val},
                        {"beats_baseline", result.best().score > baseline_val},
                        {"ensemble_at_least_best", ensemble_test >= best_test},
                        {"trials", result.trials().size()},
                        {"trial_runs", result.records().size()},
                        {"search_seconds", search_seconds},
                        {"wall_seconds", clock.seconds()}});
  examples::print_result("tune_mlp", result_fields);
  return 0;
} catch (const std::exception& e) {
  return examples::report_error(e);
}
