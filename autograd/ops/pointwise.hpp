// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>

#include "axon/autograd/kernels.hpp"
#include "axon/autograd/operators.hpp"
#include "axon/autograd/ops/reductions.hpp"
#include "axon/autograd/tensor.hpp"

/// Internal: the two builders every elementwise op is written with (ops/elementwise.cpp,
/// ops/activations.cpp). An op passes its name, its forward for one element and its derivative
/// for one element, side by side, and gets the recorded tensor back:
///
///     return unary_op<T>("exp", a, [](T x) { return std::exp(x); },
///                        [](T g, T, T o) { return g * o; },
///                        [](const auto& g, const auto&, const auto& o) { return g * o; });
///
/// The last function is the same derivative written with tensors (the op's recorded backward,
/// used by a pass with create_graph so the gradient can be differentiated again).
namespace axon::autograd::detail {

/// A constant (unrecorded) tensor of f(x) per element: the masks and sign factors a recorded
/// backward multiplies by (their own derivative is zero almost everywhere).
template <class T, class F>
BasicTensor<T> constant_map(const BasicTensor<T>& x, F f) {
  return BasicTensor<T>(kernels::unary_map(x.data(), f));
}

/// The same for two broadcast operands, f(x, y) per element of `shape`.
template <class T, class F>
BasicTensor<T> constant_map2(const BasicTensor<T>& x, const BasicTensor<T>& y, const Shape& shape,
                             F f) {
  return BasicTensor<T>(kernels::binary_map(x.data(), y.data(), shape, f));
}

/// A unary op. `fwd(x)` computes one output element; `dx(g, x, o)` the gradient contribution of
/// one element from its upstream gradient g, its input x and its output o; `dx_tensor(g, x, o)`
/// the same for whole tensors, written with recorded ops.
template <class T, class Fwd, class DX, class DXT>
BasicTensor<T> unary_op(const char* name, const BasicTensor<T>& a, Fwd fwd, DX dx, DXT dx_tensor) {
  xt::xarray<T> out = kernels::unary_map(a.data(), fwd);
  // The impl pointer is copied straight into the closure: each extra shared_ptr copy is an
  // atomic increment and decrement per op.
  return make_result<T>(name, std::move(out), {&a},
                        [ia = a.impl_ptr(), dx, dx_tensor](const auto& g, const auto& o) -> void {
                          if constexpr (is_tensor_v<std::decay_t<decltype(g)>>) {
                            add_grad(ia, dx_tensor(g, BasicTensor<T>(ia), o));
                            return;
                          } else {
                            xt::xarray<T> d = xt::xarray<T>::from_shape(o.shape());
                            const T* pa = ia->value.data();
                            const T* pg = g.data();
                            const T* po = o.data();
                            T* pd = d.data();
                            const std::size_t n = d.size();
                            for (std::size_t i = 0; i < n; ++i) pd[i] = dx(pg[i], pa[i], po[i]);
                            accumulate_grad(*ia, std::move(d));
                          }
                        });
}

/// A broadcasting binary op. `fwd(x, y)` computes one output element; `da(g, x, y, o)` and
/// `db(g, x, y, o)` give the gradient contributions for one output element (g: its upstream
/// gradient, o: its value). Each contribution array is reduced to its operand's shape with
/// kernels::sum_to_shape. `da_tensor(g, a, b, o)` and `db_tensor(g, a, b, o)` are the same
/// contributions for whole tensors, written with recorded ops (reduced with sum_to).
template <class T, class Fwd, class DA, class DB, class DAT, class DBT>
BasicTensor<T> binary_op(const char* name, const BasicTensor<T>& a, const BasicTensor<T>& b,
                         Fwd fwd, DA da, DB db, DAT da_tensor, DBT db_tensor) {
  const Shape out_shape = broadcast_shapes(a.shape(), b.shape(), name);
  xt::xarray<T> out = kernels::binary_map(a.data(), b.data(), out_shape, fwd);
  return make_result<T>(
      name, std::move(out), {&a, &b},
      [ia = a.impl_ptr(), ib = b.impl_ptr(), da, db, da_tensor, db_tensor](const auto& g,
                                                                           const auto& o) -> void {
        if constexpr (is_tensor_v<std::decay_t<decltype(g)>>) {
          const BasicTensor<T> ta(ia), tb(ib);
          if (ia->requires_grad) add_grad(ia, sum_to(da_tensor(g, ta, tb, o), ta.shape()));
          if (ib->requires_grad) add_grad(ib, sum_to(db_tensor(g, ta, tb, o), tb.shape()));
          return;
        } else {
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
        }
      });
}

}  // namespace axon::autograd::detail
