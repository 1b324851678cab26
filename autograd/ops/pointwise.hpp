// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>

#include "axon/autograd/kernels.hpp"
#include "axon/autograd/tensor.hpp"

/// Internal: the two builders every elementwise op is written with (ops/elementwise.cpp,
/// ops/activations.cpp). An op passes its name, its forward for one element and its derivative
/// for one element, side by side, and gets the recorded tensor back:
///
///     return unary_op<T>("exp", a, [](T x) { return std::exp(x); },
///                        [](T g, T, T o) { return g * o; });
namespace axon::autograd::detail {

/// A unary op. `fwd(x)` computes one output element; `dx(g, x, o)` the gradient contribution of
/// one element from its upstream gradient g, its input x and its output o.
template <class T, class Fwd, class DX>
BasicTensor<T> unary_op(const char* name, const BasicTensor<T>& a, Fwd fwd, DX dx) {
  xt::xarray<T> out = kernels::unary_map(a.data(), fwd);
  // The impl pointer is copied straight into the closure: each extra shared_ptr copy is an
  // atomic increment and decrement per op.
  return make_result<T>(name, std::move(out), {&a},
                        [ia = a.impl_ptr(), dx](const xt::xarray<T>& g, const xt::xarray<T>& o) {
                          xt::xarray<T> d = xt::xarray<T>::from_shape(o.shape());
                          const T* pa = ia->value.data();
                          const T* pg = g.data();
                          const T* po = o.data();
                          T* pd = d.data();
                          const std::size_t n = d.size();
                          for (std::size_t i = 0; i < n; ++i) pd[i] = dx(pg[i], pa[i], po[i]);
                          accumulate_grad(*ia, std::move(d));
                        });
}

/// A broadcasting binary op. `fwd(x, y)` computes one output element; `da(g, x, y, o)` and
/// `db(g, x, y, o)` give the gradient contributions for one output element (g: its upstream
/// gradient, o: its value). Each contribution array is reduced to its operand's shape with
/// kernels::sum_to_shape.
template <class T, class Fwd, class DA, class DB>
BasicTensor<T> binary_op(const char* name, const BasicTensor<T>& a, const BasicTensor<T>& b,
                         Fwd fwd, DA da, DB db) {
  const Shape out_shape = broadcast_shapes(a.shape(), b.shape(), name);
  xt::xarray<T> out = kernels::binary_map(a.data(), b.data(), out_shape, fwd);
  return make_result<T>(
      name, std::move(out), {&a, &b},
      [ia = a.impl_ptr(), ib = b.impl_ptr(), da, db](const xt::xarray<T>& g,
                                                     const xt::xarray<T>& o) {
        const Shape& os = o.shape();
        const Shape sa = broadcast_strides(ia->value.shape(), os);
        const Shape sb = broadcast_strides(ib->value.shape(), os);
        const T* pa = ia->value.data();
        const T* pb = ib->value.data();
        const T* pg = g.data();
        const T* po = o.data();
        if (ia->requires_grad) {
          xt::xarray<T> d = xt::xarray<T>::from_shape(os);
          T* pd = d.data();
          kernels::for_each_broadcast(os, sa, sb,
                                      [&](std::size_t i, std::size_t ja, std::size_t jb) {
                                        pd[i] = da(pg[i], pa[ja], pb[jb], po[i]);
                                      });
          accumulate_grad(*ia, kernels::sum_to_shape(std::move(d), ia->value.shape()));
        }
        if (ib->requires_grad) {
          xt::xarray<T> d = xt::xarray<T>::from_shape(os);
          T* pd = d.data();
          kernels::for_each_broadcast(os, sa, sb,
                                      [&](std::size_t i, std::size_t ja, std::size_t jb) {
                                        pd[i] = db(pg[i], pa[ja], pb[jb], po[i]);
                                      });
          accumulate_grad(*ib, kernels::sum_to_shape(std::move(d), ib->value.shape()));
        }
      });
}

}  // namespace axon::autograd::detail
