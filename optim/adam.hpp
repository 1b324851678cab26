// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <vector>

#include "optim/optimizer.hpp"

/// Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019), as torch.optim.Adam/AdamW:
///   g = g + weight_decay p                 (Adam: L2 penalty in the gradient)
///   p = p (1 - lr weight_decay)            (AdamW: decoupled decay, applied to p directly)
///   m = beta1 m + (1 - beta1) g            v = beta2 v + (1 - beta2) g^2
///   v_max = max(v_max, v)                  (amsgrad; then v_max replaces v below)
///   bias_correction1 = 1 - beta1^t         bias_correction2 = 1 - beta2^t
///   p = p - lr / bias_correction1 * m / (sqrt(v) / sqrt(bias_correction2) + eps)
namespace axon::optim {

/// The options Adam and AdamW share; setters return the derived options type for chaining.
template <class Derived>
class AdamOptionsBase {
 public:
  double lr() const { return lr_; }
  Derived& lr(double value) { return set(lr_, value); }
  double beta1() const { return beta1_; }
  double beta2() const { return beta2_; }
  /// Decay rates of the first and second moment averages, each in [0, 1).
  Derived& betas(double beta1, double beta2) {
    beta1_ = beta1;
    beta2_ = beta2;
    return self();
  }
  double eps() const { return eps_; }
  Derived& eps(double value) { return set(eps_, value); }
  double weight_decay() const { return weight_decay_; }
  Derived& weight_decay(double value) { return set(weight_decay_, value); }
  /// Normalise by the largest second moment seen so far (Reddi et al., 2018).
  bool amsgrad() const { return amsgrad_; }
  Derived& amsgrad(bool value) { return set(amsgrad_, value); }
  /// Ascend instead of descend (the update uses -g).
  bool maximize() const { return maximize_; }
  Derived& maximize(bool value) { return set(maximize_, value); }

 protected:
  AdamOptionsBase(double lr, double weight_decay) : lr_(lr), weight_decay_(weight_decay) {}
  /// ValueError naming `optimizer`: lr, eps, weight_decay >= 0, betas in [0, 1).
  void validate_as(const char* optimizer) const;

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
  template <class V>
  Derived& set(V& field, V value) {
    field = value;
    return self();
  }

  double lr_;
  double beta1_ = 0.9;
  double beta2_ = 0.999;
  double eps_ = 1e-8;
  double weight_decay_;
  bool amsgrad_ = false;
  bool maximize_ = false;
};

/// Options of Adam: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0 (an L2 penalty).
class AdamOptions : public AdamOptionsBase<AdamOptions> {
 public:
  explicit AdamOptions(double lr = 1e-3) : AdamOptionsBase(lr, 0.0) {}
  void validate() const { validate_as("Adam"); }
};

/// Options of AdamW: as Adam's, but weight_decay defaults to 1e-2 and is decoupled.
class AdamWOptions : public AdamOptionsBase<AdamWOptions> {
 public:
  explicit AdamWOptions(double lr = 1e-3) : AdamOptionsBase(lr, 1e-2) {}
  void validate() const { validate_as("AdamW"); }
};

/// Adam's and AdamW's state of one parameter.
template <class T>
struct AdamState {
  std::int64_t step = 0;                            ///< t, the number of updates so far
  xt::xarray<T> exp_avg = unset_array<T>();         ///< m, the first moment average
  xt::xarray<T> exp_avg_sq = unset_array<T>();      ///< v, the second moment average
  xt::xarray<T> max_exp_avg_sq = unset_array<T>();  ///< max of v so far (amsgrad only)

  template <class F>
  void for_each_array(F&& f) {
    f("exp_avg", exp_avg);
    f("exp_avg_sq", exp_avg_sq);
    f("max_exp_avg_sq", max_exp_avg_sq);
  }
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
  using Group = ParamGroup<T, AdamOptions, AdamState<T>>;
  /// One group of `params`.
  explicit BasicAdam(std::vector<BasicTensor<T>> params, AdamOptions options = AdamOptions());
  /// Several groups, each with its own options.
  explicit BasicAdam(std::vector<Group> groups);

 private:
  RangeUpdate prepare(BasicTensor<T>& param, AdamState<T>& state,
                      const AdamOptions& options) override;
};

/// The AdamW optimizer (decoupled weight decay).
template <class T>
class BasicAdamW final : public GroupedOptimizer<T, AdamWOptions, AdamState<T>> {
 public:
  using Group = ParamGroup<T, AdamWOptions, AdamState<T>>;
  /// One group of `params`.
  explicit BasicAdamW(std::vector<BasicTensor<T>> params, AdamWOptions options = AdamWOptions());
  /// Several groups, each with its own options.
  explicit BasicAdamW(std::vector<Group> groups);

 private:
  RangeUpdate prepare(BasicTensor<T>& param, AdamState<T>& state,
                      const AdamWOptions& options) override;
};

using Adam = BasicAdam<float>;
using AdamD = BasicAdam<double>;
using AdamW = BasicAdamW<float>;
using AdamWD = BasicAdamW<double>;

extern template class GroupedOptimizer<float, AdamOptions, AdamState<float>>;
extern template class GroupedOptimizer<double, AdamOptions, AdamState<double>>;
extern template class GroupedOptimizer<float, AdamWOptions, AdamState<float>>;
extern template class GroupedOptimizer<double, AdamWOptions, AdamState<double>>;
extern template class BasicAdam<float>;
extern template class BasicAdam<double>;
extern template class BasicAdamW<float>;
extern template class BasicAdamW<double>;

}  // namespace axon::optim
