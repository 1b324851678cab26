// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "axon/autograd/arg.hpp"
#include "axon/optim/optimizer.hpp"

/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay,
/// as torch.optim.SGD:
///   d = g + weight_decay p
///   buf = d on the first step, else momentum buf + (1 - dampening) d
///   d = d + momentum buf (nesterov) or buf
///   p = p - lr d
namespace axon::optim {

/// Options of SGD. `SGD(params, SGDOptions(0.1).momentum(0.9).nesterov(true))`.
class SGDOptions {
 public:
  /// Options with learning rate `lr` (PyTorch 2's default 1e-3) and no momentum nor weight
  /// decay.
  explicit SGDOptions(double lr = 1e-3) : lr_(lr) {}

  /// Learning rate.
  AXON_ARG(double, lr);
  /// Momentum factor (0: none).
  AXON_ARG(double, momentum) = 0;
  /// Dampening of the momentum buffer's update.
  AXON_ARG(double, dampening) = 0;
  /// Nesterov momentum (needs momentum > 0 and dampening 0).
  AXON_ARG(bool, nesterov) = false;
  /// L2 penalty added to the gradient (weight_decay p).
  AXON_ARG(double, weight_decay) = 0;
  /// Ascend instead of descend (the update uses -g).
  AXON_ARG(bool, maximize) = false;

 public:
  /// ValueError naming SGD and the option: lr, momentum and weight_decay must be >= 0; nesterov
  /// needs momentum > 0 and dampening 0.
  void validate() const;
};

/// SGD's state of one parameter.
template <class T>
struct SGDState {
  std::int64_t step = 0;                             ///< updates applied so far
  xt::xarray<T> momentum_buffer = unset_array<T>();  ///< in use once momentum > 0

  /// Calls f(name, array) for each state array ("momentum_buffer"), as state_dict names them.
  template <class F>
  void for_each_array(F&& f) {
    f("momentum_buffer", momentum_buffer);
  }
  /// The same, read-only.
  template <class F>
  void for_each_array(F&& f) const {
    f("momentum_buffer", momentum_buffer);
  }
};

/// The SGD optimizer.
template <class T>
class BasicSGD final : public GroupedOptimizer<T, SGDOptions, SGDState<T>> {
 public:
  using Group = ParamGroup<T, SGDOptions, SGDState<T>>;  ///< one parameter group of SGD
  /// One group of `params`.
  BasicSGD(std::vector<BasicTensor<T>> params, SGDOptions options);
  /// Several groups; each inherits the options it does not set from `defaults`.
  explicit BasicSGD(std::vector<Group> groups, SGDOptions defaults = SGDOptions());

 private:
  RangeUpdate prepare(BasicTensor<T>& param, SGDState<T>& state,
                      const SGDOptions& options) override;
};

using SGD = BasicSGD<float>;    ///< float32 elements
using SGDD = BasicSGD<double>;  ///< float64 elements (gradient checks)

extern template class GroupedOptimizer<float, SGDOptions, SGDState<float>>;
extern template class GroupedOptimizer<double, SGDOptions, SGDState<double>>;
extern template class BasicSGD<float>;
extern template class BasicSGD<double>;

}  // namespace axon::optim
