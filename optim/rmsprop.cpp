// SPDX-License-Identifier: MIT
#include "axon/optim/rmsprop.hpp"

#include <cmath>
#include <string_view>

#include "axon/optim/optimizer_impl.hpp"

namespace axon::optim {

void RMSpropOptions::validate() const {
  detail::check_option(lr_ >= 0, "RMSprop", "learning rate", lr_, ">= 0");
  detail::check_option(std::isfinite(lr_), "RMSprop", "learning rate", lr_, "finite");
  detail::check_option(alpha_ >= 0, "RMSprop", "alpha", alpha_, ">= 0");
  detail::check_option(eps_ >= 0, "RMSprop", "eps", eps_, ">= 0");
  detail::check_option(weight_decay_ >= 0, "RMSprop", "weight_decay", weight_decay_, ">= 0");
  detail::check_option(momentum_ >= 0, "RMSprop", "momentum", momentum_, ">= 0");
}

/// The arrays an RMSprop state with steps taken holds (checked by load_state_dict).
bool array_required(const RMSpropOptions& options, std::string_view field) {
  if (field == "momentum_buffer") return options.momentum() > 0;
  if (field == "grad_avg") return options.centered();
  return true;
}

template <class T>
BasicRMSprop<T>::BasicRMSprop(std::vector<BasicTensor<T>> params, RMSpropOptions options)
    : BasicRMSprop(std::vector<Group>{Group(std::move(params))}, std::move(options)) {}

template <class T>
BasicRMSprop<T>::BasicRMSprop(std::vector<Group> groups, RMSpropOptions defaults)
    : GroupedOptimizer<T, RMSpropOptions, RMSpropState<T>>("RMSprop", std::move(groups),
                                                           std::move(defaults)) {}

template <class T>
RangeUpdate BasicRMSprop<T>::prepare(BasicTensor<T>& param, RMSpropState<T>& state,
                                     const RMSpropOptions& options) {
  const bool centered = options.centered();
  const bool use_momentum = options.momentum() > 0;
  if (!in_use(state.square_avg, param)) state.square_avg = xt::zeros<T>(param.shape());
  if (use_momentum && !in_use(state.momentum_buffer, param)) {
    state.momentum_buffer = xt::zeros<T>(param.shape());
  }
  if (centered && !in_use(state.grad_avg, param)) state.grad_avg = xt::zeros<T>(param.shape());
  ++state.step;

  const T lr = static_cast<T>(options.lr());
  const T alpha = static_cast<T>(options.alpha());
  const T one_minus_alpha = static_cast<T>(1 - options.alpha());
  const T eps = static_cast<T>(options.eps());
  const T weight_decay = static_cast<T>(options.weight_decay());
  const T momentum = static_cast<T>(options.momentum());
  const T sign = options.maximize() ? T(-1) : T(1);

  T* p = param.mutable_data_ptr();
  const T* grad = param.grad_data().data();
  T* square_avg = state.square_avg.data();
  T* grad_avg = centered ? state.grad_avg.data() : nullptr;
  T* buf = use_momentum ? state.momentum_buffer.data() : nullptr;
  return range_update([=](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const T g = sign * grad[i] + weight_decay * p[i];
      square_avg[i] = alpha * square_avg[i] + one_minus_alpha * (g * g);
      T variance = square_avg[i];
      if (centered) {
        grad_avg[i] = alpha * grad_avg[i] + one_minus_alpha * g;
        variance -= grad_avg[i] * grad_avg[i];
      }
      const T avg = std::sqrt(variance) + eps;
      if (use_momentum) {
        buf[i] = momentum * buf[i] + g / avg;
        p[i] += -lr * buf[i];
      } else {
        p[i] += -lr * (g / avg);
      }
    }
  });
}

template class GroupedOptimizer<float, RMSpropOptions, RMSpropState<float>>;
template class GroupedOptimizer<double, RMSpropOptions, RMSpropState<double>>;
template class BasicRMSprop<float>;
template class BasicRMSprop<double>;

}  // namespace axon::optim
