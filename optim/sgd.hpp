// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "optim/optimizer.hpp"

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
  /// Options with learning rate `lr` and no momentum nor weight decay.
  explicit SGDOptions(double lr) : lr_(lr) {}

  double lr() const { return lr_; }
  SGDOptions& lr(double value) { return set(lr_, value); }
  double momentum() const { return momentum_; }
  SGDOptions& momentum(double value) { return set(momentum_, value); }
  double dampening() const { return dampening_; }
  SGDOptions& dampening(double value) { return set(dampening_, value); }
  bool nesterov() const { return nesterov_; }
  SGDOptions& nesterov(bool value) { return set(nesterov_, value); }
  double weight_decay() const { return weight_decay_; }
  SGDOptions& weight_decay(double value) { return set(weight_decay_, value); }
  /// Ascend instead of descend (the update uses -g).
  bool maximize() const { return maximize_; }
  SGDOptions& maximize(bool value) { return set(maximize_, value); }

  /// ValueError naming SGD and the option: lr, momentum and weight_decay must be >= 0; nesterov
  /// needs momentum > 0 and dampening 0.
  void validate() const;

 private:
  template <class V>
  SGDOptions& set(V& field, V value) {
    field = std::move(value);
    return *this;
  }

  double lr_;
  double momentum_ = 0;
  double dampening_ = 0;
  bool nesterov_ = false;
  double weight_decay_ = 0;
  bool maximize_ = false;
};

/// SGD's state of one parameter.
template <class T>
struct SGDState {
  std::int64_t step = 0;                             ///< updates applied so far
  xt::xarray<T> momentum_buffer = unset_array<T>();  ///< in use once momentum > 0

  template <class F>
  void for_each_array(F&& f) {
    f("momentum_buffer", momentum_buffer);
  }
  template <class F>
  void for_each_array(F&& f) const {
    f("momentum_buffer", momentum_buffer);
  }
};

/// The SGD optimizer.
template <class T>
class BasicSGD final : public GroupedOptimizer<T, SGDOptions, SGDState<T>> {
 public:
  using Group = ParamGroup<T, SGDOptions, SGDState<T>>;
  /// One group of `params`.
  BasicSGD(std::vector<BasicTensor<T>> params, SGDOptions options);
  /// Several groups, each with its own options.
  explicit BasicSGD(std::vector<Group> groups);

 private:
  RangeUpdate prepare(BasicTensor<T>& param, SGDState<T>& state,
                      const SGDOptions& options) override;
};

using SGD = BasicSGD<float>;
using SGDD = BasicSGD<double>;

extern template class GroupedOptimizer<float, SGDOptions, SGDState<float>>;
extern template class GroupedOptimizer<double, SGDOptions, SGDState<double>>;
extern template class BasicSGD<float>;
extern template class BasicSGD<double>;

}  // namespace axon::optim
