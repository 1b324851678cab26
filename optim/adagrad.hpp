// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "optim/optimizer.hpp"

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
  explicit AdagradOptions(double lr = 1e-2) : lr_(lr) {}

  double lr() const { return lr_; }
  AdagradOptions& lr(double value) { return set(lr_, value); }
  /// The step size at update t is lr / (1 + (t - 1) lr_decay).
  double lr_decay() const { return lr_decay_; }
  AdagradOptions& lr_decay(double value) { return set(lr_decay_, value); }
  double weight_decay() const { return weight_decay_; }
  AdagradOptions& weight_decay(double value) { return set(weight_decay_, value); }
  /// Starting value of the sum of squared gradients.
  double initial_accumulator_value() const { return initial_accumulator_value_; }
  AdagradOptions& initial_accumulator_value(double value) {
    return set(initial_accumulator_value_, value);
  }
  double eps() const { return eps_; }
  AdagradOptions& eps(double value) { return set(eps_, value); }
  /// Ascend instead of descend (the update uses -g).
  bool maximize() const { return maximize_; }
  AdagradOptions& maximize(bool value) { return set(maximize_, value); }

  /// ValueError naming Adagrad and the option: every option must be >= 0.
  void validate() const;

 private:
  template <class V>
  AdagradOptions& set(V& field, V value) {
    field = std::move(value);
    return *this;
  }

  double lr_;
  double lr_decay_ = 0;
  double weight_decay_ = 0;
  double initial_accumulator_value_ = 0;
  double eps_ = 1e-10;
  bool maximize_ = false;
};

/// Adagrad's state of one parameter.
template <class T>
struct AdagradState {
  std::int64_t step = 0;                 ///< t, the number of updates so far
  xt::xarray<T> sum = unset_array<T>();  ///< the sum of squared gradients

  template <class F>
  void for_each_array(F&& f) {
    f("sum", sum);
  }
  template <class F>
  void for_each_array(F&& f) const {
    f("sum", sum);
  }
};

/// The Adagrad optimizer. `Adagrad(params, AdagradOptions(0.1).lr_decay(1e-3))`.
template <class T>
class BasicAdagrad final : public GroupedOptimizer<T, AdagradOptions, AdagradState<T>> {
 public:
  using Group = ParamGroup<T, AdagradOptions, AdagradState<T>>;
  /// One group of `params`.
  explicit BasicAdagrad(std::vector<BasicTensor<T>> params,
                        AdagradOptions options = AdagradOptions());
  /// Several groups, each with its own options.
  explicit BasicAdagrad(std::vector<Group> groups);

 private:
  RangeUpdate prepare(BasicTensor<T>& param, AdagradState<T>& state,
                      const AdagradOptions& options) override;
};

using Adagrad = BasicAdagrad<float>;
using AdagradD = BasicAdagrad<double>;

extern template class GroupedOptimizer<float, AdagradOptions, AdagradState<float>>;
extern template class GroupedOptimizer<double, AdagradOptions, AdagradState<double>>;
extern template class BasicAdagrad<float>;
extern template class BasicAdagrad<double>;

}  // namespace axon::optim
