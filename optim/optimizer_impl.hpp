// SPDX-License-Identifier: MIT
#pragma once

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "axon/autograd/shape.hpp"
#include "axon/autograd/tape.hpp"
#include "axon/optim/optimizer.hpp"

/// Definitions of GroupedOptimizer's members. Only the optimizers' .cpp files include this; they
/// instantiate GroupedOptimizer explicitly for float and double.
namespace axon::optim {

template <class T, class Options, class State>
GroupedOptimizer<T, Options, State>::GroupedOptimizer(const char* name, std::vector<Group> groups,
                                                      Options defaults)
    : name_(name), defaults_(std::move(defaults)) {
  defaults_.validate();
  for (auto& group : groups) add_param_group(std::move(group));
  if (parameters().empty()) {
    throw ValueError(std::string(name_) + ": got an empty parameter list");
  }
}

template <class T, class Options, class State>
void GroupedOptimizer<T, Options, State>::add_param_group(Group group) {
  if (group.overrides) {
    group.options = defaults_;  // PyTorch: a group inherits every option it does not set
    group.overrides(group.options);
    group.overrides = nullptr;
  }
  group.options.validate();
  std::set<const void*> seen;
  for (const auto& existing : groups_) {
    for (const auto& p : existing.params) seen.insert(p.impl_ptr().get());
  }
  for (std::size_t i = 0; i < group.params.size(); ++i) {
    const auto& p = group.params[i];
    const std::string where = std::string(name_) + ": parameter " + std::to_string(i) +
                              " of group " + std::to_string(groups_.size());
    if (!p.defined()) throw ValueError(where + " is an undefined tensor");
    if (!p.is_leaf()) throw ValueError(where + " is not a leaf tensor (it was computed by an op)");
    if (!seen.insert(p.impl_ptr().get()).second) {
      throw ValueError(where + " appears more than once in the parameter groups");
    }
  }
  group.state.resize(group.params.size());
  groups_.push_back(std::move(group));
}

template <class T, class Options, class State>
std::vector<ParamUpdate<T>> GroupedOptimizer<T, Options, State>::prepare_step() {
  autograd::NoGradGuard no_grad;
  std::vector<ParamUpdate<T>> updates;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    Group& group = groups_[g];
    group.options.validate();  // the options may have been edited through param_groups()
    group.state.resize(group.params.size());
    for (std::size_t i = 0; i < group.params.size(); ++i) {
      BasicTensor<T>& param = group.params[i];
      if (!param.has_grad()) continue;
      if (param.grad_data().shape() != param.shape()) {
        throw ShapeError(std::string(name_) + ": parameter " + std::to_string(i) + " of group " +
                         std::to_string(g) + " has shape " + autograd::shape_str(param.shape()) +
                         " but its gradient has shape " +
                         autograd::shape_str(param.grad_data().shape()));
      }
    }
  }
  // Checked everything first: a bad gradient shape leaves every step count as it was.
  for (Group& group : groups_) {
    for (std::size_t i = 0; i < group.params.size(); ++i) {
      BasicTensor<T>& param = group.params[i];
      if (!param.has_grad()) continue;
      updates.push_back({&param.impl(), prepare(param, group.state[i], group.options)});
    }
  }
  return updates;
}

template <class T, class Options, class State>
void GroupedOptimizer<T, Options, State>::zero_grad() {
  for (auto& group : groups_) {
    for (auto& p : group.params) p.zero_grad();
  }
}

template <class T, class Options, class State>
double GroupedOptimizer<T, Options, State>::lr(std::size_t group) const {
  if (group >= groups_.size()) {
    throw IndexError(std::string(name_) + ": parameter group " + std::to_string(group) +
                     " out of range (" + std::to_string(groups_.size()) + " groups)");
  }
  return groups_[group].options.lr();
}

template <class T, class Options, class State>
void GroupedOptimizer<T, Options, State>::set_lr(std::size_t group, double lr) {
  this->lr(group);  // range check
  detail::check_option(lr >= 0, name_, "learning rate", lr, ">= 0");
  detail::check_option(std::isfinite(lr), name_, "learning rate", lr, "finite");
  groups_[group].options.lr(lr);
}

template <class T, class Options, class State>
std::vector<BasicTensor<T>> GroupedOptimizer<T, Options, State>::parameters() const {
  std::vector<BasicTensor<T>> all;
  for (const auto& group : groups_) all.insert(all.end(), group.params.begin(), group.params.end());
  return all;
}

template <class T, class Options, class State>
StateDict<T> GroupedOptimizer<T, Options, State>::state_dict() const {
  StateDict<T> dict;
  std::size_t index = 0;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const Group& group = groups_[g];
    dict.scalars["param_groups." + std::to_string(g) + ".lr"] = group.options.lr();
    if (auto it = this->initial_lrs().find(g); it != this->initial_lrs().end()) {
      dict.scalars["param_groups." + std::to_string(g) + ".initial_lr"] = it->second;
    }
    for (std::size_t i = 0; i < group.params.size(); ++i, ++index) {
      if (i >= group.state.size() || group.state[i].step == 0) continue;
      const std::string prefix = "state." + std::to_string(index) + ".";
      const State& state = group.state[i];
      dict.scalars[prefix + "step"] = static_cast<double>(state.step);
      state.for_each_array([&](const char* field, const xt::xarray<T>& array) {
        if (in_use(array, group.params[i])) dict.arrays[prefix + field] = array;
      });
    }
  }
  return dict;
}

template <class T, class Options, class State>
void GroupedOptimizer<T, Options, State>::load_state_dict(const StateDict<T>& dict) {
  const std::string who = name_;
  std::vector<std::pair<std::size_t, std::size_t>> slots;  // flat index -> (group, index)
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    for (std::size_t i = 0; i < groups_[g].params.size(); ++i) slots.emplace_back(g, i);
  }
  std::vector<State> fresh(slots.size());
  std::vector<double> lrs(groups_.size());
  for (std::size_t g = 0; g < groups_.size(); ++g) lrs[g] = groups_[g].options.lr();
  std::map<std::size_t, double> initial_lrs;

  // Check everything first, so that a bad dict changes nothing.
  for (const auto& [key, value] : dict.scalars) {
    std::size_t index = 0;
    std::string field;
    if (detail::parse_group_key(key, index, field) && (field == "lr" || field == "initial_lr")) {
      if (index >= groups_.size()) {
        throw ValueError(who + ": load_state_dict: " + key + " but the optimizer has " +
                         std::to_string(groups_.size()) + " groups");
      }
      detail::check_option(value >= 0, name_, "learning rate", value, ">= 0");
      const std::string field_name = who + ": load_state_dict: " + key;
      detail::check_option(std::isfinite(value), field_name.c_str(), "learning rate", value,
                           "finite");
      (field == "lr" ? lrs[index] : initial_lrs[index]) = value;
    } else if (detail::parse_state_key(key, index, field) && field == "step") {
      if (index >= slots.size()) {
        throw ValueError(who + ": load_state_dict: " + key + " but the optimizer has " +
                         std::to_string(slots.size()) + " parameters");
      }
      fresh[index].step = detail::checked_count(value, 1, who + ": load_state_dict: " + key);
    } else {
      throw ValueError(who + ": load_state_dict: unknown scalar " + key);
    }
  }
  // (A plain loop variable: clang before 16 cannot capture structured bindings in the lambda.)
  for (const auto& entry : dict.arrays) {
    const std::string& key = entry.first;
    const xt::xarray<T>& array = entry.second;
    std::size_t index = 0;
    std::string field;
    if (!detail::parse_state_key(key, index, field) || index >= slots.size()) {
      throw ValueError(who + ": load_state_dict: unknown array " + key);
    }
    if (fresh[index].step == 0) {
      throw ValueError(who + ": load_state_dict: " + key + " has no matching state." +
                       std::to_string(index) + ".step");
    }
    const auto& param = groups_[slots[index].first].params[slots[index].second];
    bool known = false;
    fresh[index].for_each_array([&](const char* name, xt::xarray<T>& target) {
      if (field != name) return;
      known = true;
      if (array.shape() != param.shape()) {
        throw ShapeError(who + ": load_state_dict: " + key + " has shape " +
                         autograd::shape_str(array.shape()) + " but parameter " +
                         std::to_string(index) + " has shape " +
                         autograd::shape_str(param.shape()));
      }
      // Values a step could never have produced: NaN or inf anywhere, a negative second moment.
      const bool square = field == "exp_avg_sq" || field == "max_exp_avg_sq" ||
                          field == "square_avg" || field == "sum";
      for (const T value : array) {
        if (!std::isfinite(value) || (square && value < 0)) {
          throw ValueError(who + ": load_state_dict: " + key + " holds " + std::to_string(value) +
                           (square ? ", expected finite values >= 0" : ", expected finite values"));
        }
      }
      target = array;
    });
    if (!known) throw ValueError(who + ": load_state_dict: unknown array " + key);
  }
  // A state with steps taken has every array its group's options use (array_required, defined
  // beside each optimizer): a missing one would silently restart from zero.
  for (std::size_t k = 0; k < slots.size(); ++k) {
    if (fresh[k].step == 0) continue;
    const auto& param = groups_[slots[k].first].params[slots[k].second];
    const Options& options = groups_[slots[k].first].options;
    fresh[k].for_each_array([&](const char* field, const xt::xarray<T>& array) {
      if (array_required(options, field) && !in_use(array, param)) {
        throw ValueError(who + ": load_state_dict: state." + std::to_string(k) + "." + field +
                         " is missing (state." + std::to_string(k) + ".step is " +
                         std::to_string(fresh[k].step) + ")");
      }
    });
  }

  for (std::size_t k = 0; k < slots.size(); ++k) {
    Group& group = groups_[slots[k].first];
    group.state.resize(group.params.size());
    group.state[slots[k].second] = std::move(fresh[k]);
  }
  for (std::size_t g = 0; g < groups_.size(); ++g) groups_[g].options.lr(lrs[g]);
  this->set_initial_lrs(std::move(initial_lrs));
}

}  // namespace axon::optim
