// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xarray.hpp>

#include "axon/autograd/error.hpp"
#include "axon/autograd/tensor.hpp"

/// The optimizer base classes: parameter groups with their own options, per-parameter state
/// stored beside each parameter, the step loop and state_dict. The update rules follow PyTorch
/// (see docs/OPTIM.md); each concrete optimizer only writes the update of one parameter
/// (GroupedOptimizer::prepare).
namespace axon::optim {

using autograd::BasicTensor;

/// What learning-rate schedulers (and training loops) see of any optimizer.
class OptimizerBase {
 public:
  virtual ~OptimizerBase() = default;
  /// Updates every parameter that has a gradient, under NoGradGuard. Parameters without a
  /// gradient are skipped and their state is left as it was (as PyTorch).
  virtual void step() = 0;
  /// Drops the gradient of every parameter.
  virtual void zero_grad() = 0;
  /// Number of parameter groups.
  virtual std::size_t num_param_groups() const = 0;
  /// Learning rate of a group; IndexError when `group` is out of range.
  virtual double lr(std::size_t group) const = 0;
  /// Sets the learning rate of a group; ValueError when negative.
  virtual void set_lr(std::size_t group, double lr) = 0;
  /// The optimizer's name as in error messages ("Adam").
  virtual const char* name() const = 0;

  /// The lr a group had when the first scheduler was attached to it (PyTorch's `initial_lr`,
  /// the schedulers' base lr): the first call records the group's current lr, later calls return
  /// the recorded value. IndexError when `group` is out of range.
  double initial_lr(std::size_t group);
  /// The recorded initial lrs, by group (saved in state_dict).
  const std::map<std::size_t, double>& initial_lrs() const { return initial_lrs_; }

 protected:
  /// Replaces the recorded initial lrs (load_state_dict).
  void set_initial_lrs(std::map<std::size_t, double> values) { initial_lrs_ = std::move(values); }

 private:
  std::map<std::size_t, double> initial_lrs_;
};

/// An optimizer's saved state as named arrays and scalars, ready for a checkpoint. Parameters are
/// numbered across groups in order, as in PyTorch's state_dict: arrays "state.<i>.<name>"
/// (e.g. "state.0.exp_avg"), scalars "state.<i>.step" (present once parameter i has been
/// updated), "param_groups.<g>.lr" and, once a scheduler has recorded it,
/// "param_groups.<g>.initial_lr".
template <class T>
struct StateDict {
  std::map<std::string, xt::xarray<T>> arrays;  ///< per-parameter state arrays
  std::map<std::string, double> scalars;        ///< step counts and group learning rates
};

/// The update of one parameter's elements [begin, end): reads that range of the gradient and
/// writes the same range of the parameter and of its state. Calls on disjoint ranges may run at
/// once on different threads.
using RangeUpdate = std::function<void(std::size_t begin, std::size_t end)>;

/// One parameter's part of an optimizer step (BasicOptimizer::prepare_step).
template <class T>
struct ParamUpdate {
  const autograd::TensorImpl<T>* param = nullptr;  ///< the parameter (BasicTensor::impl())
  RangeUpdate update;                              ///< its update, by element range
};

/// Wraps an elementwise update lambda (capturing by value) as a RangeUpdate. Each call runs a
/// local copy of `fn`, so the captured pointers and constants become registers and the loop
/// vectorises, as in autograd::parallel_chunks.
template <class F>
RangeUpdate range_update(F fn) {
  return [fn](std::size_t begin, std::size_t end) {
    F local = fn;
    local(begin, end);
  };
}

/// An optimizer of BasicTensor<T> parameters.
template <class T>
class BasicOptimizer : public OptimizerBase {
 public:
  /// prepare_step(), then every parameter's update over all of its elements, in one parallel
  /// region (the elements are cut into chunks; the bits do not depend on the cutting).
  void step() override;
  /// The first half of step(): validates the options, checks each gradient's shape, creates
  /// missing state and counts the step, then returns the update of every parameter that has a
  /// gradient, in parameter order. Nothing reads the gradients' values until an update runs, so
  /// a caller that produces the gradients piece by piece may run each piece's update as soon as
  /// that piece is final: train::ShardedStep::train_step reduces the shards' gradients and
  /// updates the parameters in one pass over memory this way. Run every returned update over
  /// all of its elements exactly once, under NoGradGuard.
  virtual std::vector<ParamUpdate<T>> prepare_step() = 0;
  /// Every parameter, group after group.
  virtual std::vector<BasicTensor<T>> parameters() const = 0;
  /// A copy of the per-parameter state and of the groups' learning rates.
  virtual StateDict<T> state_dict() const = 0;
  /// Restores what state_dict() returned: parameters without an entry get fresh state. Throws
  /// ValueError for unknown keys or indices, a step that is not a whole number >= 1 or a negative
  /// lr, and ShapeError when an array does not fit its parameter; nothing is changed then.
  virtual void load_state_dict(const StateDict<T>& state) = 0;
};

using Optimizer = BasicOptimizer<float>;    ///< optimizer of float32 parameters
using OptimizerD = BasicOptimizer<double>;  ///< optimizer of float64 parameters

/// The value of a state array that holds nothing yet (shape [0]). A state array is in use when
/// its shape equals its parameter's shape.
template <class T>
xt::xarray<T> unset_array() {
  return xt::xarray<T>::from_shape({0});
}

/// Whether a state array holds state for `param` (it has the parameter's shape).
template <class T>
bool in_use(const xt::xarray<T>& array, const BasicTensor<T>& param) {
  return array.shape() == param.shape();
}

/// One parameter group: parameters, the options used to update them, and their state
/// (state[i] belongs to params[i]; it is created on the first step). As in PyTorch, a group
/// inherits the optimizer's defaults for the options it does not set:
///
/// ```
/// SGD sgd({SGD::Group(body->parameters()),                                   // all defaults
///          SGD::Group(head->parameters(), [](SGDOptions& o) { o.lr(0.01); })},  // lr only
///         SGDOptions(0.1).momentum(0.9));
/// ```
template <class T, class Options, class State>
struct ParamGroup {
  /// Options that change a copy of the optimizer's defaults (the options a group sets).
  using Overrides = std::function<void(Options&)>;

  /// A group of `params` that takes every option from the optimizer's defaults.
  ParamGroup(std::vector<BasicTensor<T>> params)  // NOLINT: implicit, so {params} is a group
      : params(std::move(params)), overrides([](Options&) {}) {}
  /// A group of `params` with the optimizer's defaults changed by `overrides`.
  ParamGroup(std::vector<BasicTensor<T>> params, Overrides overrides)
      : params(std::move(params)), overrides(std::move(overrides)) {}
  /// A group of `params` updated with exactly `options` (no option is inherited).
  ParamGroup(std::vector<BasicTensor<T>> params, Options options)
      : params(std::move(params)), options(std::move(options)) {}

  std::vector<BasicTensor<T>> params;  ///< the tensors updated in place
  Options options;                     ///< lr and the optimizer's other options for this group
  std::vector<State> state;            ///< state[i] is params[i]'s (e.g. AdamState)
  /// When set, `options` is replaced by the optimizer's defaults changed by it as the group is
  /// added (then it is cleared).
  Overrides overrides;
};

/// Groups, state, the step loop and state_dict, shared by every optimizer here. A concrete
/// optimizer implements prepare() for one parameter. `Options` has lr() getter and setter and
/// validate(); `State` has a `step` count and for_each_array(f) naming its arrays.
template <class T, class Options, class State>
class GroupedOptimizer : public BasicOptimizer<T> {
 public:
  /// One parameter group of this optimizer (its params, options and state).
  using Group = ParamGroup<T, Options, State>;

  /// The groups: read or change their options (schedulers use lr()/set_lr()).
  std::vector<Group>& param_groups() { return groups_; }
  /// The groups, read-only.
  const std::vector<Group>& param_groups() const { return groups_; }
  /// Appends a group; a group with overrides takes the defaults changed by them. ValueError when
  /// its options are invalid, when a tensor is undefined or not a leaf, or when a tensor is
  /// already in a group.
  void add_param_group(Group group);
  /// The options a group inherits from (PyTorch's `defaults`).
  const Options& defaults() const { return defaults_; }

  /// Validates each group's options, then prepare()s every parameter that has a gradient; see
  /// BasicOptimizer::prepare_step(). ShapeError when a gradient's shape differs from its
  /// parameter's.
  std::vector<ParamUpdate<T>> prepare_step() override;
  /// Drops the gradient of every parameter of every group.
  void zero_grad() override;
  /// Number of parameter groups.
  std::size_t num_param_groups() const override { return groups_.size(); }
  /// Learning rate of a group; IndexError when `group` is out of range.
  double lr(std::size_t group) const override;
  /// Sets the learning rate of a group; IndexError when out of range, ValueError when negative
  /// or not finite.
  void set_lr(std::size_t group, double lr) override;
  /// The optimizer's name as in error messages ("Adam").
  const char* name() const override { return name_; }
  /// Every parameter, group after group.
  std::vector<BasicTensor<T>> parameters() const override;
  /// A copy of the per-parameter state and of the groups' learning rates.
  StateDict<T> state_dict() const override;
  /// Restores what state_dict() returned; see BasicOptimizer::load_state_dict for the errors.
  void load_state_dict(const StateDict<T>& state) override;

 protected:
  /// Builds the optimizer from groups that inherit `defaults`; ValueError when the defaults are
  /// invalid or there is no parameter at all.
  GroupedOptimizer(const char* name, std::vector<Group> groups, Options defaults);
  /// Readies the update of `param`, which has a gradient of its own shape: creates missing
  /// state, counts the step, computes the step's constants, and returns the elementwise update
  /// (range_update of a lambda capturing pointers and constants by value). Must not read the
  /// gradient's values: it may still be being computed (prepare_step()).
  virtual RangeUpdate prepare(BasicTensor<T>& param, State& state, const Options& options) = 0;

 private:
  const char* name_;
  Options defaults_;
  std::vector<Group> groups_;
};

namespace detail {
/// Throws ValueError "<optimizer>: invalid <option> <value> (expected <expected>)" unless ok.
void check_option(bool ok, const char* optimizer, const char* option, double value,
                  const char* expected);
/// `value` (a count read back from a state dict) as an integer; ValueError "<what> must be a
/// whole number >= <min>, got <value>" unless it is one, at most 2^53.
std::int64_t checked_count(double value, std::int64_t min, const std::string& what);
/// Splits "state.<i>.<field>" into i and field; false when the key is not of that form.
bool parse_state_key(const std::string& key, std::size_t& index, std::string& field);
/// Splits "param_groups.<g>.<field>" into g and field; false when the key is not of that form.
bool parse_group_key(const std::string& key, std::size_t& group, std::string& field);
}  // namespace detail

}  // namespace axon::optim
