// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <vector>

#include "axon/autograd/arg.hpp"
#include "axon/optim/optimizer.hpp"

/// Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019), as torch.optim.Adam/AdamW:
///   g = g + weight_decay p                 (Adam: L2 penalty in the gradient)
///   p = p (1 - lr weight_decay)            (AdamW: decoupled decay, applied to p directly)
///   m = beta1 m + (1 - beta1) g            v = beta2 v + (1 - beta2) g^2
///   v_max = max(v_max, v)                  (amsgrad; then v_max replaces v below)
///   bias_correction1 = 1 - beta1^t         bias_correction2 = 1 - beta2^t
///   p = p - lr / bias_correction1 * m / (sqrt(v) / sqrt(bias_correction2) + eps)
namespace axon::optim {

/// Options of Adam: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0 (an L2 penalty).
class AdamOptions {
 public:
  /// Options with learning rate `lr`.
  explicit AdamOptions(double lr = 1e-3) : lr_(lr) {}
  /// Decay rates of the first and second moment averages, each in [0, 1).
  AdamOptions& betas(double beta1, double beta2) { return this->beta1(beta1).beta2(beta2); }
  /// ValueError naming Adam and the option: lr, eps, weight_decay >= 0, betas in [0, 1).
  void validate() const;

  /// Learning rate.
  AXON_ARG(double, lr);
  /// Decay rate of the first moment average (default 0.9).
  AXON_ARG(double, beta1) = 0.9;
  /// Decay rate of the second moment average (default 0.999).
  AXON_ARG(double, beta2) = 0.999;
  /// Added to the denominator for numerical stability (default 1e-8).
  AXON_ARG(double, eps) = 1e-8;
  /// L2 penalty added to the gradient (default 0).
  AXON_ARG(double, weight_decay) = 0.0;
  /// Normalise by the largest second moment seen so far (Reddi et al., 2018).
  AXON_ARG(bool, amsgrad) = false;
  /// Ascend instead of descend (the update uses -g).
  AXON_ARG(bool, maximize) = false;
};

/// Options of AdamW: as Adam's, but weight_decay defaults to 1e-2 and is decoupled.
class AdamWOptions {
 public:
  /// Options with learning rate `lr`.
  explicit AdamWOptions(double lr = 1e-3) : lr_(lr) {}
  /// Decay rates of the first and second moment averages, each in [0, 1).
  AdamWOptions& betas(double beta1, double beta2) { return this->beta1(beta1).beta2(beta2); }
  /// ValueError naming AdamW and the option: lr, eps, weight_decay >= 0, betas in [0, 1).
  void validate() const;

  /// Learning rate.
  AXON_ARG(double, lr);
  /// Decay rate of the first moment average (default 0.9).
  AXON_ARG(double, beta1) = 0.9;
  /// Decay rate of the second moment average (default 0.999).
  AXON_ARG(double, beta2) = 0.999;
  /// Added to the denominator for numerical stability (default 1e-8).
  AXON_ARG(double, eps) = 1e-8;
  /// Decoupled decay: p = p (1 - lr weight_decay) (default 1e-2).
  AXON_ARG(double, weight_decay) = 1e-2;
  /// Normalise by the largest second moment seen so far (Reddi et al., 2018).
  AXON_ARG(bool, amsgrad) = false;
  /// Ascend instead of descend (the update uses -g).
  AXON_ARG(bool, maximize) = false;
};

/// Adam's and AdamW's state of one parameter.
template <class T>
struct AdamState {
  std::int64_t step = 0;                            ///< t, the number of updates so far
  xt::xarray<T> exp_avg = unset_array<T>();         ///< m, the first moment average
  xt::xarray<T> exp_avg_sq = unset_array<T>();      ///< v, the second moment average
  xt::xarray<T> max_exp_avg_sq = unset_array<T>();  ///< max of v so far (amsgrad only)

  /// Calls f(name, array) for each state array, as state_dict names them.
  template <class F>
  void for_each_array(F&& f) {
    f("exp_avg", exp_avg);
    f("exp_avg_sq", exp_avg_sq);
    f("max_exp_avg_sq", max_exp_avg_sq);
  }
  /// The same, read-only.
  template <class F>
  void for_each_array(F&& f) const {
    f("exp_avg", exp_avg);
    f("exp_avg_sq", exp_avg_sq);
    f("max_exp_avg_sq", max_exp_avg_sq);
  }
};

/// The Adam optimizer. `Adam(params, AdamOptions(1e-3).betas(0.9, 0.999).amsgrad(true))`.
template <class T>
class BasicAdam final : public GroupedOptimizer<T, AdamOptions, AdamState<T>> {
 public:
  using Group = ParamGroup<T, AdamOptions, AdamState<T>>;  ///< one parameter group of Adam
  /// One group of `params`.
  explicit BasicAdam(std::vector<BasicTensor<T>> params, AdamOptions options = AdamOptions());
  /// Several groups; each inherits the options it does not set from `defaults`.
  explicit BasicAdam(std::vector<Group> groups, AdamOptions defaults = AdamOptions());

 private:
  RangeUpdate prepare(BasicTensor<T>& param, AdamState<T>& state,
                      const AdamOptions& options) override;
};

/// The AdamW optimizer (decoupled weight decay).
template <class T>
class BasicAdamW final : public GroupedOptimizer<T, AdamWOptions, AdamState<T>> {
 public:
  using Group = ParamGroup<T, AdamWOptions, AdamState<T>>;  ///< one parameter group of AdamW
  /// One group of `params`.
  explicit BasicAdamW(std::vector<BasicTensor<T>> params, AdamWOptions options = AdamWOptions());
  /// Several groups; each inherits the options it does not set from `defaults`.
  explicit BasicAdamW(std::vector<Group> groups, AdamWOptions defaults = AdamWOptions());

 private:
  RangeUpdate prepare(BasicTensor<T>& param, AdamState<T>& state,
                      const AdamWOptions& options) override;
};

using Adam = BasicAdam<float>;      ///< float32 elements
using AdamD = BasicAdam<double>;    ///< float64 elements (gradient checks)
using AdamW = BasicAdamW<float>;    ///< float32 elements
using AdamWD = BasicAdamW<double>;  ///< float64 elements (gradient checks)

extern template class GroupedOptimizer<float, AdamOptions, AdamState<float>>;
extern template class GroupedOptimizer<double, AdamOptions, AdamState<double>>;
extern template class GroupedOptimizer<float, AdamWOptions, AdamState<float>>;
extern template class GroupedOptimizer<double, AdamWOptions, AdamState<double>>;
extern template class BasicAdam<float>;
extern template class BasicAdam<double>;
extern template class BasicAdamW<float>;
extern template class BasicAdamW<double>;

}  // namespace axon::optim
