// SPDX-License-Identifier: MIT
// Tests tune/search.cpp and tune/result.cpp: replaying a journal, failing trials, the
// consecutive-failure stop, parallel trials giving the same table, successive halving on a
// synthetic objective, the table and the SVG.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "axon/datasets/synthetic.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/optim/adam.hpp"
#include "axon/optim/sgd.hpp"
#include "axon/train/fit.hpp"
#include "axon/tune/journal.hpp"
#include "axon/tune/search.hpp"
#include "tests/datasets/files.hpp"
#include "tests/tune/helpers.hpp"

namespace axon::test {

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("tune: a search with a journal skips finished trials when started again") {
  TempDir dir;
  const std::string journal = dir.file("search.jsonl");
  const tune::RandomSearch strategy(small_space(), 12, 3);
  std::atomic<int> calls{0};
  auto objective = [&](const tune::Trial& trial, tune::Reporter&) {
    ++calls;
    return synthetic_score(trial);
  };
  std::ostringstream quiet;
  const auto reference = tune::search(strategy, objective, tune::SearchOptions().out(quiet));
  CHECK(calls == 12);
  CHECK(reference.trials().size() == 12);
  // Ranked best first.
  for (std::size_t i = 1; i < reference.trials().size(); ++i) {
    CHECK(reference.trials()[i - 1].score <= reference.trials()[i].score);
  }
  calls = 0;
  const auto first =
      tune::search(strategy, objective, tune::SearchOptions().journal(journal).out(quiet));
  CHECK(calls == 12);
  calls = 0;
  const auto again =
      tune::search(strategy, objective, tune::SearchOptions().journal(journal).out(quiet));
  CHECK(calls == 0);
  CHECK(again.table() == reference.table());
  CHECK(first.table() == reference.table());
  CHECK(again.best().id == reference.best().id);
  // 1 header line + 12 records.
  const std::string text = read_text(journal);
  CHECK(std::count(text.begin(), text.end(), '\n') == 13);

  // A different search must not reuse this journal.
  const tune::RandomSearch other(small_space(), 12, 4);
  CHECK_THROWS_WITH_AS(
      tune::search(other, objective, tune::SearchOptions().journal(journal).out(quiet)),
      doctest::Contains("another search"), ValueError);
}

TEST_CASE("tune: a throwing, a NaN and a diverging trial are recorded and the search goes on") {
  TempDir dir;
  tune::Space space;
  space.choice("kind", {"ok", "throw", "nan", "diverge", "nan-report", "ok2"});
  auto objective = [](const tune::Trial& trial, tune::Reporter& reporter) -> double {
    const std::string& kind = trial.text("kind");
    if (kind == "throw") throw std::runtime_error("out of memory in layer 3");
    if (kind == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (kind == "diverge") {
      for (double loss : {1.0, 2.0, 50.0}) reporter.check_loss(loss);
    }
    if (kind == "nan-report") reporter.report(1, std::nan(""));
    return kind == "ok" ? 1.0 : 2.0;
  };
  std::ostringstream log;
  const std::string journal = dir.file("j.jsonl");
  const auto options = tune::SearchOptions().journal(journal).out(log).max_failures(5);
  const auto result = tune::search(tune::GridSearch(space), objective, options);
  REQUIRE(result.trials().size() == 6);
  CHECK(result.best().values.at("kind") == tune::Value("ok"));
  std::size_t failed = 0;
  for (const auto& r : result.trials()) {
    if (r.ok()) continue;
    ++failed;
    CHECK(std::isnan(r.score));
    const std::string kind = std::get<std::string>(r.values.at("kind"));
    if (kind == "throw") CHECK(r.message == "out of memory in layer 3");
    if (kind == "nan") CHECK(r.message.find("nan") != std::string::npos);
    if (kind == "diverge") CHECK(r.message.find("diverged") != std::string::npos);
    if (kind == "nan-report") CHECK(r.message.find("score nan after epoch 1") != std::string::npos);
  }
  CHECK(failed == 4);
  // Failed trials sort last and show their message in the table.
  CHECK(!result.trials()[2].ok());
  CHECK(result.table().find("(out of memory in layer 3)") != std::string::npos);
  // A restart replays the failures too: nothing runs again.
  int calls = 0;
  const auto again = tune::search(
      tune::GridSearch(space),
      [&](const tune::Trial& t, tune::Reporter& r) {
        ++calls;
        return objective(t, r);
      },
      options);
  CHECK(calls == 0);
  CHECK(again.table() == result.table());
}

TEST_CASE("tune: N failures in a row stop the search with the last message") {
  tune::Space space;
  space.integer("i", 0, 9);
  int calls = 0;
  auto objective = [&](const tune::Trial& trial, tune::Reporter&) -> double {
    ++calls;
    if (trial.integer("i") >= 2)
      throw std::runtime_error("bad i=" + std::to_string(trial.integer("i")));
    return 1.0;
  };
  std::ostringstream log;
  CHECK_THROWS_WITH_AS(
      tune::search(tune::GridSearch(space), objective,
                   tune::SearchOptions().max_failures(3).out(log)),
      doctest::Contains("3 failed trials in a row; the last: trial 4 (i=4): bad i=4"),
      tune::SearchError);
  CHECK(calls == 5);
  // max_failures(0): never stop.
  calls = 0;
  const auto result = tune::search(tune::GridSearch(space), objective,
                                   tune::SearchOptions().max_failures(0).out(log));
  CHECK(calls == 10);
  CHECK(result.best().id == 0);
  // Every trial failing: best() is a ValueError, not a crash.
  const auto all_failed = tune::search(
      tune::GridSearch(space),
      [](const tune::Trial&, tune::Reporter&) -> double { throw std::runtime_error("no"); },
      tune::SearchOptions().max_failures(0).out(log));
  CHECK_THROWS_AS(all_failed.best(), ValueError);
}

TEST_CASE("tune: trials in parallel give the same table as one at a time") {
  const tune::RandomSearch strategy(small_space(), 16, 11);
  std::mutex mutex;
  std::set<std::thread::id> threads;
  auto objective = [&](const tune::Trial& trial, tune::Reporter& reporter) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      threads.insert(std::this_thread::get_id());
    }
    for (std::size_t epoch = 1; epoch <= 3; ++epoch) {
      reporter.report(epoch, synthetic_score(trial) / double(epoch));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return synthetic_score(trial);
  };
  std::ostringstream log;
  const auto one = tune::search(strategy, objective, tune::SearchOptions().out(log));
  threads.clear();
  const auto four = tune::search(strategy, objective,
                                 tune::SearchOptions().parallel(4).threads_per_trial(1).out(log));
  CHECK(threads.size() > 1);
  CHECK(one.table() == four.table());
  REQUIRE(four.records().size() == 16);
  for (std::size_t i = 0; i < 16; ++i) {
    CHECK(four.records()[i].id == i);  // records in the strategy's order, not completion order
    CHECK(four.records()[i].curve == one.records()[i].curve);
  }
}

TEST_CASE("tune: successive halving promotes the best third of each rung") {
  tune::Space space;
  space.real("x", 0.0, 1.0);
  const tune::SuccessiveHalving strategy(space, 9, 1, 9, 3, 21);
  std::vector<std::pair<std::size_t, std::size_t>> runs;  // (id, epochs)
  // Score grows with x and with the epochs: the ranking by x is the same at every budget.
  auto objective = [&](const tune::Trial& trial, tune::Reporter& reporter) {
    runs.emplace_back(trial.id, trial.epochs);
    double score = 0;
    for (std::size_t e = 1; e <= trial.epochs; ++e) {
      score = trial.real("x") * (1.0 - 1.0 / double(e + 1));
      reporter.report(e, score);
    }
    return score;
  };
  std::ostringstream log;
  const auto result = tune::search(strategy, objective, tune::SearchOptions().maximize().out(log));
  // Expected: rank the 9 draws by x; the top 3 get 3 epochs, the top 1 gets 9.
  std::vector<std::pair<double, std::size_t>> by_x;
  for (std::size_t id = 0; id < 9; ++id) {
    by_x.emplace_back(std::get<double>(space.sample(21, id).at("x")), id);
  }
  std::sort(by_x.rbegin(), by_x.rend());
  std::vector<std::pair<std::size_t, std::size_t>> expected;
  for (std::size_t id = 0; id < 9; ++id) expected.emplace_back(id, 1);
  std::vector<std::size_t> top3 = {by_x[0].second, by_x[1].second, by_x[2].second};
  std::sort(top3.begin(), top3.end());
  for (std::size_t id : top3) expected.emplace_back(id, 3);
  expected.emplace_back(by_x[0].second, 9);
  CHECK(runs == expected);
  CHECK(result.best().id == by_x[0].second);
  CHECK(result.best().epochs == 9);
  CHECK(result.best().curve.size() == 9);
  // The table lists each trial once, at its highest rung: the winner, the two stopped at rung 1,
  // then the six stopped at rung 0.
  REQUIRE(result.trials().size() == 9);
  CHECK(result.trials()[1].rung == 1);
  CHECK(result.trials()[3].rung == 0);
  CHECK(result.trials()[3].id == by_x[3].second);
}

TEST_CASE("tune: successive halving never promotes a failed trial") {
  tune::Space space;
  space.real("x", 0.0, 1.0);
  const tune::SuccessiveHalving strategy(space, 4, 1, 2, 2, 1);
  // All but one trial fail at rung 0: only that one is promoted, although floor(4 / 2) = 2.
  std::vector<std::size_t> promoted;
  auto objective = [&](const tune::Trial& trial, tune::Reporter&) -> double {
    if (trial.rung == 1) promoted.push_back(trial.id);
    if (trial.id != 2) throw std::runtime_error("fails");
    return 1.0;
  };
  std::ostringstream log;
  tune::search(strategy, objective, tune::SearchOptions().max_failures(0).out(log));
  CHECK(promoted == std::vector<std::size_t>{2});
}

TEST_CASE("tune: the best model is copied and the SVG drawn") {
  TempDir dir;
  tune::Space space = small_space();
  std::ostringstream log;
  const auto result = tune::search(
      tune::RandomSearch(space, 6, 2),
      [](const tune::Trial& trial, tune::Reporter& reporter) {
        // Stand-in for a model file: the trial's own bytes, so the copy can be checked.
        std::ofstream(reporter.model_path()) << "trial " << trial.id;
        return synthetic_score(trial);
      },
      tune::SearchOptions().model_dir(dir.file("models")).out(log));
  CHECK(read_text(dir.file("models/best.safetensors")) ==
        "trial " + std::to_string(result.best().id));
  result.write_svg(dir.file("search.svg"), space);
  const std::string svg = read_text(dir.file("search.svg"));
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("score against lr") != std::string::npos);
  CHECK(svg.find("score against optimizer") != std::string::npos);
  // One circle per trial in the first panel, one per trial with the parameter in the others.
  std::size_t circles = 0;
  for (std::size_t p = svg.find("<circle"); p != std::string::npos;
       p = svg.find("<circle", p + 1)) {
    ++circles;
  }
  std::size_t with_momentum = 0;
  for (const auto& r : result.trials()) with_momentum += r.values.count("momentum");
  CHECK(circles == 6 + 6 + 6 + with_momentum + 6);
  CHECK_THROWS_AS(result.write_svg(dir.file("no/such/dir/x.svg"), space), IOError);
}

}  // namespace axon::test

namespace axon::test {

TEST_CASE("tune: fit-trained trials give the same bits with 2 x 1 threads and 1 x 2 threads") {
  const auto data = datasets::make_linear_regression(300, 5, 0.1, 3).data;
  tune::Space space;
  space.integer("units", 4, 12, 4).real("lr", 1e-3, 1e-1, true, 2);
  const tune::GridSearch grid(space, 5, 7);
  auto objective = [&](const tune::Trial& trial, tune::Reporter& reporter) {
    autograd::Generator gen(trial.seed);
    const auto units = static_cast<std::size_t>(trial.integer("units"));
    nn::Sequential model{std::make_shared<nn::Linear>(nn::LinearOptions(5, units), gen),
                         std::make_shared<nn::Tanh>(),
                         std::make_shared<nn::Linear>(nn::LinearOptions(units, 1), gen)};
    optim::Adam optimizer(model.parameters(), optim::AdamOptions(trial.real("lr")));
    // Batches of 150 in shards of 64: three shards a step, so two threads share each step.
    train::fit(model, optimizer, train::mse_loss(), data,
               train::FitOptions()
                   .epochs(trial.epochs)
                   .batch_size(150)
                   .verbose(0)
                   .seed(trial.seed)
                   .callback(reporter.callback("loss")));
    return reporter.curve().back();
  };
  std::ostringstream log;
  const auto one = tune::search(grid, objective,
                                tune::SearchOptions().parallel(1).threads_per_trial(2).out(log));
  const auto two = tune::search(grid, objective,
                                tune::SearchOptions().parallel(2).threads_per_trial(1).out(log));
  CHECK(one.table() == two.table());
  REQUIRE(one.records().size() == 6);
  for (std::size_t i = 0; i < 6; ++i) {
    CHECK(one.records()[i].curve.size() == 5);
    CHECK(one.records()[i].curve == two.records()[i].curve);  // every epoch's loss, to the bit
  }
}

}  // namespace axon::test

namespace axon::test {

TEST_CASE("tune: a diverging fit fails through the reporter's callback; the next trial trains") {
  const auto data = datasets::make_linear_regression(200, 5, 0.1, 4).data;
  tune::Space space;
  space.choice("lr", {0.01, 50.0, 0.02});
  auto objective = [&](const tune::Trial& trial, tune::Reporter& reporter) {
    autograd::Generator gen(trial.seed);
    nn::Sequential model{std::make_shared<nn::Linear>(nn::LinearOptions(5, 8), gen),
                         std::make_shared<nn::Tanh>(),
                         std::make_shared<nn::Linear>(nn::LinearOptions(8, 1), gen)};
    optim::SGD optimizer(model.parameters(), optim::SGDOptions(trial.real("lr")));
    train::fit(model, optimizer, train::mse_loss(), data,
               train::FitOptions().epochs(20).batch_size(50).verbose(0).callback(
                   reporter.callback("loss")));
    return reporter.curve().back();
  };
  std::ostringstream log;
  const auto result = tune::search(tune::GridSearch(space), objective,
                                   tune::SearchOptions().max_failures(2).out(log));
  REQUIRE(result.trials().size() == 3);
  const auto& failed = result.trials().back();
  CHECK(failed.id == 1);
  CHECK(!failed.ok());
  CHECK(failed.message.find("loss") != std::string::npos);
  CHECK(result.trials()[0].ok());
  CHECK(result.trials()[1].ok());
  CHECK(result.trials()[1].curve.size() == 20);
}

TEST_CASE("tune: Hyperband runs its brackets one after the other, the same with 2 at once") {
  tune::Space space;
  space.real("x", 0.0, 1.0);
  const tune::Hyperband strategy(space, 9, 3, 8);
  auto objective = [](const tune::Trial& trial, tune::Reporter&) {
    return trial.real("x") * double(trial.epochs);
  };
  std::ostringstream log;
  const auto one = tune::search(strategy, objective, tune::SearchOptions().maximize().out(log));
  const auto two =
      tune::search(strategy, objective, tune::SearchOptions().maximize().parallel(2).out(log));
  // Brackets: 9 trials (1, 3, 9 epochs: 9 + 3 + 1 runs), 5 (3, 9: 5 + 1), 3 (9: 3).
  CHECK(one.records().size() == 22);
  CHECK(one.trials().size() == 17);
  CHECK(one.table() == two.table());
  std::size_t at_nine = 0;
  for (const auto& r : one.trials()) at_nine += r.epochs == 9;
  CHECK(at_nine == 1 + 1 + 3);
  CHECK(one.best().epochs == 9);
}

}  // namespace axon::test
