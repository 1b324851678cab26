// SPDX-License-Identifier: MIT
#include "axon/tune/search.hpp"

#include <oneapi/tbb/task_arena.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "axon/autograd/tape.hpp"
#include "axon/train/parallel.hpp"
#include "axon/tune/journal.hpp"

namespace axon::tune {

std::string trial_model_path(const std::string& model_dir, std::size_t id) {
  if (model_dir.empty()) return "";
  return (std::filesystem::path(model_dir) / ("trial_" + std::to_string(id) + ".safetensors"))
      .string();
}

namespace {

/// Runs one trial on this thread; every failure becomes a failed record.
TrialRecord run_trial(const Trial& trial, const Objective& objective,
                      const SearchOptions& options) {
  TrialRecord record;
  record.id = trial.id, record.rung = trial.rung, record.epochs = trial.epochs;
  record.values = trial.values;
  Reporter reporter(options.divergence_, trial_model_path(options.model_dir_, trial.id));
  const auto start = std::chrono::steady_clock::now();
  try {
    record.score = objective(trial, reporter);
    if (!std::isfinite(record.score)) {
      throw TrialFailure("the objective returned " + std::to_string(record.score));
    }
  } catch (const std::exception& e) {
    record.status = TrialRecord::Status::kFailed;
    record.message = e.what();
  } catch (...) {
    record.status = TrialRecord::Status::kFailed;
    record.message = "an exception that is not a std::exception";
  }
  if (!record.ok()) {
    record.score = std::nan("");
    autograd::current_tape().release();  // whatever the failed step left recorded
  }
  record.curve = reporter.curve();
  record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return record;
}

std::string values_text(const Values& values) {
  std::string text;
  for (const auto& [name, v] : values)
    text += (text.empty() ? "" : " ") + name + "=" + to_string(v);
  return text;
}

/// The last failure's message when `limit` records in a row have failed, walking `earlier` and
/// then `current` in order; a trial not yet run breaks the row.
std::optional<std::string> failure_run(const std::vector<TrialRecord>& earlier,
                                       const std::vector<std::optional<TrialRecord>>& current,
                                       std::size_t limit) {
  if (limit == 0) return std::nullopt;
  std::size_t row = 0;
  auto step = [&](const TrialRecord* r) -> std::optional<std::string> {
    row = r && !r->ok() ? row + 1 : 0;
    if (row >= limit) {
      return "trial " + std::to_string(r->id) + " (" + values_text(r->values) + "): " + r->message;
    }
    return std::nullopt;
  };
  for (const TrialRecord& r : earlier) {
    if (auto m = step(&r)) return m;
  }
  for (const auto& r : current) {
    if (auto m = step(r ? &*r : nullptr)) return m;
  }
  return std::nullopt;
}

/// Runs `pending` trials, options.parallel at a time, each in its own arena; fills `results`,
/// appends each to the journal. Returns the failure message that stopped the round, if any.
std::optional<std::string> run_round(const std::vector<Trial>& trials,
                                     const std::vector<std::size_t>& pending,
                                     std::vector<std::optional<TrialRecord>>& results,
                                     const std::vector<TrialRecord>& earlier,
                                     const Objective& objective, const SearchOptions& options,
                                     Journal& journal) {
  const std::size_t threads =
      options.threads_per_trial_
          ? options.threads_per_trial_
          : std::max<std::size_t>(train::num_threads() / options.parallel_, 1);
  std::ostream& out = options.out_ ? *options.out_ : std::cout;
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::optional<std::string> stopped;
  std::exception_ptr fatal;

  auto worker = [&] {
    // One slot, reserved for this thread: a trial never borrows another trial's threads.
    tbb::task_arena arena(static_cast<int>(threads), 1);
    while (!stop) {
      const std::size_t k = next++;
      if (k >= pending.size()) return;
      const Trial& trial = trials[pending[k]];
      TrialRecord record = arena.execute([&] { return run_trial(trial, objective, options); });
      std::lock_guard<std::mutex> lock(mutex);
      try {
        journal.append(record);
      } catch (...) {
        fatal = std::current_exception();
        stop = true;
        return;
      }
      if (options.verbose_ > 0) {
        out << "trial " << record.id << " rung " << record.rung << " ("
            << values_text(record.values) << "): "
            << (record.ok() ? "score " + to_string(record.score) : "failed: " + record.message)
            << "\n"
            << std::flush;
      }
      results[pending[k]] = std::move(record);
      if (auto message = failure_run(earlier, results, options.max_failures_)) {
        stopped = std::move(message);
        stop = true;
      }
    }
  };
  const std::size_t workers = std::min(options.parallel_, pending.size());
  if (workers <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (std::size_t w = 0; w < workers; ++w) pool.emplace_back(worker);
    for (std::thread& t : pool) t.join();
  }
  if (fatal) std::rethrow_exception(fatal);
  return stopped;
}

}  // namespace

SearchResult search(const Strategy& strategy, const Objective& objective,
                    const SearchOptions& options) {
  if (options.parallel_ == 0) throw ValueError("tune::search: parallel must be at least 1");
  if (!options.model_dir_.empty()) std::filesystem::create_directories(options.model_dir_);
  const char* direction = options.direction_ == Direction::kMinimize ? "min" : "max";
  Journal journal(options.journal_, strategy.describe() + " direction=" + direction);
  std::map<std::pair<std::size_t, std::size_t>, TrialRecord> replay;
  for (const TrialRecord& r : journal.records()) replay[{r.id, r.rung}] = r;

  std::vector<TrialRecord> done;  // every record so far, in the strategy's order
  for (std::size_t round = 0; round < strategy.rounds(); ++round) {
    std::vector<Trial> trials = strategy.round(round, done, options.direction_);
    std::vector<std::optional<TrialRecord>> results(trials.size());
    std::vector<std::size_t> pending;
    for (std::size_t i = 0; i < trials.size(); ++i) {
      if (!journal.path().empty()) {
        trials[i].checkpoint = journal.path() + ".trial" + std::to_string(trials[i].id) + ".ckpt";
      }
      const auto it = replay.find({trials[i].id, trials[i].rung});
      if (it == replay.end()) {
        pending.push_back(i);
        continue;
      }
      if (it->second.values != trials[i].values) {
        throw ValueError("tune journal " + journal.path() + ": trial " +
                         std::to_string(trials[i].id) + " has values (" +
                         values_text(it->second.values) + ") but the search asks for (" +
                         values_text(trials[i].values) + ")");
      }
      results[i] = it->second;
    }
    std::optional<std::string> stopped = failure_run(done, results, options.max_failures_);
    if (!stopped && !pending.empty()) {
      stopped = run_round(trials, pending, results, done, objective, options, journal);
    }
    if (stopped) {
      throw SearchError("tune::search: stopped after " + std::to_string(options.max_failures_) +
                        " failed trials in a row; the last: " + *stopped);
    }
    for (auto& r : results) done.push_back(std::move(*r));
  }

  SearchResult result(std::move(done), options.direction_, options.model_dir_);
  if (!options.model_dir_.empty() && !result.trials().empty() && result.trials().front().ok()) {
    const std::string best = result.model_path(result.best().id);
    if (std::filesystem::exists(best)) {
      std::filesystem::copy_file(best,
                                 std::filesystem::path(options.model_dir_) / "best.safetensors",
                                 std::filesystem::copy_options::overwrite_existing);
    }
  }
  return result;
}

}  // namespace axon::tune
