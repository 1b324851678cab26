// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "axon/autograd/arg.hpp"
#include "axon/optim/optimizer.hpp"

/// Adagrad (Duchi et al., 2011), as torch.optim.Adagrad:
///   g = g + weight_decay p
///   clr = lr / (1 + (t - 1) lr_decay)
///   sum = sum + g^2                  (sum starts at initial_accumulator_value)
///   p = p - clr g / (sqrt(sum) + eps)
namespace axon::optim {

/// Options of Adagrad: lr 1e-2, no lr decay nor weight decay, accumulator starting at 0,
/// eps 1e-10.
class AdagradOptions {
 public:
  /// Options with learning rate `lr` (default 0.01); validated when the optimizer is built.
  explicit AdagradOptions(double lr = 1e-2) : lr_(lr) {}

  /// Learning rate.
  AXON_ARG(double, lr);
  /// The step size at update t is lr / (1 + (t - 1) lr_decay).
  AXON_ARG(double, lr_decay) = 0;
  /// L2 penalty added to the gradient (weight_decay p).
  AXON_ARG(double, weight_decay) = 0;
  /// Starting value of the sum of squared gradients.
  AXON_ARG(double, initial_accumulator_value) = 0;
  /// Added to the denominator for numerical stability.
  AXON_ARG(double, eps) = 1e-10;
  /// Ascend instead of descend (the update uses -g).
  AXON_ARG(bool, maximize) = false;

 public:
  /// ValueError naming Adagrad and the option: every option must be >= 0.
  void validate() const;
};

/// Adagrad's state of one parameter.
template <class T>
struct AdagradState {
  std::int64_t step = 0;                 ///< t, the number of updates so far
  xt::xarray<T> sum = unset_array<T>();  ///< the sum of squared gradients

  /// Calls f(name, array) for each state array ("sum"), as state_dict names them.
  template <class F>
  void for_each_array(F&& f) {
    f("sum", sum);
  }
  /// The same, read-only.
  template <class F>
  void for_each_array(F&& f) const {
    f("sum", sum);
  }
};

/// The Adagrad optimizer. `Adagrad(params, AdagradOptions(0.1).lr_decay(1e-3))`.
template <class T>
class BasicAdagrad final : public GroupedOptimizer<T, AdagradOptions, AdagradState<T>> {
 public:
  using Group = ParamGroup<T, AdagradOptions, AdagradState<T>>;  ///< one parameter group of Adagrad
  /// One group of `params`.
  explicit BasicAdagrad(std::vector<BasicTensor<T>> params,
                        AdagradOptions options = AdagradOptions());
  /// Several groups; each inherits the options it does not set from `defaults`.
  explicit BasicAdagrad(std::vector<Group> groups, AdagradOptions defaults = AdagradOptions());

 private:
  RangeUpdate prepare(BasicTensor<T>& param, AdagradState<T>& state,
                      const AdagradOptions& options) override;
};

using Adagrad = BasicAdagrad<float>;    ///< float32 elements
using AdagradD = BasicAdagrad<double>;  ///< float64 elements (gradient checks)

extern template class GroupedOptimizer<float, AdagradOptions, AdagradState<float>>;
extern template class GroupedOptimizer<double, AdagradOptions, AdagradState<double>>;
extern template class BasicAdagrad<float>;
extern template class BasicAdagrad<double>;

}  // namespace axon::optim
