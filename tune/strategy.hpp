// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "axon/tune/space.hpp"
#include "axon/tune/trial.hpp"

namespace axon::tune {

/// Whether a lower or a higher score is better.
enum class Direction { kMinimize, kMaximize };

/// Whether score `a` is strictly better than `b`.
inline bool better(double a, double b, Direction d) {
  return d == Direction::kMinimize ? a < b : a > b;
}

/// The finished records ranked best first: higher rungs (larger budgets) first, then by score,
/// then by trial id; failed trials last, by id.
std::vector<TrialRecord> ranked(std::vector<TrialRecord> records, Direction direction);

/// What trials to run, in rounds. Round r's trials may depend on the records of earlier rounds
/// (successive halving promotes the best), never on timing, so the whole sequence of trials is a
/// pure function of the strategy, its seed and the scores.
class Strategy {
 public:
  virtual ~Strategy() = default;
  /// The most rounds the strategy can have.
  virtual std::size_t rounds() const = 0;
  /// The trials of round `round` given every record of the earlier rounds (possibly none).
  virtual std::vector<Trial> round(std::size_t round, const std::vector<TrialRecord>& earlier,
                                   Direction direction) const = 0;
  /// Names the strategy, its settings, its seed and its space (the journal's first line).
  virtual std::string describe() const = 0;
};

/// Every combination of the space, in Space::grid()'s order, each with `epochs` (0: the
/// objective's own).
class GridSearch : public Strategy {
 public:
  /// A grid search giving each trial `epochs` and seeds derived from `seed`.
  explicit GridSearch(Space space, std::size_t epochs = 0, std::uint64_t seed = 0);
  std::size_t rounds() const override { return 1; }
  std::vector<Trial> round(std::size_t round, const std::vector<TrialRecord>& earlier,
                           Direction direction) const override;
  std::string describe() const override;

 private:
  Space space_;
  std::size_t epochs_;
  std::uint64_t seed_;
};

/// `trials` draws Space::sample(seed, 0..trials-1).
class RandomSearch : public Strategy {
 public:
  /// `trials` random draws from `space`; ValueError for an empty space or no trial.
  RandomSearch(Space space, std::size_t trials, std::uint64_t seed, std::size_t epochs = 0);
  std::size_t rounds() const override { return 1; }
  std::vector<Trial> round(std::size_t round, const std::vector<TrialRecord>& earlier,
                           Direction direction) const override;
  std::string describe() const override;

 private:
  Space space_;
  std::size_t trials_, epochs_;
  std::uint64_t seed_;
};

/// Successive halving (docs/TUNE.md): `trials` random draws train `min_epochs` each (rung 0);
/// after each rung the best floor(n / eta) (at least one) of its n trials, failed ones never,
/// train again with eta times the epochs (at most max_epochs), until one trial is left or a rung
/// has trained max_epochs. Ties go to the lower trial id.
class SuccessiveHalving : public Strategy {
 public:
  /// Successive halving from `min_epochs` to `max_epochs`, keeping 1 / `eta` per rung; ValueError
  /// for an empty space, no trial or a bad epoch range or eta. `first_id` numbers the trials
  /// (Hyperband's brackets continue ids).
  SuccessiveHalving(Space space, std::size_t trials, std::size_t min_epochs, std::size_t max_epochs,
                    std::size_t eta = 3, std::uint64_t seed = 0, std::size_t first_id = 0);
  std::size_t rounds() const override { return rungs_; }
  std::vector<Trial> round(std::size_t round, const std::vector<TrialRecord>& earlier,
                           Direction direction) const override;
  std::string describe() const override;
  /// The epoch budget of rung `rung`.
  std::size_t budget(std::size_t rung) const;

 private:
  Space space_;
  std::size_t trials_, min_epochs_, max_epochs_, eta_;
  std::uint64_t seed_;
  std::size_t first_id_, rungs_;
};

/// Hyperband: brackets s = s_max, ..., 0 with s_max = floor(log_eta(max_epochs)); bracket s is
/// successive halving of ceil((s_max + 1) / (s + 1) * eta^s) trials from max_epochs / eta^s
/// epochs. Brackets run one after the other; trial ids continue across them.
class Hyperband : public Strategy {
 public:
  /// Hyperband up to `max_epochs` with reduction factor `eta`; ValueError for max_epochs < 1 or eta
  /// < 2.
  Hyperband(Space space, std::size_t max_epochs, std::size_t eta = 3, std::uint64_t seed = 0);
  std::size_t rounds() const override;
  std::vector<Trial> round(std::size_t round, const std::vector<TrialRecord>& earlier,
                           Direction direction) const override;
  std::string describe() const override;
  /// The successive-halving brackets, run in order.
  const std::vector<SuccessiveHalving>& brackets() const { return brackets_; }

 private:
  std::vector<SuccessiveHalving> brackets_;
  std::size_t max_epochs_, eta_;
  std::uint64_t seed_;
};

/// The seed of trial `id` of a search seeded with `seed`.
std::uint64_t trial_seed(std::uint64_t seed, std::size_t id);

}  // namespace axon::tune
