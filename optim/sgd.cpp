// SPDX-License-Identifier: MIT
#include "axon/optim/sgd.hpp"

#include <cmath>
#include <string_view>

#include "axon/optim/optimizer_impl.hpp"

namespace axon::optim {

void SGDOptions::validate() const {
  detail::check_option(lr_ >= 0, "SGD", "learning rate", lr_, ">= 0");
  detail::check_option(std::isfinite(lr_), "SGD", "learning rate", lr_, "finite");
  detail::check_option(momentum_ >= 0, "SGD", "momentum", momentum_, ">= 0");
  detail::check_option(weight_decay_ >= 0, "SGD", "weight_decay", weight_decay_, ">= 0");
  if (nesterov_ && (momentum_ <= 0 || dampening_ != 0)) {
    throw ValueError(
        "SGD: invalid nesterov (Nesterov momentum requires momentum > 0 and "
        "dampening 0)");
  }
}

/// The arrays an SGD state with steps taken holds (checked by load_state_dict).
bool array_required(const SGDOptions& options, std::string_view field) {
  return field != "momentum_buffer" || options.momentum() > 0;
}

template <class T>
BasicSGD<T>::BasicSGD(std::vector<BasicTensor<T>> params, SGDOptions options)
    : BasicSGD(std::vector<Group>{Group(std::move(params))}, std::move(options)) {}

template <class T>
BasicSGD<T>::BasicSGD(std::vector<Group> groups, SGDOptions defaults)
    : GroupedOptimizer<T, SGDOptions, SGDState<T>>("SGD", std::move(groups), std::move(defaults)) {}

template <class T>
RangeUpdate BasicSGD<T>::prepare(BasicTensor<T>& param, SGDState<T>& state,
                                 const SGDOptions& options) {
  T* p = param.mutable_data_ptr();
  const T* grad = param.grad_data().data();
  const T lr = static_cast<T>(options.lr());
  const T weight_decay = static_cast<T>(options.weight_decay());
  const T momentum = static_cast<T>(options.momentum());
  const T sign = options.maximize() ? T(-1) : T(1);
  ++state.step;

  if (options.momentum() == 0) {
    return range_update([=](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        const T d = sign * grad[i] + weight_decay * p[i];
        p[i] += -lr * d;
      }
    });
  }
  // The first step with momentum starts the buffer at d itself (no dampening), as PyTorch.
  const bool first = !in_use(state.momentum_buffer, param);
  if (first) state.momentum_buffer = xt::xarray<T>::from_shape(param.shape());
  T* buf = state.momentum_buffer.data();
  const T one_minus_dampening = static_cast<T>(1 - options.dampening());
  const bool nesterov = options.nesterov();
  return range_update([=](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const T d = sign * grad[i] + weight_decay * p[i];
      buf[i] = first ? d : momentum * buf[i] + one_minus_dampening * d;
      const T direction = nesterov ? d + momentum * buf[i] : buf[i];
      p[i] += -lr * direction;
    }
  });
}

template class GroupedOptimizer<float, SGDOptions, SGDState<float>>;
template class GroupedOptimizer<double, SGDOptions, SGDState<double>>;
template class BasicSGD<float>;
template class BasicSGD<double>;

}  // namespace axon::optim
