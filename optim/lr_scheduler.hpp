// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "axon/optim/optimizer.hpp"

/// Epoch-based learning-rate schedulers, with torch.optim.lr_scheduler's semantics. Building a
/// scheduler is epoch 0 (it may already change the lr: LinearLR starts at start_factor);
/// call step() after each epoch. Each step computes the new lr from the group's current lr (the
/// "chainable" forms PyTorch's step() uses), so several schedulers stepping one optimizer compose
/// as in PyTorch (e.g. LinearLR then ExponentialLR).
namespace axon::optim {

/// Base of the epoch-based schedulers.
class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  /// Moves to the next epoch and sets every group's lr.
  void step();
  /// The current epoch: 0 after construction, +1 per step().
  std::int64_t last_epoch() const { return last_epoch_; }
  /// The lr of each group as last set by this scheduler.
  const std::vector<double>& last_lr() const { return last_lr_; }
  /// Each group's base lr: its lr when the first scheduler was attached to the optimizer
  /// (OptimizerBase::initial_lr, as PyTorch's initial_lr).
  const std::vector<double>& base_lrs() const { return base_lrs_; }

  /// {"last_epoch", "base_lrs.<g>"}: what a checkpoint saves (the lrs live in the optimizer's).
  std::map<std::string, double> state_dict() const;
  /// Restores state_dict(); ValueError when keys are missing, the group count differs,
  /// last_epoch is not a whole number >= 0 or a base lr is not >= 0 (nothing is changed then).
  void load_state_dict(const std::map<std::string, double>& state);

 protected:
  /// Attaches to `optimizer` and takes each group's base lr from OptimizerBase::initial_lr; `name`
  /// ("StepLR") prefixes error messages.
  LRScheduler(OptimizerBase& optimizer, const char* name);
  /// Epoch 0; derived constructors call it last (it calls next_lr).
  void initial_step();
  /// The lr of a group at last_epoch(), given its current lr and its base lr.
  virtual double next_lr(double current_lr, double base_lr) const = 0;

  const char* name_;  ///< the scheduler's name, as in error messages

 private:
  OptimizerBase& optimizer_;
  std::vector<double> base_lrs_;
  std::vector<double> last_lr_;
  std::int64_t last_epoch_ = -1;
};

/// Multiplies the lr by gamma every step_size epochs: lr = base_lr gamma^floor(epoch / step_size).
class StepLR final : public LRScheduler {
 public:
  /// ValueError unless step_size >= 1 and gamma >= 0.
  StepLR(OptimizerBase& optimizer, std::int64_t step_size, double gamma = 0.1);

 private:
  double next_lr(double current_lr, double base_lr) const override;
  std::int64_t step_size_;
  double gamma_;
};

/// Multiplies the lr by gamma at each milestone epoch (by gamma^k for a milestone listed k times).
class MultiStepLR final : public LRScheduler {
 public:
  /// ValueError unless gamma >= 0.
  MultiStepLR(OptimizerBase& optimizer, const std::vector<std::int64_t>& milestones,
              double gamma = 0.1);

 private:
  double next_lr(double current_lr, double base_lr) const override;
  std::map<std::int64_t, int> milestones_;  // epoch -> how many times it is listed
  double gamma_;
};

/// Multiplies the lr by gamma every epoch: lr = base_lr gamma^epoch.
class ExponentialLR final : public LRScheduler {
 public:
  /// ValueError unless gamma >= 0.
  ExponentialLR(OptimizerBase& optimizer, double gamma);

 private:
  double next_lr(double current_lr, double base_lr) const override;
  double gamma_;
};

/// Cosine annealing (Loshchilov & Hutter, SGDR) without restarts:
/// lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / t_max)) / 2, rising again after t_max.
class CosineAnnealingLR final : public LRScheduler {
 public:
  /// ValueError unless t_max >= 1.
  CosineAnnealingLR(OptimizerBase& optimizer, std::int64_t t_max, double eta_min = 0.0);

 private:
  double next_lr(double current_lr, double base_lr) const override;
  std::int64_t t_max_;
  double eta_min_;
};

/// Linear ramp of the lr factor, as torch.optim.lr_scheduler.LinearLR (same argument order and
/// defaults): the factor goes linearly from start_factor at epoch 0 to end_factor at epoch
/// total_iters, then stays:
/// lr = base_lr (start_factor + (end_factor - start_factor) min(epoch, total_iters) / total_iters).
/// `LinearLR(opt, 0.1, 1.0, 5)` is a five-epoch warmup from a tenth of the lr.
class LinearLR final : public LRScheduler {
 public:
  /// ValueError unless 0 < start_factor <= 1, 0 <= end_factor <= 1 and total_iters >= 1.
  explicit LinearLR(OptimizerBase& optimizer, double start_factor = 1.0 / 3,
                    double end_factor = 1.0, std::int64_t total_iters = 5);

 private:
  double next_lr(double current_lr, double base_lr) const override;
  double start_factor_;
  double end_factor_;
  std::int64_t total_iters_;
};

}  // namespace axon::optim
