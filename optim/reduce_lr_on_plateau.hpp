// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "axon/autograd/arg.hpp"
#include "axon/optim/optimizer.hpp"

/// Reduces the lr when a metric stops improving, as torch.optim.lr_scheduler.ReduceLROnPlateau:
/// after more than `patience` epochs without improvement, every group's lr becomes
/// max(lr factor, min_lr) (changes smaller than eps are skipped), then `cooldown` epochs pass
/// before bad epochs count again.
namespace axon::optim {

/// Whether a smaller or a larger metric is better.
enum class PlateauMode { min, max };
/// How `threshold` defines a significant improvement: relative to the best value or absolute.
enum class ThresholdMode { rel, abs };

/// Options of ReduceLROnPlateau, with PyTorch's defaults.
class ReduceLROnPlateauOptions {
 public:
  /// Whether a smaller (min) or a larger (max) metric is better.
  AXON_ARG(PlateauMode, mode) = PlateauMode::min;
  /// The lr is multiplied by factor (in [0, 1)) on a plateau.
  AXON_ARG(double, factor) = 0.1;
  /// Epochs without improvement tolerated before reducing.
  AXON_ARG(std::int64_t, patience) = 10;
  /// Minimum improvement that counts: min/rel means metric < best (1 - threshold).
  AXON_ARG(double, threshold) = 1e-4;
  /// rel: improvement relative to the best value; abs: absolute.
  AXON_ARG(ThresholdMode, threshold_mode) = ThresholdMode::rel;
  /// Epochs to wait after a reduction before counting bad epochs again.
  AXON_ARG(std::int64_t, cooldown) = 0;

 public:
  /// Lower bound of every group's lr.
  ReduceLROnPlateauOptions& min_lr(double value) {
    min_lrs_ = {value};
    return *this;
  }
  /// Lower bound of each group's lr (one per group).
  ReduceLROnPlateauOptions& min_lrs(std::vector<double> values) {
    min_lrs_ = std::move(values);
    return *this;
  }
  /// Each group's lower bound (one value: the same for all groups).
  const std::vector<double>& min_lrs() const { return min_lrs_; }
  /// Reductions smaller than eps are skipped.
  AXON_ARG(double, eps) = 1e-8;

 private:
  std::vector<double> min_lrs_ = {0.0};
};

/// The plateau scheduler: call step(metric) after each epoch's validation.
class ReduceLROnPlateau {
 public:
  /// ValueError for factor outside [0, 1), negative patience, cooldown, threshold, min_lr or
  /// eps, or a min_lrs list whose length is not the number of groups.
  explicit ReduceLROnPlateau(OptimizerBase& optimizer,
                             ReduceLROnPlateauOptions options = ReduceLROnPlateauOptions());

  /// Records one epoch's metric and reduces the lrs on a plateau.
  void step(double metric);
  /// Number of step() calls so far.
  std::int64_t last_epoch() const { return last_epoch_; }
  /// The best metric so far (+inf/-inf before the first step).
  double best() const { return best_; }
  /// Epochs since the last improvement.
  std::int64_t num_bad_epochs() const { return num_bad_epochs_; }
  /// Epochs left before plateaus are watched again.
  std::int64_t cooldown_counter() const { return cooldown_counter_; }
  /// Each group's lr after the last step.
  const std::vector<double>& last_lr() const { return last_lr_; }

  /// {"last_epoch", "best", "num_bad_epochs", "cooldown_counter"}.
  std::map<std::string, double> state_dict() const;
  /// Restores state_dict(); ValueError when a key is missing, a counter is not a whole number
  /// >= 0 or best is NaN (nothing is changed then).
  void load_state_dict(const std::map<std::string, double>& state);

 private:
  bool is_better(double metric) const;

  OptimizerBase& optimizer_;
  ReduceLROnPlateauOptions options_;
  std::vector<double> min_lrs_;
  std::vector<double> last_lr_;
  double best_;
  std::int64_t num_bad_epochs_ = 0;
  std::int64_t cooldown_counter_ = 0;
  std::int64_t last_epoch_ = 0;
};

}  // namespace axon::optim
