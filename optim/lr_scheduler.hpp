// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <functional>
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
  virtual void step();
  /// The current epoch: 0 after construction, +1 per step().
  std::int64_t last_epoch() const { return last_epoch_; }
  /// The lr of each group as last set by this scheduler.
  const std::vector<double>& last_lr() const { return last_lr_; }
  /// Each group's base lr: its lr when the first scheduler was attached to the optimizer
  /// (OptimizerBase::initial_lr, as PyTorch's initial_lr).
  const std::vector<double>& base_lrs() const { return base_lrs_; }

  /// {"last_epoch", "base_lrs.<g>"}: what a checkpoint saves (the lrs live in the optimizer's).
  virtual std::map<std::string, double> state_dict() const;
  /// Restores state_dict(); ValueError when keys are missing, the group count differs,
  /// last_epoch is not a whole number >= 0 or a base lr is not >= 0 (nothing is changed then).
  virtual void load_state_dict(const std::map<std::string, double>& state);

 protected:
  /// Attaches to `optimizer` and takes each group's base lr from OptimizerBase::initial_lr; `name`
  /// ("StepLR") prefixes error messages.
  LRScheduler(OptimizerBase& optimizer, const char* name);
  /// Epoch 0; derived constructors call it last (it calls next_lr).
  void initial_step();
  /// The optimizer the scheduler sets.
  const OptimizerBase& optimizer() const { return optimizer_; }
  /// The lr of a group at last_epoch(), given its current lr and its base lr.
  virtual double next_lr(double current_lr, double base_lr) const = 0;
  /// The lr of group `group` at last_epoch(); next_lr unless a scheduler needs the group.
  virtual double group_lr(std::size_t /*group*/, double current_lr, double base_lr) const {
    return next_lr(current_lr, base_lr);
  }
  /// The lr of group `group` at epoch 0 in closed form (PyTorch's _get_closed_form_lr, or
  /// get_lr where that is closed already): what SequentialLR sets when it switches to this
  /// scheduler at a milestone.
  virtual double restart_lr(std::size_t /*group*/, double base_lr) const { return base_lr; }

  const char* name_;  ///< the scheduler's name, as in error messages

 private:
  friend class SequentialLR;
  /// load_state_dict with last_epoch >= min_epoch (-1: a SequentialLR's scheduler not started).
  void load_state(const std::map<std::string, double>& state, std::int64_t min_epoch);
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
  double restart_lr(std::size_t group, double base_lr) const override;
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
  double restart_lr(std::size_t group, double base_lr) const override;
  double start_factor_;
  double end_factor_;
  std::int64_t total_iters_;
};

/// The lr as a function of the epoch, as torch.optim.lr_scheduler.LambdaLR: lr = base_lr
/// lr_lambda(epoch), one function for every group or one per group. Not chainable: it sets the lr
/// from the base lr, whatever another scheduler did. The functions are not saved in
/// state_dict() (as PyTorch saves none for a plain function): build them as in the saved run.
/// `LambdaLR(opt, [](std::int64_t e) { return std::pow(0.95, e); })`.
class LambdaLR final : public LRScheduler {
 public:
  /// A factor of the base lr at an epoch (0, 1, 2, ...).
  using Lambda = std::function<double(std::int64_t epoch)>;
  /// `lr_lambda` for every group. ValueError when it is empty.
  LambdaLR(OptimizerBase& optimizer, Lambda lr_lambda);
  /// One function per group. ValueError when their number is not the group count or one is
  /// empty.
  LambdaLR(OptimizerBase& optimizer, std::vector<Lambda> lr_lambdas);

 private:
  double next_lr(double current_lr, double base_lr) const override;
  double group_lr(std::size_t group, double current_lr, double base_lr) const override;
  double restart_lr(std::size_t group, double base_lr) const override;
  double lr_at(std::size_t group, std::int64_t epoch, double base_lr) const;
  std::vector<Lambda> lr_lambdas_;
};

/// Schedulers one after another, as torch.optim.lr_scheduler.SequentialLR: `schedulers[0]` runs
/// until the epoch milestones[0], where `schedulers[1]` starts from its epoch 0 (its lr in closed
/// form from the base lr), and so on. Building it resets the lrs to the base lrs and restarts the
/// first scheduler, undoing what building the others did. The schedulers must set `optimizer`
/// and outlive this one, and only this one is stepped.
/// ```
/// optim::LinearLR warmup(opt, 0.1, 1.0, 5);
/// optim::CosineAnnealingLR cosine(opt, 95);
/// optim::SequentialLR schedule(opt, {warmup, cosine}, {5});  // schedule.step() after each epoch
/// ```
class SequentialLR final : public LRScheduler {
 public:
  /// ValueError unless there is one milestone fewer than schedulers, every scheduler sets
  /// `optimizer`, and none is itself a SequentialLR.
  SequentialLR(OptimizerBase& optimizer,
               std::vector<std::reference_wrapper<LRScheduler>> schedulers,
               std::vector<std::int64_t> milestones);

  /// Moves to the next epoch: steps the scheduler whose interval it is in, or restarts the next
  /// one at its milestone.
  void step() override;
  /// Its own last_epoch and base_lrs, and each scheduler's state under "<i>." ("0.last_epoch").
  std::map<std::string, double> state_dict() const override;
  /// Restores state_dict(); ValueError as LRScheduler's, naming the scheduler's index.
  void load_state_dict(const std::map<std::string, double>& state) override;

 private:
  double next_lr(double current_lr, double base_lr) const override;
  std::vector<std::reference_wrapper<LRScheduler>> schedulers_;
  std::vector<std::int64_t> milestones_;
};

}  // namespace axon::optim
