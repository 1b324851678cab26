// SPDX-License-Identifier: MIT
#include "axon/optim/adam.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "axon/autograd/target_clones.hpp"
#include "axon/optim/optimizer_impl.hpp"

namespace axon::optim {

namespace {
// The checks Adam and AdamW share, naming `optimizer`.
template <class Options>
void validate_adam(const Options& o, const char* optimizer) {
  detail::check_option(o.lr() >= 0, optimizer, "learning rate", o.lr(), ">= 0");
  detail::check_option(std::isfinite(o.lr()), optimizer, "learning rate", o.lr(), "finite");
  detail::check_option(o.eps() >= 0, optimizer, "eps", o.eps(), ">= 0");
  detail::check_option(o.beta1() >= 0 && o.beta1() < 1, optimizer, "beta1", o.beta1(), "in [0, 1)");
  detail::check_option(o.beta2() >= 0 && o.beta2() < 1, optimizer, "beta2", o.beta2(), "in [0, 1)");
  detail::check_option(o.weight_decay() >= 0, optimizer, "weight_decay", o.weight_decay(), ">= 0");
}
}  // namespace

void AdamOptions::validate() const {
  validate_adam(*this, "Adam");
}
void AdamWOptions::validate() const {
  validate_adam(*this, "AdamW");
}

/// The arrays an Adam state with steps taken holds (checked by load_state_dict).
bool array_required(const AdamOptions& options, std::string_view field) {
  return field != "max_exp_avg_sq" || options.amsgrad();
}
/// The same for AdamW.
bool array_required(const AdamWOptions& options, std::string_view field) {
  return field != "max_exp_avg_sq" || options.amsgrad();
}

namespace {

/// The per-element constants of one Adam step.
template <class T>
struct AdamCoefficients {
  T beta1, beta2, one_minus_beta1, one_minus_beta2, eps, l2, decay_factor, sign, step_size,
      bias_correction2_sqrt;
};

/// Adam on elements [begin, end). Everything arrives by value or through restrict pointers, so
/// no store can alias a constant and the loop vectorises (it runs over every parameter on every
/// step); `amsgrad` is a template argument to keep each variant branch-free.
template <bool amsgrad, class T>
[[gnu::always_inline]] inline void adam_loop(T* __restrict p, const T* __restrict grad,
                                             T* __restrict m, T* __restrict v, T* __restrict v_max,
                                             const AdamCoefficients<T> c, std::size_t begin,
                                             std::size_t end) {
  for (std::size_t i = begin; i < end; ++i) {
    const T g = c.sign * grad[i] + c.l2 * p[i];
    p[i] *= c.decay_factor;
    m[i] = c.beta1 * m[i] + c.one_minus_beta1 * g;
    v[i] = c.beta2 * v[i] + c.one_minus_beta2 * (g * g);
    T second = v[i];
    if constexpr (amsgrad) {
      v_max[i] = std::max(v_max[i], v[i]);
      second = v_max[i];
    }
    const T denom = std::sqrt(second) / c.bias_correction2_sqrt + c.eps;
    p[i] += -c.step_size * (m[i] / denom);
  }
}

/// Compiled for SSE2, AVX2 and AVX-512, same bits (autograd/target_clones.hpp). With its arrays
/// in cache the update is bound by sqrt and division (SSE2 took twice as long as AVX2 here); in a
/// training step they come from L3 or memory after the shards' GEMMs, and a loop that skips the
/// sqrt and divisions took as long: 28 bytes moved per element set the pace then.

template <class T>
AXON_TARGET_CLONES void adam_kernel(T* p, const T* grad, T* m, T* v, T* v_max,
                                    const AdamCoefficients<T> c, std::size_t begin,
                                    std::size_t end) {
  if (v_max) {
    adam_loop<true>(p, grad, m, v, v_max, c, begin, end);
  } else {
    adam_loop<false>(p, grad, m, v, v_max, c, begin, end);
  }
}

// Readies one Adam/AdamW update of `param`; `decoupled` selects AdamW's weight decay.
template <class T, class Options>
RangeUpdate adam_prepare(BasicTensor<T>& param, AdamState<T>& state, const Options& options,
                         bool decoupled) {
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
  AdamCoefficients<T> c{};
  c.step_size = static_cast<T>(options.lr() / bias_correction1);
  c.bias_correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  c.beta1 = static_cast<T>(options.beta1());
  c.beta2 = static_cast<T>(options.beta2());
  c.one_minus_beta1 = static_cast<T>(1 - options.beta1());
  c.one_minus_beta2 = static_cast<T>(1 - options.beta2());
  c.eps = static_cast<T>(options.eps());
  c.l2 = decoupled ? T(0) : static_cast<T>(options.weight_decay());
  c.decay_factor = decoupled ? static_cast<T>(1 - options.lr() * options.weight_decay()) : T(1);
  c.sign = options.maximize() ? T(-1) : T(1);

  T* p = param.mutable_data_ptr();
  const T* grad = param.grad_data().data();
  T* m = state.exp_avg.data();
  T* v = state.exp_avg_sq.data();
  T* v_max = amsgrad ? state.max_exp_avg_sq.data() : nullptr;
  return range_update(
      [=](std::size_t b, std::size_t e) { adam_kernel(p, grad, m, v, v_max, c, b, e); });
}

}  // namespace

template <class T>
BasicAdam<T>::BasicAdam(std::vector<BasicTensor<T>> params, AdamOptions options)
    : BasicAdam(std::vector<Group>{Group(std::move(params))}, std::move(options)) {}

template <class T>
BasicAdam<T>::BasicAdam(std::vector<Group> groups, AdamOptions defaults)
    : GroupedOptimizer<T, AdamOptions, AdamState<T>>("Adam", std::move(groups),
                                                     std::move(defaults)) {}

template <class T>
RangeUpdate BasicAdam<T>::prepare(BasicTensor<T>& param, AdamState<T>& state,
                                  const AdamOptions& options) {
  return adam_prepare(param, state, options, /*decoupled=*/false);
}

template <class T>
BasicAdamW<T>::BasicAdamW(std::vector<BasicTensor<T>> params, AdamWOptions options)
    : BasicAdamW(std::vector<Group>{Group(std::move(params))}, std::move(options)) {}

template <class T>
BasicAdamW<T>::BasicAdamW(std::vector<Group> groups, AdamWOptions defaults)
    : GroupedOptimizer<T, AdamWOptions, AdamState<T>>("AdamW", std::move(groups),
                                                      std::move(defaults)) {}

template <class T>
RangeUpdate BasicAdamW<T>::prepare(BasicTensor<T>& param, AdamState<T>& state,
                                   const AdamWOptions& options) {
  return adam_prepare(param, state, options, /*decoupled=*/true);
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
