// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "axon/autograd/arg.hpp"
#include "axon/optim/optimizer.hpp"

/// RMSprop (Hinton's lecture 6e; centered variant from Graves, 2013), as torch.optim.RMSprop:
///   g = g + weight_decay p
///   square_avg = alpha square_avg + (1 - alpha) g^2
///   grad_avg = alpha grad_avg + (1 - alpha) g                  (centered)
///   avg = sqrt(square_avg - grad_avg^2) (centered) or sqrt(square_avg), then avg += eps
///   buf = momentum buf + g / avg, p = p - lr buf               (momentum > 0)
///   p = p - lr g / avg                                         (otherwise)
namespace axon::optim {

/// Options of RMSprop: lr 1e-2, alpha 0.99, eps 1e-8, no weight decay, no momentum.
class RMSpropOptions {
 public:
  /// Options with learning rate `lr` (default 0.01); validated when the optimizer is built.
  explicit RMSpropOptions(double lr = 1e-2) : lr_(lr) {}

  /// Learning rate.
  AXON_ARG(double, lr);
  /// Smoothing constant of the averages.
  AXON_ARG(double, alpha) = 0.99;
  /// Added to the denominator for numerical stability.
  AXON_ARG(double, eps) = 1e-8;
  /// L2 penalty added to the gradient (weight_decay p).
  AXON_ARG(double, weight_decay) = 0;
  /// Momentum factor (0: none).
  AXON_ARG(double, momentum) = 0;
  /// Normalise by an estimate of the gradient's variance instead of its second moment.
  AXON_ARG(bool, centered) = false;
  /// Ascend instead of descend (the update uses -g).
  AXON_ARG(bool, maximize) = false;

 public:
  /// ValueError naming RMSprop and the option: lr, alpha, eps, weight_decay, momentum >= 0.
  void validate() const;
};

/// RMSprop's state of one parameter.
template <class T>
struct RMSpropState {
  std::int64_t step = 0;                             ///< updates applied so far
  xt::xarray<T> square_avg = unset_array<T>();       ///< average of g^2
  xt::xarray<T> momentum_buffer = unset_array<T>();  ///< in use when momentum > 0
  xt::xarray<T> grad_avg = unset_array<T>();         ///< average of g (centered only)

  /// Calls f(name, array) for each state array, as state_dict names them.
  template <class F>
  void for_each_array(F&& f) {
    f("square_avg", square_avg);
    f("momentum_buffer", momentum_buffer);
    f("grad_avg", grad_avg);
  }
  /// The same, read-only.
  template <class F>
  void for_each_array(F&& f) const {
    f("square_avg", square_avg);
    f("momentum_buffer", momentum_buffer);
    f("grad_avg", grad_avg);
  }
};

/// The RMSprop optimizer. `RMSprop(params, RMSpropOptions(1e-3).momentum(0.9).centered(true))`.
template <class T>
class BasicRMSprop final : public GroupedOptimizer<T, RMSpropOptions, RMSpropState<T>> {
 public:
  using Group = ParamGroup<T, RMSpropOptions, RMSpropState<T>>;  ///< one parameter group of RMSprop
  /// One group of `params`.
  explicit BasicRMSprop(std::vector<BasicTensor<T>> params,
                        RMSpropOptions options = RMSpropOptions());
  /// Several groups; each inherits the options it does not set from `defaults`.
  explicit BasicRMSprop(std::vector<Group> groups, RMSpropOptions defaults = RMSpropOptions());

 private:
  RangeUpdate prepare(BasicTensor<T>& param, RMSpropState<T>& state,
                      const RMSpropOptions& options) override;
};

using RMSprop = BasicRMSprop<float>;    ///< float32 elements
using RMSpropD = BasicRMSprop<double>;  ///< float64 elements (gradient checks)

extern template class GroupedOptimizer<float, RMSpropOptions, RMSpropState<float>>;
extern template class GroupedOptimizer<double, RMSpropOptions, RMSpropState<double>>;
extern template class BasicRMSprop<float>;
extern template class BasicRMSprop<double>;

}  // namespace axon::optim
