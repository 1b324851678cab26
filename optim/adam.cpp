// SPDX-License-Identifier: MIT
#include "optim/adam.hpp"

#include <algorithm>
#include <cmath>

#include "autograd/parallel_for.hpp"
#include "optim/optimizer_impl.hpp"

namespace axon::optim {

template <class Derived>
void AdamOptionsBase<Derived>::validate_as(const char* optimizer) const {
  detail::check_option(lr_ >= 0, optimizer, "learning rate", lr_, ">= 0");
  detail::check_option(eps_ >= 0, optimizer, "eps", eps_, ">= 0");
  detail::check_option(beta1_ >= 0 && beta1_ < 1, optimizer, "beta1", beta1_, "in [0, 1)");
  detail::check_option(beta2_ >= 0 && beta2_ < 1, optimizer, "beta2", beta2_, "in [0, 1)");
  detail::check_option(weight_decay_ >= 0, optimizer, "weight_decay", weight_decay_, ">= 0");
}

template void AdamOptionsBase<AdamOptions>::validate_as(const char*) const;
template void AdamOptionsBase<AdamWOptions>::validate_as(const char*) const;

namespace {

// One Adam/AdamW update of `param` in place; `decoupled` selects AdamW's weight decay.
template <class T, class Options>
void adam_update(BasicTensor<T>& param, AdamState<T>& state, const Options& options,
                 bool decoupled) {
  const std::size_t n = param.numel();
  if (!in_use(state.exp_avg, param)) state.exp_avg = xt::zeros<T>(param.shape());
  if (!in_use(state.exp_avg_sq, param)) state.exp_avg_sq = xt::zeros<T>(param.shape());
  const bool amsgrad = options.amsgrad();
  if (amsgrad && !in_use(state.max_exp_avg_sq, param)) {
    state.max_exp_avg_sq = xt::zeros<T>(param.shape());
  }
  ++state.step;

  const double t = static_cast<double>(state.step);
  const double bias_correction1 = 1 - std::pow(options.beta1(), t);
  const double bias_correction2 = 1 - std::pow(options.beta2(), t);
  const T step_size = static_cast<T>(options.lr() / bias_correction1);
  const T bias_correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));

  const T beta1 = static_cast<T>(options.beta1());
  const T beta2 = static_cast<T>(options.beta2());
  const T one_minus_beta1 = static_cast<T>(1 - options.beta1());
  const T one_minus_beta2 = static_cast<T>(1 - options.beta2());
  const T eps = static_cast<T>(options.eps());
  const T l2 = decoupled ? T(0) : static_cast<T>(options.weight_decay());
  const T decay_factor =
      decoupled ? static_cast<T>(1 - options.lr() * options.weight_decay()) : T(1);
  const T sign = options.maximize() ? T(-1) : T(1);

  // Restrict-qualified pointers and a branch-free loop per variant let the compiler vectorise
  // the update (it runs over every parameter on every step).
  T* __restrict p = param.data_ptr();
  const T* __restrict grad = param.grad_data().data();
  T* __restrict m = state.exp_avg.data();
  T* __restrict v = state.exp_avg_sq.data();
  if (amsgrad) {
    T* __restrict v_max = state.max_exp_avg_sq.data();
    autograd::parallel_chunks(n, autograd::kElementwiseGrain,
                              [&](std::size_t begin, std::size_t end) {
                                for (std::size_t i = begin; i < end; ++i) {
                                  const T g = sign * grad[i] + l2 * p[i];
                                  p[i] *= decay_factor;
                                  m[i] = beta1 * m[i] + one_minus_beta1 * g;
                                  v[i] = beta2 * v[i] + one_minus_beta2 * (g * g);
                                  v_max[i] = std::max(v_max[i], v[i]);
                                  const T denom = std::sqrt(v_max[i]) / bias_correction2_sqrt + eps;
                                  p[i] += -step_size * (m[i] / denom);
                                }
                              });
    return;
  }
  autograd::parallel_chunks(n, autograd::kElementwiseGrain,
                            [&](std::size_t begin, std::size_t end) {
                              for (std::size_t i = begin; i < end; ++i) {
                                const T g = sign * grad[i] + l2 * p[i];
                                p[i] *= decay_factor;
                                m[i] = beta1 * m[i] + one_minus_beta1 * g;
                                v[i] = beta2 * v[i] + one_minus_beta2 * (g * g);
                                const T denom = std::sqrt(v[i]) / bias_correction2_sqrt + eps;
                                p[i] += -step_size * (m[i] / denom);
                              }
                            });
}

}  // namespace

template <class T>
BasicAdam<T>::BasicAdam(std::vector<BasicTensor<T>> params, AdamOptions options)
    : BasicAdam(std::vector<Group>{Group(std::move(params), options)}) {}

template <class T>
BasicAdam<T>::BasicAdam(std::vector<Group> groups)
    : GroupedOptimizer<T, AdamOptions, AdamState<T>>("Adam", std::move(groups)) {}

template <class T>
void BasicAdam<T>::update(BasicTensor<T>& param, AdamState<T>& state, const AdamOptions& options) {
  adam_update(param, state, options, /*decoupled=*/false);
}

template <class T>
BasicAdamW<T>::BasicAdamW(std::vector<BasicTensor<T>> params, AdamWOptions options)
    : BasicAdamW(std::vector<Group>{Group(std::move(params), options)}) {}

template <class T>
BasicAdamW<T>::BasicAdamW(std::vector<Group> groups)
    : GroupedOptimizer<T, AdamWOptions, AdamState<T>>("AdamW", std::move(groups)) {}

template <class T>
void BasicAdamW<T>::update(BasicTensor<T>& param, AdamState<T>& state,
                           const AdamWOptions& options) {
  adam_update(param, state, options, /*decoupled=*/true);
}

template class GroupedOptimizer<float, AdamOptions, AdamState<float>>;
template class GroupedOptimizer<double, AdamOptions, AdamState<double>>;
template class GroupedOptimizer<float, AdamWOptions, AdamState<float>>;
template class GroupedOptimizer<double, AdamWOptions, AdamState<double>>;
template class BasicAdam<float>;
template class BasicAdam<double>;
template class BasicAdamW<float>;
template class BasicAdamW<double>;

}  // namespace axon::optim
