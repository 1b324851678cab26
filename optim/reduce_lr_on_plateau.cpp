// SPDX-License-Identifier: MIT
#include "axon/optim/reduce_lr_on_plateau.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace axon::optim {

ReduceLROnPlateau::ReduceLROnPlateau(OptimizerBase& optimizer, ReduceLROnPlateauOptions options)
    : optimizer_(optimizer), options_(std::move(options)) {
  const char* name = "ReduceLROnPlateau";
  detail::check_option(options_.factor() >= 0 && options_.factor() < 1, name, "factor",
                       options_.factor(), "in [0, 1)");
  detail::check_option(options_.patience() >= 0, name, "patience",
                       static_cast<double>(options_.patience()), ">= 0");
  detail::check_option(options_.cooldown() >= 0, name, "cooldown",
                       static_cast<double>(options_.cooldown()), ">= 0");
  detail::check_option(options_.threshold() >= 0, name, "threshold", options_.threshold(), ">= 0");
  detail::check_option(options_.eps() >= 0, name, "eps", options_.eps(), ">= 0");
  const std::size_t groups = optimizer_.num_param_groups();
  min_lrs_ = options_.min_lrs();
  if (min_lrs_.size() == 1) min_lrs_.assign(groups, min_lrs_[0]);
  if (min_lrs_.size() != groups) {
    throw ValueError(std::string(name) + ": expected " + std::to_string(groups) +
                     " min_lrs (one per parameter group), got " +
                     std::to_string(options_.min_lrs().size()));
  }
  for (double min_lr : min_lrs_) detail::check_option(min_lr >= 0, name, "min_lr", min_lr, ">= 0");
  best_ = options_.mode() == PlateauMode::min ? std::numeric_limits<double>::infinity()
                                              : -std::numeric_limits<double>::infinity();
  for (std::size_t g = 0; g < groups; ++g) last_lr_.push_back(optimizer_.lr(g));
}

bool ReduceLROnPlateau::is_better(double metric) const {
  const double threshold = options_.threshold();
  const bool rel = options_.threshold_mode() == ThresholdMode::rel;
  if (options_.mode() == PlateauMode::min) {
    return rel ? metric < best_ * (1 - threshold) : metric < best_ - threshold;
  }
  return rel ? metric > best_ * (1 + threshold) : metric > best_ + threshold;
}

void ReduceLROnPlateau::step(double metric) {
  ++last_epoch_;
  if (is_better(metric)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {  // bad epochs during the cooldown do not count
    --cooldown_counter_;
    num_bad_epochs_ = 0;
  }
  if (num_bad_epochs_ > options_.patience()) {
    for (std::size_t g = 0; g < optimizer_.num_param_groups(); ++g) {
      const double old_lr = optimizer_.lr(g);
      const double new_lr = std::max(old_lr * options_.factor(), min_lrs_.at(g));
      if (old_lr - new_lr > options_.eps()) optimizer_.set_lr(g, new_lr);
    }
    cooldown_counter_ = options_.cooldown();
    num_bad_epochs_ = 0;
  }
  last_lr_.resize(optimizer_.num_param_groups());
  for (std::size_t g = 0; g < last_lr_.size(); ++g) last_lr_[g] = optimizer_.lr(g);
}

std::map<std::string, double> ReduceLROnPlateau::state_dict() const {
  return {{"last_epoch", static_cast<double>(last_epoch_)},
          {"best", best_},
          {"num_bad_epochs", static_cast<double>(num_bad_epochs_)},
          {"cooldown_counter", static_cast<double>(cooldown_counter_)}};
}

void ReduceLROnPlateau::load_state_dict(const std::map<std::string, double>& state) {
  const std::string who = "ReduceLROnPlateau: load_state_dict: ";
  auto get = [&](const char* key) {
    auto it = state.find(key);
    if (it == state.end()) throw ValueError(who + "missing " + key);
    return it->second;
  };
  auto count = [&](const char* key) { return detail::checked_count(get(key), 0, who + key); };
  const std::int64_t last_epoch = count("last_epoch");
  const double best = get("best");
  if (std::isnan(best)) throw ValueError(who + "best must be a number, got nan");
  const std::int64_t num_bad_epochs = count("num_bad_epochs");
  const std::int64_t cooldown_counter = count("cooldown_counter");
  last_epoch_ = last_epoch;
  best_ = best;
  num_bad_epochs_ = num_bad_epochs;
  cooldown_counter_ = cooldown_counter;
  for (std::size_t g = 0; g < last_lr_.size(); ++g) last_lr_[g] = optimizer_.lr(g);
}

}  // namespace axon::optim
