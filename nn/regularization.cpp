// SPDX-License-Identifier: MIT
#include "axon/nn/regularization.hpp"

#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>

#include "axon/autograd/operators.hpp"
#include "axon/autograd/ops/pointwise.hpp"

namespace axon::nn {

namespace {

using autograd::BasicTensor;
using autograd::TensorImpl;

template <class T>
void check_arguments(const char* op, const std::vector<BasicTensor<T>>& params, T lambda) {
  if (!(lambda >= T(0))) {
    std::ostringstream os;
    os << op << ": lambda must be non-negative, got " << lambda;
    throw ValueError(os.str());
  }
  for (std::size_t k = 0; k < params.size(); ++k) {
    if (!params[k].defined()) {
      throw ValueError(std::string(op) + ": parameter " + std::to_string(k) +
                       " is an undefined tensor");
    }
  }
}

/// lambda sum_k sum_i f(w_ki) over a list of parameters, recorded as one node. `slope(w)` is df/dw;
/// `slope_tensor(w)` the same for a whole tensor in recorded ops (the recorded backward).
template <class T, class F, class Slope, class SlopeTensor>
BasicTensor<T> penalty(const char* op, const std::vector<BasicTensor<T>>& params, T lambda, F f,
                       Slope slope, SlopeTensor slope_tensor) {
  check_arguments(op, params, lambda);
  double total = 0;
  for (const auto& p : params) {
    const T* w = p.data_ptr();
    for (std::size_t i = 0; i < p.numel(); ++i) total += static_cast<double>(f(w[i]));
  }
  xt::xarray<T> value = xt::xarray<T>::from_shape({});
  value.data()[0] = static_cast<T>(static_cast<double>(lambda) * total);

  std::vector<std::shared_ptr<TensorImpl<T>>> inputs;  // those requiring a gradient
  for (const auto& p : params) {
    if (p.requires_grad()) inputs.push_back(p.impl_ptr());
  }
  return autograd::make_result<T>(
      op, std::move(value), params,
      [inputs = std::move(inputs), lambda, slope, slope_tensor](const auto& g,
                                                                const auto&) -> void {
        // d/dw_ki = g lambda slope(w_ki)   [shape of each parameter]
        if constexpr (autograd::detail::is_tensor_v<std::decay_t<decltype(g)>>) {
          const BasicTensor<T> scale = g * lambda;  // 0-d, broadcast over each parameter
          for (const auto& impl : inputs) {
            autograd::detail::add_grad(impl, slope_tensor(BasicTensor<T>(impl)) * scale);
          }
          return;
        }
        const T scale = g.data()[0] * lambda;
        for (const auto& impl : inputs) {
          xt::xarray<T> d = xt::xarray<T>::from_shape(impl->value.shape());
          const T* w = impl->value.data();
          for (std::size_t i = 0; i < d.size(); ++i) d.data()[i] = scale * slope(w[i]);
          autograd::accumulate_grad(*impl, std::move(d));
        }
      });
}

}  // namespace

template <class T>
BasicTensor<T> l1_penalty(const std::vector<BasicTensor<T>>& params,
                          std::type_identity_t<T> lambda) {
  return penalty<T>(
      "l1_penalty", params, lambda, [](T w) { return std::abs(w); },
      [](T w) { return w > T(0) ? T(1) : (w < T(0) ? T(-1) : T(0)); },
      [](const BasicTensor<T>& w) {
        // sign(w): a constant (its derivative is 0 away from w = 0)
        return autograd::detail::constant_map(
            w, [](T v) { return v > T(0) ? T(1) : (v < T(0) ? T(-1) : T(0)); });
      });
}

template <class T>
BasicTensor<T> l2_penalty(const std::vector<BasicTensor<T>>& params,
                          std::type_identity_t<T> lambda) {
  return penalty<T>(
      "l2_penalty", params, lambda, [](T w) { return w * w; }, [](T w) { return T(2) * w; },
      [](const BasicTensor<T>& w) { return w * T(2); });
}

#define AXON_INSTANTIATE(T)                                                 \
  template BasicTensor<T> l1_penalty<T>(const std::vector<BasicTensor<T>>&, \
                                        std::type_identity_t<T>);           \
  template BasicTensor<T> l2_penalty<T>(const std::vector<BasicTensor<T>>&, \
                                        std::type_identity_t<T>);

AXON_INSTANTIATE(float)
AXON_INSTANTIATE(double)

}  // namespace axon::nn
