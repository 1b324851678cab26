// SPDX-License-Identifier: MIT
#include "axon/optim/adagrad.hpp"

#include <cmath>
#include <string_view>

#include "axon/optim/optimizer_impl.hpp"

namespace axon::optim {

void AdagradOptions::validate() const {
  detail::check_option(lr_ >= 0, "Adagrad", "learning rate", lr_, ">= 0");
  detail::check_option(std::isfinite(lr_), "Adagrad", "learning rate", lr_, "finite");
  detail::check_option(lr_decay_ >= 0, "Adagrad", "lr_decay", lr_decay_, ">= 0");
  detail::check_option(weight_decay_ >= 0, "Adagrad", "weight_decay", weight_decay_, ">= 0");
  detail::check_option(initial_accumulator_value_ >= 0, "Adagrad", "initial_accumulator_value",
                       initial_accumulator_value_, ">= 0");
  detail::check_option(eps_ >= 0, "Adagrad", "eps", eps_, ">= 0");
}

/// The arrays an Adagrad state with steps taken holds (checked by load_state_dict).
bool array_required(const AdagradOptions&, std::string_view) {
  return true;
}

template <class T>
BasicAdagrad<T>::BasicAdagrad(std::vector<BasicTensor<T>> params, AdagradOptions options)
    : BasicAdagrad(std::vector<Group>{Group(std::move(params))}, std::move(options)) {}

template <class T>
BasicAdagrad<T>::BasicAdagrad(std::vector<Group> groups, AdagradOptions defaults)
    : GroupedOptimizer<T, AdagradOptions, AdagradState<T>>("Adagrad", std::move(groups),
                                                           std::move(defaults)) {}

template <class T>
RangeUpdate BasicAdagrad<T>::prepare(BasicTensor<T>& param, AdagradState<T>& state,
                                     const AdagradOptions& options) {
  // PyTorch fills the accumulator when the optimizer is built; here on the first update.
  if (!in_use(state.sum, param)) {
    state.sum = xt::xarray<T>::from_shape(param.shape());
    state.sum.fill(static_cast<T>(options.initial_accumulator_value()));
  }
  ++state.step;

  const double t = static_cast<double>(state.step);
  const T clr = static_cast<T>(options.lr() / (1 + (t - 1) * options.lr_decay()));
  const T eps = static_cast<T>(options.eps());
  const T weight_decay = static_cast<T>(options.weight_decay());
  const T sign = options.maximize() ? T(-1) : T(1);

  T* p = param.mutable_data_ptr();
  const T* grad = param.grad_data().data();
  T* sum = state.sum.data();
  return range_update([=](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const T g = sign * grad[i] + weight_decay * p[i];
      sum[i] += g * g;
      const T denom = std::sqrt(sum[i]) + eps;
      p[i] += -clr * (g / denom);
    }
  });
}

template class GroupedOptimizer<float, AdagradOptions, AdagradState<float>>;
template class GroupedOptimizer<double, AdagradOptions, AdagradState<double>>;
template class BasicAdagrad<float>;
template class BasicAdagrad<double>;

}  // namespace axon::optim
