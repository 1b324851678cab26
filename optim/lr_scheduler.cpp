// SPDX-License-Identifier: MIT
#include "axon/optim/lr_scheduler.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numbers>
#include <utility>

namespace axon::optim {

LRScheduler::LRScheduler(OptimizerBase& optimizer, const char* name)
    : name_(name), optimizer_(optimizer) {
  for (std::size_t g = 0; g < optimizer_.num_param_groups(); ++g) {
    base_lrs_.push_back(optimizer_.initial_lr(g));
  }
}

void LRScheduler::initial_step() {
  step();
}

void LRScheduler::step() {
  ++last_epoch_;
  const std::size_t groups = optimizer_.num_param_groups();
  if (groups != base_lrs_.size()) {
    throw ValueError(std::string(name_) + ": the optimizer has " + std::to_string(groups) +
                     " parameter groups but the scheduler was built for " +
                     std::to_string(base_lrs_.size()));
  }
  last_lr_.resize(groups);
  for (std::size_t g = 0; g < groups; ++g) {
    last_lr_[g] = group_lr(g, optimizer_.lr(g), base_lrs_[g]);
    optimizer_.set_lr(g, last_lr_[g]);
  }
}

std::map<std::string, double> LRScheduler::state_dict() const {
  std::map<std::string, double> state{{"last_epoch", static_cast<double>(last_epoch_)}};
  for (std::size_t g = 0; g < base_lrs_.size(); ++g) {
    state["base_lrs." + std::to_string(g)] = base_lrs_[g];
  }
  return state;
}

void LRScheduler::load_state_dict(const std::map<std::string, double>& state) {
  load_state(state, 0);
}

void LRScheduler::load_state(const std::map<std::string, double>& state, std::int64_t min_epoch) {
  const std::string who = std::string(name_) + ": load_state_dict: ";
  if (state.size() != base_lrs_.size() + 1) {
    throw ValueError(who + "expected last_epoch and " + std::to_string(base_lrs_.size()) +
                     " base_lrs, got " + std::to_string(state.size()) + " entries");
  }
  std::vector<double> base_lrs(base_lrs_.size());
  for (std::size_t g = 0; g < base_lrs.size(); ++g) {
    auto it = state.find("base_lrs." + std::to_string(g));
    if (it == state.end()) throw ValueError(who + "missing base_lrs." + std::to_string(g));
    if (!(it->second >= 0)) {
      throw ValueError(who + it->first + " must be >= 0, got " + std::to_string(it->second));
    }
    base_lrs[g] = it->second;
  }
  auto epoch = state.find("last_epoch");
  if (epoch == state.end()) throw ValueError(who + "missing last_epoch");
  const std::int64_t last_epoch =
      detail::checked_count(epoch->second, min_epoch, who + "last_epoch");
  base_lrs_ = std::move(base_lrs);
  last_epoch_ = last_epoch;
  last_lr_.resize(base_lrs_.size());
  for (std::size_t g = 0; g < last_lr_.size(); ++g) last_lr_[g] = optimizer_.lr(g);
}

StepLR::StepLR(OptimizerBase& optimizer, std::int64_t step_size, double gamma)
    : LRScheduler(optimizer, "StepLR"), step_size_(step_size), gamma_(gamma) {
  detail::check_option(step_size >= 1, name_, "step_size", static_cast<double>(step_size), ">= 1");
  detail::check_option(gamma >= 0, name_, "gamma", gamma, ">= 0");
  initial_step();
}

double StepLR::next_lr(double current_lr, double) const {
  if (last_epoch() == 0 || last_epoch() % step_size_ != 0) return current_lr;
  return current_lr * gamma_;
}

MultiStepLR::MultiStepLR(OptimizerBase& optimizer, const std::vector<std::int64_t>& milestones,
                         double gamma)
    : LRScheduler(optimizer, "MultiStepLR"), gamma_(gamma) {
  detail::check_option(gamma >= 0, name_, "gamma", gamma, ">= 0");
  for (std::int64_t epoch : milestones) ++milestones_[epoch];
  initial_step();
}

double MultiStepLR::next_lr(double current_lr, double) const {
  auto it = milestones_.find(last_epoch());
  if (it == milestones_.end()) return current_lr;
  return current_lr * std::pow(gamma_, it->second);
}

double MultiStepLR::restart_lr(std::size_t, double base_lr) const {
  int passed = 0;  // milestones at or before epoch 0, each as often as it is listed
  for (auto it = milestones_.begin(); it != milestones_.end() && it->first <= 0; ++it) {
    passed += it->second;
  }
  return base_lr * std::pow(gamma_, passed);
}

ExponentialLR::ExponentialLR(OptimizerBase& optimizer, double gamma)
    : LRScheduler(optimizer, "ExponentialLR"), gamma_(gamma) {
  detail::check_option(gamma >= 0, name_, "gamma", gamma, ">= 0");
  initial_step();
}

double ExponentialLR::next_lr(double current_lr, double) const {
  if (last_epoch() == 0) return current_lr;
  return current_lr * gamma_;
}

CosineAnnealingLR::CosineAnnealingLR(OptimizerBase& optimizer, std::int64_t t_max, double eta_min)
    : LRScheduler(optimizer, "CosineAnnealingLR"), t_max_(t_max), eta_min_(eta_min) {
  detail::check_option(t_max >= 1, name_, "t_max", static_cast<double>(t_max), ">= 1");
  initial_step();
}

double CosineAnnealingLR::next_lr(double current_lr, double base_lr) const {
  constexpr double pi = std::numbers::pi;
  const std::int64_t epoch = last_epoch();
  if (epoch == 0) return current_lr;
  const double t_max = static_cast<double>(t_max_);
  // Just past a minimum (epoch - 1 = t_max, 3 t_max, ...) the ratio below would divide by zero;
  // PyTorch adds the closed form's first increment instead.
  if ((epoch - 1 - t_max_) % (2 * t_max_) == 0) {
    return current_lr + (base_lr - eta_min_) * (1 - std::cos(pi / t_max)) / 2;
  }
  // Ratio of consecutive closed-form values, applied to the current lr.
  const double e = static_cast<double>(epoch);
  return (1 + std::cos(pi * e / t_max)) / (1 + std::cos(pi * (e - 1) / t_max)) *
             (current_lr - eta_min_) +
         eta_min_;
}

LinearLR::LinearLR(OptimizerBase& optimizer, double start_factor, double end_factor,
                   std::int64_t total_iters)
    : LRScheduler(optimizer, "LinearLR"),
      start_factor_(start_factor),
      end_factor_(end_factor),
      total_iters_(total_iters) {
  detail::check_option(start_factor > 0 && start_factor <= 1, name_, "start_factor", start_factor,
                       "in (0, 1]");
  detail::check_option(end_factor >= 0 && end_factor <= 1, name_, "end_factor", end_factor,
                       "in [0, 1]");
  detail::check_option(total_iters >= 1, name_, "total_iters", static_cast<double>(total_iters),
                       ">= 1");
  initial_step();
}

double LinearLR::restart_lr(std::size_t, double base_lr) const {
  return base_lr * start_factor_;
}

double LinearLR::next_lr(double current_lr, double) const {
  const std::int64_t epoch = last_epoch();
  if (epoch == 0) return current_lr * start_factor_;
  if (epoch > total_iters_) return current_lr;
  // factor(epoch) / factor(epoch - 1), with factor linear in the epoch.
  const double slope = end_factor_ - start_factor_;
  return current_lr * (1 + slope / (static_cast<double>(total_iters_) * start_factor_ +
                                    static_cast<double>(epoch - 1) * slope));
}

LambdaLR::LambdaLR(OptimizerBase& optimizer, Lambda lr_lambda)
    : LambdaLR(optimizer, std::vector<Lambda>(optimizer.num_param_groups(), std::move(lr_lambda))) {
}

LambdaLR::LambdaLR(OptimizerBase& optimizer, std::vector<Lambda> lr_lambdas)
    : LRScheduler(optimizer, "LambdaLR"), lr_lambdas_(std::move(lr_lambdas)) {
  if (lr_lambdas_.size() != base_lrs().size()) {
    throw ValueError("LambdaLR: expected " + std::to_string(base_lrs().size()) +
                     " lr_lambdas (one per parameter group), got " +
                     std::to_string(lr_lambdas_.size()));
  }
  for (std::size_t g = 0; g < lr_lambdas_.size(); ++g) {
    if (!lr_lambdas_[g]) throw ValueError("LambdaLR: lr_lambda " + std::to_string(g) + " is empty");
  }
  initial_step();
}

double LambdaLR::lr_at(std::size_t group, std::int64_t epoch, double base_lr) const {
  const double factor = lr_lambdas_.at(group)(epoch);
  const double lr = base_lr * factor;
  if (!(std::isfinite(lr) && lr >= 0)) {
    throw ValueError("LambdaLR: lr_lambda of group " + std::to_string(group) + " gave " +
                     std::to_string(factor) + " at epoch " + std::to_string(epoch) + ": the lr " +
                     std::to_string(lr) + " is not finite and >= 0");
  }
  return lr;
}

double LambdaLR::next_lr(double current_lr, double) const {
  return current_lr;  // not called: group_lr needs the group's function
}

double LambdaLR::group_lr(std::size_t group, double, double base_lr) const {
  return lr_at(group, last_epoch(), base_lr);
}

double LambdaLR::restart_lr(std::size_t group, double base_lr) const {
  return lr_at(group, 0, base_lr);
}

SequentialLR::SequentialLR(OptimizerBase& optimizer,
                           std::vector<std::reference_wrapper<LRScheduler>> schedulers,
                           std::vector<std::int64_t> milestones)
    : LRScheduler(optimizer, "SequentialLR"),
      schedulers_(std::move(schedulers)),
      milestones_(std::move(milestones)) {
  if (schedulers_.empty() || milestones_.size() != schedulers_.size() - 1) {
    throw ValueError("SequentialLR: expected one milestone fewer than schedulers, got " +
                     std::to_string(schedulers_.size()) + " schedulers and " +
                     std::to_string(milestones_.size()) + " milestones");
  }
  if (!std::is_sorted(milestones_.begin(), milestones_.end())) {
    throw ValueError("SequentialLR: the milestones must be in increasing order");
  }
  for (std::size_t i = 0; i < schedulers_.size(); ++i) {
    const LRScheduler& s = schedulers_[i];
    if (&s.optimizer_ != &optimizer) {
      throw ValueError("SequentialLR: scheduler " + std::to_string(i) + " (" + s.name_ +
                       ") sets another optimizer");
    }
    if (dynamic_cast<const SequentialLR*>(&s)) {
      throw ValueError("SequentialLR: scheduler " + std::to_string(i) +
                       " is a SequentialLR; nesting them is not supported");
    }
  }
  // As PyTorch: back to the base lrs, undo the schedulers' initial steps, then restart the first.
  for (std::size_t g = 0; g < base_lrs().size(); ++g) optimizer.set_lr(g, base_lrs()[g]);
  for (LRScheduler& s : schedulers_) --s.last_epoch_;
  LRScheduler& first = schedulers_.front();
  first.initial_step();
  last_epoch_ = 0;
  last_lr_ = first.last_lr_;
}

double SequentialLR::next_lr(double current_lr, double) const {
  return current_lr;  // not called: step() delegates to the schedulers
}

void SequentialLR::step() {
  ++last_epoch_;
  const auto idx = static_cast<std::size_t>(
      std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) - milestones_.begin());
  LRScheduler& s = schedulers_[idx];
  if (idx > 0 && milestones_[idx - 1] == last_epoch_) {
    // PyTorch's step(0): the scheduler restarts at its epoch 0, in closed form.
    const std::size_t groups = s.optimizer_.num_param_groups();
    if (groups != s.base_lrs_.size()) {
      throw ValueError(std::string(s.name_) + ": the optimizer has " + std::to_string(groups) +
                       " parameter groups but the scheduler was built for " +
                       std::to_string(s.base_lrs_.size()));
    }
    s.last_epoch_ = 0;
    s.last_lr_.resize(groups);
    for (std::size_t g = 0; g < groups; ++g) {
      s.last_lr_[g] = s.restart_lr(g, s.base_lrs_[g]);
      s.optimizer_.set_lr(g, s.last_lr_[g]);
    }
  } else {
    s.step();
  }
  last_lr_ = s.last_lr_;
}

std::map<std::string, double> SequentialLR::state_dict() const {
  std::map<std::string, double> state = LRScheduler::state_dict();
  for (std::size_t i = 0; i < schedulers_.size(); ++i) {
    for (const auto& [key, value] : schedulers_[i].get().state_dict()) {
      state[std::to_string(i) + "." + key] = value;
    }
  }
  return state;
}

namespace {

/// A SequentialLR's state split into its own keys and each scheduler's ("<i>.<key>").
struct SplitState {
  std::map<std::string, double> own;
  std::vector<std::map<std::string, double>> parts;
};

SplitState split_state(const std::map<std::string, double>& state, std::size_t schedulers) {
  SplitState out;
  out.parts.resize(schedulers);
  for (const auto& [key, value] : state) {
    const std::size_t dot = key.find('.');
    if (key.empty() || !std::isdigit(static_cast<unsigned char>(key[0]))) {
      out.own[key] = value;  // last_epoch, base_lrs.<g>
      continue;
    }
    const std::string index = key.substr(0, std::min(dot, key.size()));
    if (dot == std::string::npos || index.size() > 6 ||
        index.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(index) >= schedulers) {
      throw ValueError("SequentialLR: load_state_dict: unexpected key '" + key + "'");
    }
    out.parts[std::stoul(index)][key.substr(dot + 1)] = value;
  }
  return out;
}

}  // namespace

void SequentialLR::load_state_dict(const std::map<std::string, double>& state) {
  const SplitState next = split_state(state, schedulers_.size());
  // Restored all or not at all: a scheduler that refuses its state puts back the ones before it.
  const SplitState before = split_state(state_dict(), schedulers_.size());
  try {
    LRScheduler::load_state_dict(next.own);
    for (std::size_t i = 0; i < schedulers_.size(); ++i) {
      try {
        schedulers_[i].get().load_state(next.parts[i], -1);
      } catch (const ValueError& e) {
        throw ValueError("SequentialLR: scheduler " + std::to_string(i) + ": " + e.what());
      }
    }
  } catch (const ValueError&) {
    LRScheduler::load_state_dict(before.own);
    for (std::size_t i = 0; i < schedulers_.size(); ++i) {
      schedulers_[i].get().load_state(before.parts[i], -1);
    }
    throw;
  }
}

}  // namespace axon::optim
