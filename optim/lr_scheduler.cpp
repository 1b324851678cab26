// SPDX-License-Identifier: MIT
#include "axon/optim/lr_scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

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
    last_lr_[g] = next_lr(optimizer_.lr(g), base_lrs_[g]);
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
  const std::int64_t last_epoch = detail::checked_count(epoch->second, 0, who + "last_epoch");
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

double LinearLR::next_lr(double current_lr, double) const {
  const std::int64_t epoch = last_epoch();
  if (epoch == 0) return current_lr * start_factor_;
  if (epoch > total_iters_) return current_lr;
  // factor(epoch) / factor(epoch - 1), with factor linear in the epoch.
  const double slope = end_factor_ - start_factor_;
  return current_lr * (1 + slope / (static_cast<double>(total_iters_) * start_factor_ +
                                    static_cast<double>(epoch - 1) * slope));
}

}  // namespace axon::optim
