// SPDX-License-Identifier: MIT
#include "axon/autograd/ops/reductions.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "axon/autograd/kernels.hpp"
#include "axon/autograd/operators.hpp"
#include "axon/autograd/ops/instantiate.hpp"
#include "axon/autograd/ops/reduction_plan.hpp"
#include "axon/autograd/ops/shape.hpp"

namespace axon::autograd {

namespace {

using namespace reduction_plan;

/// max and min: the result and, for backward, the arg index of each result in block layout.
template <class T, class Cmp>
BasicTensor<T> extreme(const char* op, const BasicTensor<T>& x, const std::vector<int>& axes,
                       bool keepdims, Cmp cmp) {
  Reduction p = plan(op, x.shape(), axes, keepdims);
  require_elements(op, p, x.shape(), axes);
  std::vector<T> buffer;
  xt::xarray<T> out = xt::xarray<T>::from_shape(p.out_shape);
  std::vector<std::size_t> arg(out.size());
  block_extreme(p, block(p, x.data(), buffer), out.data(), arg.data(), cmp);
  auto ix = x.impl_ptr();
  return make_result<T>(
      op, std::move(out), {&x},
      [ix, p = std::move(p), arg = std::move(arg)](const xt::xarray<T>& g, const xt::xarray<T>&) {
        // dx is g at each result's (first) arg element, 0 elsewhere.
        const T* pg = g.data();
        accumulate_grad(*ix, input_grad<T>(p, ix->value.shape(), [&](T* d) {
          std::fill(d, d + ix->value.size(), T(0));
          for (std::size_t o = 0; o < p.outer; ++o) {
            for (std::size_t i = 0; i < p.inner; ++i) {
              const std::size_t j = o * p.inner + i;
              d[(o * p.reduced + arg[j]) * p.inner + i] = pg[j];
            }
          }
        }));
      });
}

/// A reduction's gradient `g` (of the result's shape) broadcast back over the reduced axes of
/// `shape`, recorded: the tensor form of the backward of sum and mean.
template <class T>
BasicTensor<T> spread_back(const BasicTensor<T>& g, const Reduction& p, const Shape& shape) {
  return broadcast_to(reshape(g, std::vector<long>(p.keep_shape.begin(), p.keep_shape.end())),
                      shape);
}

/// sum (average false) and mean (average true).
template <class T>
BasicTensor<T> total(const char* op, const BasicTensor<T>& x, const std::vector<int>& axes,
                     bool keepdims, bool average) {
  Reduction p = plan(op, x.shape(), axes, keepdims);
  std::vector<T> buffer;
  xt::xarray<T> out = xt::xarray<T>::from_shape(p.out_shape);
  block_sum(p, block(p, x.data(), buffer), out.data(), [](T v, std::size_t) { return v; });
  const T n = average ? static_cast<T>(p.reduced) : T(1);  // mean over 0 elements: NaN, as NumPy
  if (average) {
    for (std::size_t j = 0; j < out.size(); ++j) out.data()[j] /= n;
  }
  auto ix = x.impl_ptr();
  return make_result<T>(
      op, std::move(out), {&x}, [ix, n, p = std::move(p)](const auto& g, const auto&) -> void {
        // dx[o,r,i] = g[o,i] / n  (n = 1 for sum)
        if constexpr (detail::is_tensor_v<std::decay_t<decltype(g)>>) {
          detail::add_grad(ix, spread_back(g, p, ix->value.shape()) / n);
          return;
        } else {
          const T* pg = g.data();
          accumulate_grad(
              *ix, elementwise_grad<T>(p, ix->value.shape(),
                                       [&](std::size_t, std::size_t j) { return pg[j] / n; }));
        }
      });
}

/// var (root false) and std (root true): sum((x - mean)^2) / (n - correction), two passes so
/// there is no cancellation as in E[x^2] - E[x]^2.
template <class T>
BasicTensor<T> spread(const char* op, const BasicTensor<T>& x, const std::vector<int>& axes,
                      bool keepdims, int correction, bool root) {
  Reduction p = plan(op, x.shape(), axes, keepdims);
  const long dof = static_cast<long>(p.reduced) - correction;
  if (dof <= 0) {
    throw ValueError(context(op, x.shape(), axes) +
                     "n - correction = " + std::to_string(p.reduced) + " - " +
                     std::to_string(correction) + " must be positive");
  }
  std::vector<T> buffer;
  const T* px = block(p, x.data(), buffer);
  xt::xarray<T> out = xt::xarray<T>::from_shape(p.out_shape);
  std::vector<T> mean(out.size());
  block_sum(p, px, mean.data(), [](T v, std::size_t) { return v; });
  for (T& m : mean) m /= static_cast<T>(p.reduced);
  const T* pm = mean.data();
  block_sum(p, px, out.data(), [pm](T v, std::size_t j) { return (v - pm[j]) * (v - pm[j]); });
  T* po = out.data();
  for (std::size_t j = 0; j < out.size(); ++j) {
    po[j] /= static_cast<T>(dof);
    if (root) po[j] = std::sqrt(po[j]);
  }
  auto ix = x.impl_ptr();
  return make_result<T>(
      op, std::move(out), {&x},
      [ix, root, dof = static_cast<T>(dof), p = std::move(p), mean = std::move(mean)](
          const xt::xarray<T>& g, const xt::xarray<T>& o) {
        // var: dx[o,r,i] = g 2 (x - mean) / dof.  std: dx = g (x - mean) / (dof std), taken as
        // 0 where std is 0 (all elements equal: sqrt is not differentiable there, x - mean is 0).
        std::vector<T> scale(o.size());
        for (std::size_t j = 0; j < o.size(); ++j) {
          const T gj = g.data()[j], sj = o.data()[j];
          scale[j] = !root ? T(2) * gj / dof : (sj == T(0) ? T(0) : gj / (dof * sj));
        }
        std::vector<T> buffer;
        const T* px = block(p, ix->value, buffer);
        accumulate_grad(
            *ix, elementwise_grad<T>(p, ix->value.shape(), [&](std::size_t k, std::size_t j) {
              return scale[j] * (px[k] - mean[j]);
            }));
      });
}

}  // namespace

template <class T>
BasicTensor<T> sum(const BasicTensor<T>& x, const std::vector<int>& axes, bool keepdims) {
  return total("sum", x, axes, keepdims, false);
}

template <class T>
BasicTensor<T> sum_to(const BasicTensor<T>& x, const Shape& shape) {
  const Shape& xs = x.shape();
  if (xs == shape) return x;
  const auto bad = [&] {
    return ShapeError("sum_to: a tensor of shape " + shape_str(xs) +
                      " is not a broadcast of shape " + shape_str(shape));
  };
  if (shape.size() > xs.size()) throw bad();
  const std::size_t lead = xs.size() - shape.size();
  std::vector<int> axes;
  for (std::size_t d = 0; d < xs.size(); ++d) {
    if (d < lead) {
      axes.push_back(static_cast<int>(d));
    } else if (shape[d - lead] != xs[d]) {
      if (shape[d - lead] != 1) throw bad();
      axes.push_back(static_cast<int>(d));
    }
  }
  BasicTensor<T> s = sum(x, axes, true);
  return reshape(s, std::vector<long>(shape.begin(), shape.end()));
}

template <class T>
BasicTensor<T> mean(const BasicTensor<T>& x, const std::vector<int>& axes, bool keepdims) {
  return total("mean", x, axes, keepdims, true);
}

template <class T>
BasicTensor<T> max(const BasicTensor<T>& x, const std::vector<int>& axes, bool keepdims) {
  return extreme("max", x, axes, keepdims, std::greater<T>());
}

template <class T>
BasicTensor<T> min(const BasicTensor<T>& x, const std::vector<int>& axes, bool keepdims) {
  return extreme("min", x, axes, keepdims, std::less<T>());
}

template <class T>
BasicTensor<T> var(const BasicTensor<T>& x, const std::vector<int>& axes, bool keepdims,
                   int correction) {
  return spread("var", x, axes, keepdims, correction, false);
}

template <class T>
BasicTensor<T> std(const BasicTensor<T>& x, const std::vector<int>& axes, bool keepdims,
                   int correction) {
  return spread("std", x, axes, keepdims, correction, true);
}

template <class T>
BasicTensor<T> logsumexp(const BasicTensor<T>& x, const std::vector<int>& axes, bool keepdims) {
  Reduction p = plan("logsumexp", x.shape(), axes, keepdims);
  std::vector<T> buffer;
  const T* px = block(p, x.data(), buffer);
  xt::xarray<T> out = xt::xarray<T>::from_shape(p.out_shape);
  // Shift by the max so no exp overflows. A result whose max is infinite (all -inf, or a +inf)
  // uses shift 0, so it comes out as -inf or +inf instead of NaN from inf - inf.
  std::vector<T> shift(out.size(), T(0));
  if (p.reduced > 0) block_extreme(p, px, shift.data(), nullptr, std::greater<T>());
  for (T& s : shift) s = std::isfinite(s) ? s : T(0);
  const T* ps = shift.data();
  block_sum(p, px, out.data(), [ps](T v, std::size_t j) { return std::exp(v - ps[j]); });
  for (std::size_t j = 0; j < out.size(); ++j) out.data()[j] = ps[j] + std::log(out.data()[j]);
  auto ix = x.impl_ptr();
  return make_result<T>(
      "logsumexp", std::move(out), {&x},
      [ix, p = std::move(p)](const xt::xarray<T>& g, const xt::xarray<T>& o) {
        // dx[o,r,i] = g[o,i] softmax(x)[o,r,i] = g exp(x - out); 0 for an all -inf result.
        std::vector<T> buffer;
        const T* px = block(p, ix->value, buffer);
        const T* pg = g.data();
        const T* po = o.data();
        const T neg_inf = -std::numeric_limits<T>::infinity();
        accumulate_grad(
            *ix, elementwise_grad<T>(p, ix->value.shape(), [&](std::size_t k, std::size_t j) {
              return po[j] == neg_inf ? T(0) : pg[j] * std::exp(px[k] - po[j]);
            }));
      });
}

template <class T>
BasicTensor<T> argmax(const BasicTensor<T>& x, int axis, bool keepdims) {
  const std::vector<int> axes{axis};
  const Reduction p = plan("argmax", x.shape(), axes, keepdims);
  require_elements("argmax", p, x.shape(), axes);
  std::vector<T> buffer;
  std::vector<T> best(shape_numel(p.out_shape));
  std::vector<std::size_t> arg(best.size());
  block_extreme(p, block(p, x.data(), buffer), best.data(), arg.data(), std::greater<T>());
  xt::xarray<T> out = xt::xarray<T>::from_shape(p.out_shape);
  for (std::size_t j = 0; j < arg.size(); ++j) out.data()[j] = static_cast<T>(arg[j]);
  return BasicTensor<T>(std::move(out));  // indices: never recorded
}

AXON_INSTANTIATE_OPS(sum, sum_to, mean, max, min, logsumexp, var, std, argmax)

}  // namespace axon::autograd
