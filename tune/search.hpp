// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/tune/strategy.hpp"
#include "axon/tune/trial.hpp"

/// Hyperparameter search: a Space of parameters, a Strategy proposing trials (grid, random,
/// successive halving, Hyperband), search() running an objective on them with a resumable journal,
/// and k-fold cross-validation (docs/TUNE.md).
namespace axon::tune {

/// The search stopped: too many trials in a row failed. The message quotes the last failure.
class SearchError : public Error {
 public:
  using Error::Error;
};

/// search()'s settings, with chained setters: `SearchOptions().journal("s.jsonl").parallel(2)`.
struct SearchOptions {
  /// Whether a lower or a higher score is better (default lower).
  Direction direction_ = Direction::kMinimize;
  std::string journal_;       ///< JSON-lines journal ("": none, nothing survives a crash)
  std::string model_dir_;     ///< each trial's model and best.safetensors go here ("": none)
  std::size_t parallel_ = 1;  ///< trials at once
  std::size_t threads_per_trial_ = 0;  ///< each trial's oneTBB arena; 0: cores / parallel, >= 1
  std::size_t max_failures_ = 3;       ///< stop after this many failures in a row (0: never stop)
  double divergence_ = 10.0;           ///< Reporter's divergence factor (0: off)
  int verbose_ = 1;                    ///< 0: silent; 1: a line per finished trial
  std::ostream* out_ = nullptr;        ///< progress output (default std::cout)

  /// Whether a lower or a higher score is better.
  SearchOptions& direction(Direction v) { return direction_ = v, *this; }
  /// A lower score is better (the default: losses, errors).
  SearchOptions& minimize() { return direction(Direction::kMinimize); }
  /// A higher score is better (accuracies).
  SearchOptions& maximize() { return direction(Direction::kMaximize); }
  /// Path of the JSON-lines journal; a search with a journal resumes where it stopped.
  SearchOptions& journal(std::string path) { return journal_ = std::move(path), *this; }
  /// Folder for each trial's saved model and best.safetensors.
  SearchOptions& model_dir(std::string path) { return model_dir_ = std::move(path), *this; }
  /// Trials run at once (default 1).
  SearchOptions& parallel(std::size_t v) { return parallel_ = v, *this; }
  /// oneTBB threads of each trial (0: the cores divided by parallel).
  SearchOptions& threads_per_trial(std::size_t v) { return threads_per_trial_ = v, *this; }
  /// Stop after this many failures in a row (0: never stop).
  SearchOptions& max_failures(std::size_t v) { return max_failures_ = v, *this; }
  /// The Reporter's divergence factor (0: off).
  SearchOptions& divergence(double v) { return divergence_ = v, *this; }
  /// 0: silent; 1 (default): a line per finished trial.
  SearchOptions& verbose(int v) { return verbose_ = v, *this; }
  /// Where progress goes (default std::cout); the stream must outlive the search.
  SearchOptions& out(std::ostream& os) { return out_ = &os, *this; }
};

/// What a search found: every trial's last record (its highest rung), best first.
class SearchResult {
 public:
  /// Ranks the records `all` (every rung) by `direction`; `model_dir` is where the trials' models
  /// were saved.
  SearchResult(std::vector<TrialRecord> all, Direction direction, std::string model_dir);

  /// Each trial's record at its highest rung, ranked (tune::ranked): best first, failed last.
  const std::vector<TrialRecord>& trials() const { return trials_; }
  /// Every record in the order the strategy asked for them (all rungs).
  const std::vector<TrialRecord>& records() const { return records_; }
  /// The best finished trial. ValueError when every trial failed.
  const TrialRecord& best() const;
  /// The sorted table: rank, trial, epochs, score, status and values; failures with their
  /// message. The same search gives the same table, however often it was interrupted.
  std::string table() const;
  /// The saved model of trial `id` ("" without a model directory).
  std::string model_path(std::size_t id) const;
  /// Writes an SVG: the score against the trial id, and one panel per parameter with the score
  /// against its value (log axes for log-scale reals drawn positive). IOError when unwritable.
  void write_svg(const std::string& path, const Space& space) const;

 private:
  std::vector<TrialRecord> records_, trials_;
  Direction direction_;
  std::string model_dir_;
};

/// The path of trial `id`'s model inside `model_dir`.
std::string trial_model_path(const std::string& model_dir, std::size_t id);

/// Runs the strategy's trials through `objective`, options.parallel at a time, each inside its
/// own oneTBB arena of threads_per_trial threads. Each finished or failed trial is appended to the
/// journal (fsync'd); a search started again with the same journal skips the trials it holds
/// and ends with the same result. A trial that throws, or returns or reports a non-finite score,
/// or whose loss diverges, is recorded as failed and the search goes on; max_failures failures
/// in a row (in trial order) end it with a SearchError quoting the last message. With a model
/// directory, the best trial's model is copied to best.safetensors there.
SearchResult search(const Strategy& strategy, const Objective& objective,
                    const SearchOptions& options = {});

}  // namespace axon::tune
