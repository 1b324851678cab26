// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/nn/module.hpp"
#include "axon/train/callbacks.hpp"
#include "axon/tune/space.hpp"

namespace axon::tune {

/// One run of the objective: its values and its budget. Everything in it is a pure function of
/// the strategy, its seed and the trial's id, never of when or where the trial runs.
struct Trial {
  std::size_t id = 0;      ///< 0, 1, ... in the strategy's order
  std::size_t rung = 0;    ///< successive halving's rung (0 for grid and random search)
  std::size_t epochs = 0;  ///< the epoch budget; 0 when the strategy leaves it to the objective
  std::uint64_t seed = 0;  ///< for the trial's initialisation and shuffles
  Values values;           ///< the parameters' values by name
  /// A path the objective may use for a training checkpoint (FitOptions::checkpoint/resume) so a
  /// trial promoted to the next rung continues instead of starting over; "" without a journal.
  std::string checkpoint;

  /// Whether the (conditional) parameter is present.
  bool has(const std::string& name) const { return values.count(name) != 0; }
  /// The value of a real parameter (an integer one is converted). ValueError naming the
  /// parameter when absent or a string.
  double real(const std::string& name) const;
  /// The value of an integer parameter. ValueError when absent or not an integer.
  std::int64_t integer(const std::string& name) const;
  /// The value of a string parameter. ValueError when absent or not a string.
  const std::string& text(const std::string& name) const;
};

/// A trial the tuner records as failed: a non-finite or diverging loss or score.
class TrialFailure : public NumericalError {
 public:
  using NumericalError::NumericalError;
};

/// The trial's link back to the tuner: per-epoch scores (its curve), the checks that fail a
/// diverging trial, and where its model is saved.
class Reporter {
 public:
  /// `divergence`: a loss above divergence times the first loss checked fails the trial (0: off).
  /// `model_path`: where save() writes ("" : save() does nothing).
  Reporter(double divergence = 0.0, std::string model_path = "")
      : divergence_(divergence), model_path_(std::move(model_path)) {}

  /// Records the score after `epoch` (from 1). TrialFailure when it is not finite.
  void report(std::size_t epoch, double score);
  /// Fails the trial (TrialFailure) when `loss` is not finite or exceeds divergence times the
  /// first loss checked.
  void check_loss(double loss);
  /// A fit() callback: after each epoch, check_loss(logs["loss"]) and report(epoch,
  /// logs[monitor]) unless `monitor` is "". ValueError naming `monitor` when the logs lack it.
  std::shared_ptr<train::Callback> callback(std::string monitor);
  /// Saves the model's parameters as safetensors (io::save) for the ensemble and the best model.
  void save(const nn::Module& model) const;

  /// The scores reported so far, by epoch.
  const std::vector<double>& curve() const { return curve_; }
  /// Where save() writes ("": nowhere).
  const std::string& model_path() const { return model_path_; }

 private:
  double divergence_;
  std::string model_path_;
  double first_loss_ = 0;
  bool have_first_loss_ = false;
  std::vector<double> curve_;
};

/// The objective: trains with the trial's values within its budget and returns the score.
using Objective = std::function<double(const Trial&, Reporter&)>;

/// A finished trial, as the journal stores it.
struct TrialRecord {
  /// Whether the trial finished or failed.
  enum class Status { kOk, kFailed };
  std::size_t id = 0;           ///< the trial's id
  std::size_t rung = 0;         ///< its successive-halving rung
  std::size_t epochs = 0;       ///< the epochs it trained
  Values values;                ///< its parameters' values
  Status status = Status::kOk;  ///< finished or failed
  double score = 0;             ///< NaN when failed
  std::vector<double> curve;    ///< what the trial reported per epoch
  std::string message;          ///< the failure's message
  double seconds = 0;           ///< wall time (not part of the result table)

  /// Whether the trial finished.
  bool ok() const { return status == Status::kOk; }
};

}  // namespace axon::tune
