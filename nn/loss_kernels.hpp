// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

#include "axon/autograd/error.hpp"
#include "axon/autograd/operators.hpp"
#include "axon/autograd/ops/shape.hpp"
#include "axon/autograd/shape.hpp"
#include "axon/nn/losses.hpp"

/// Internal to nn/losses.cpp and nn/classification_losses.cpp: the reduction of per-element
/// losses and the upstream gradient each element receives, as arrays (the first-order backward)
/// and as tensors (the recorded backward of a create_graph pass).
namespace axon::nn::loss_detail {

using autograd::Shape;
using autograd::shape_str;

/// A number as printed in messages (shortest form, no trailing zeros).
inline std::string num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

/// ShapeError naming `op` and both operands unless shapes `a` and `b` are equal.
inline void check_same_shape(const char* op, const char* a_name, const Shape& a, const char* b_name,
                             const Shape& b) {
  if (a != b) {
    throw ShapeError(std::string(op) + ": " + a_name + " " + shape_str(a) + " and " + b_name + " " +
                     shape_str(b) + " must have the same shape");
  }
}

/// Combines per-element losses: None keeps them (shape unchanged), Mean and Sum give a 0-d value.
/// Sums run in double, in row-major order (reproducible). Mean of nothing is NaN, as PyTorch.
template <class T>
xt::xarray<T> reduce(xt::xarray<T>&& per, Reduction reduction) {
  if (reduction == Reduction::None) return std::move(per);
  double total = 0;
  for (std::size_t i = 0; i < per.size(); ++i) total += static_cast<double>(per.data()[i]);
  if (reduction == Reduction::Mean) total /= static_cast<double>(per.size());
  xt::xarray<T> out = xt::xarray<T>::from_shape({});
  out.data()[0] = static_cast<T>(total);
  return out;
}

/// The upstream gradient of loss element i: g[i] for None, else g scaled by 1 (Sum) or 1/n (Mean).
template <class T>
struct Upstream {
  /// Reads the upstream gradient `g` of a loss over `n` elements reduced by `reduction`.
  Upstream(const xt::xarray<T>& g, Reduction reduction, std::size_t n)
      : g_(g.data()),
        per_element_(reduction == Reduction::None),
        scalar_(reduction == Reduction::Mean ? g.data()[0] / static_cast<T>(n) : g.data()[0]) {}
  /// The gradient element i receives.
  T operator()(std::size_t i) const { return per_element_ ? g_[i] : scalar_; }

 private:
  const T* g_;
  bool per_element_;
  T scalar_;
};

/// The recorded form of Upstream: g itself for None, else the 0-d g scaled by 1 or 1/n (broadcast
/// by the ops it meets). For per-sample losses over rows [N,C] pass `rows` > 0: a per-sample g
/// [N] becomes [N,1].
template <class T>
BasicTensor<T> upstream(const BasicTensor<T>& g, Reduction reduction, std::size_t n,
                        std::size_t rows = 0) {
  if (reduction == Reduction::Mean) return g / static_cast<T>(n);
  if (reduction == Reduction::None && rows > 0 && g.dim() == 1) {
    return autograd::reshape(g, {static_cast<long>(rows), 1});
  }
  return g;
}

/// Whether the backward lambda was called with tensors (a recording pass, create_graph).
template <class G>
inline constexpr bool recording_v = autograd::detail::is_tensor_v<std::decay_t<G>>;

}  // namespace axon::nn::loss_detail
