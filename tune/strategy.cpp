// SPDX-License-Identifier: MIT
#include "axon/tune/strategy.hpp"

#include <algorithm>
#include <cmath>

#include "axon/autograd/random.hpp"

namespace axon::tune {

std::uint64_t trial_seed(std::uint64_t seed, std::size_t id) {
  // A stream apart from the space's draws (Space::sample forks the same root by id).
  return autograd::Generator(seed ^ 0x7F4A7C15F39CC060ull).fork(id).next_u64();
}

std::vector<TrialRecord> ranked(std::vector<TrialRecord> records, Direction direction) {
  std::sort(records.begin(), records.end(), [&](const TrialRecord& a, const TrialRecord& b) {
    if (a.ok() != b.ok()) return a.ok();
    if (!a.ok()) return a.id < b.id;
    if (a.rung != b.rung) return a.rung > b.rung;
    if (a.score != b.score) return better(a.score, b.score, direction);
    return a.id < b.id;
  });
  return records;
}

namespace {

Trial make_trial(std::size_t id, std::size_t rung, std::size_t epochs, std::uint64_t seed,
                 Values values) {
  Trial t;
  t.id = id, t.rung = rung, t.epochs = epochs, t.seed = trial_seed(seed, id);
  t.values = std::move(values);
  return t;
}

}  // namespace

GridSearch::GridSearch(Space space, std::size_t epochs, std::uint64_t seed)
    : space_(std::move(space)), epochs_(epochs), seed_(seed) {
  space_.grid();  // ValueError for an empty space, now rather than at the first round
}

std::vector<Trial> GridSearch::round(std::size_t round, const std::vector<TrialRecord>&,
                                     Direction) const {
  std::vector<Trial> trials;
  if (round != 0) return trials;
  const std::vector<Values> grid = space_.grid();
  for (std::size_t i = 0; i < grid.size(); ++i) {
    trials.push_back(make_trial(i, 0, epochs_, seed_, grid[i]));
  }
  return trials;
}

std::string GridSearch::describe() const {
  return "grid epochs=" + std::to_string(epochs_) + " seed=" + std::to_string(seed_) + " space={" +
         space_.describe() + "}";
}

RandomSearch::RandomSearch(Space space, std::size_t trials, std::uint64_t seed, std::size_t epochs)
    : space_(std::move(space)), trials_(trials), epochs_(epochs), seed_(seed) {
  if (space_.empty() || trials_ == 0) {
    throw ValueError("tune::RandomSearch: needs a non-empty space and at least one trial");
  }
}

std::vector<Trial> RandomSearch::round(std::size_t round, const std::vector<TrialRecord>&,
                                       Direction) const {
  std::vector<Trial> trials;
  if (round != 0) return trials;
  for (std::size_t i = 0; i < trials_; ++i) {
    trials.push_back(make_trial(i, 0, epochs_, seed_, space_.sample(seed_, i)));
  }
  return trials;
}

std::string RandomSearch::describe() const {
  return "random trials=" + std::to_string(trials_) + " epochs=" + std::to_string(epochs_) +
         " seed=" + std::to_string(seed_) + " space={" + space_.describe() + "}";
}

SuccessiveHalving::SuccessiveHalving(Space space, std::size_t trials, std::size_t min_epochs,
                                     std::size_t max_epochs, std::size_t eta, std::uint64_t seed,
                                     std::size_t first_id)
    : space_(std::move(space)),
      trials_(trials),
      min_epochs_(min_epochs),
      max_epochs_(max_epochs),
      eta_(eta),
      seed_(seed),
      first_id_(first_id) {
  if (space_.empty() || trials_ == 0 || min_epochs_ == 0 || max_epochs_ < min_epochs_ || eta_ < 2) {
    throw ValueError("tune::SuccessiveHalving: needs a non-empty space, trials >= 1 (got " +
                     std::to_string(trials) + "), 1 <= min_epochs (" + std::to_string(min_epochs) +
                     ") <= max_epochs (" + std::to_string(max_epochs) + ") and eta >= 2 (" +
                     std::to_string(eta) + ")");
  }
  // Rungs: until the budget reaches max_epochs or a single trial is left.
  rungs_ = 1;
  for (std::size_t n = trials_; budget(rungs_ - 1) < max_epochs_ && n > 1; ++rungs_) {
    n = std::max<std::size_t>(n / eta_, 1);
  }
}

std::size_t SuccessiveHalving::budget(std::size_t rung) const {
  std::size_t epochs = min_epochs_;
  for (std::size_t i = 0; i < rung && epochs < max_epochs_; ++i) epochs *= eta_;
  return std::min(epochs, max_epochs_);
}

std::vector<Trial> SuccessiveHalving::round(std::size_t round,
                                            const std::vector<TrialRecord>& earlier,
                                            Direction direction) const {
  std::vector<Trial> trials;
  if (round >= rungs_) return trials;
  if (round == 0) {
    for (std::size_t i = 0; i < trials_; ++i) {
      const std::size_t id = first_id_ + i;
      trials.push_back(make_trial(id, 0, budget(0), seed_, space_.sample(seed_, id)));
    }
    return trials;
  }
  // The previous rung's records of this bracket, best first; the top floor(n / eta) go on.
  std::vector<TrialRecord> previous;
  for (const TrialRecord& r : earlier) {
    if (r.rung == round - 1 && r.id >= first_id_ && r.id < first_id_ + trials_) {
      previous.push_back(r);
    }
  }
  const std::size_t keep = std::max<std::size_t>(previous.size() / eta_, 1);
  previous = ranked(std::move(previous), direction);
  for (std::size_t i = 0; i < keep && i < previous.size() && previous[i].ok(); ++i) {
    trials.push_back(make_trial(previous[i].id, round, budget(round), seed_, previous[i].values));
  }
  // Promoted trials run in id order, like every round.
  std::sort(trials.begin(), trials.end(),
            [](const Trial& a, const Trial& b) { return a.id < b.id; });
  return trials;
}

std::string SuccessiveHalving::describe() const {
  return "halving trials=" + std::to_string(trials_) + " epochs=" + std::to_string(min_epochs_) +
         ".." + std::to_string(max_epochs_) + " eta=" + std::to_string(eta_) +
         " seed=" + std::to_string(seed_) + " first=" + std::to_string(first_id_) + " space={" +
         space_.describe() + "}";
}

Hyperband::Hyperband(Space space, std::size_t max_epochs, std::size_t eta, std::uint64_t seed)
    : max_epochs_(max_epochs), eta_(eta), seed_(seed) {
  if (max_epochs == 0 || eta < 2) {
    throw ValueError("tune::Hyperband: needs max_epochs >= 1 (got " + std::to_string(max_epochs) +
                     ") and eta >= 2 (got " + std::to_string(eta) + ")");
  }
  std::size_t s_max = 0;
  for (std::size_t p = eta; p <= max_epochs; p *= eta) ++s_max;
  std::size_t first = 0;
  for (std::size_t s = s_max + 1; s-- > 0;) {
    std::size_t eta_s = 1;
    for (std::size_t i = 0; i < s; ++i) eta_s *= eta;
    const std::size_t n = ((s_max + 1) * eta_s + s) / (s + 1);  // ceil((s_max+1)/(s+1) eta^s)
    const std::size_t min_epochs = std::max<std::size_t>(max_epochs / eta_s, 1);
    brackets_.emplace_back(space, n, min_epochs, max_epochs, eta, seed, first);
    first += n;
  }
}

std::size_t Hyperband::rounds() const {
  std::size_t total = 0;
  for (const SuccessiveHalving& b : brackets_) total += b.rounds();
  return total;
}

std::vector<Trial> Hyperband::round(std::size_t round, const std::vector<TrialRecord>& earlier,
                                    Direction direction) const {
  for (const SuccessiveHalving& b : brackets_) {
    if (round < b.rounds()) return b.round(round, earlier, direction);
    round -= b.rounds();
  }
  return {};
}

std::string Hyperband::describe() const {
  return "hyperband epochs=" + std::to_string(max_epochs_) + " eta=" + std::to_string(eta_) +
         " seed=" + std::to_string(seed_) + " brackets=" + std::to_string(brackets_.size()) + " " +
         (brackets_.empty() ? "" : brackets_.front().describe());
}

}  // namespace axon::tune
