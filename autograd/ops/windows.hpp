// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <type_traits>

#include "axon/autograd/tensor.hpp"

/// Internal: two recorded ops on 2-D tensors, each the other's adjoint, with which the recorded
/// backwards of ops/recurrent.cpp take column blocks (gates) and row blocks (time steps), so the
/// family is closed under differentiation to any order. window reads a [nr, nc] block at
/// (r0, c0) of x [R, C]; placed writes g [nr, nc] into zeros [R, C] there.
namespace axon::autograd::detail {

/// Declared ahead of window, whose backward it is (defined below).
template <class T>
BasicTensor<T> placed(const BasicTensor<T>& g, std::size_t r0, std::size_t c0, std::size_t rows,
                      std::size_t cols);

/// Copies the [nr, nc] block at (r0, c0) of the [*, src_cols] `src` into the [*, dst_cols] `dst`
/// at (d0, e0).
template <class T>
void copy_block(const T* src, std::size_t src_cols, std::size_t r0, std::size_t c0, T* dst,
                std::size_t dst_cols, std::size_t d0, std::size_t e0, std::size_t nr,
                std::size_t nc) {
  for (std::size_t r = 0; r < nr; ++r) {
    std::copy_n(src + (r0 + r) * src_cols + c0, nc, dst + (d0 + r) * dst_cols + e0);
  }
}

/// x[r0:r0+nr, c0:c0+nc] of a 2-D x.  dx = placed(g, r0, c0, R, C)
template <class T>
BasicTensor<T> window(const BasicTensor<T>& x, std::size_t r0, std::size_t nr, std::size_t c0,
                      std::size_t nc) {
  const std::size_t cols = x.shape()[1];
  xt::xarray<T> out = xt::xarray<T>::from_shape({nr, nc});
  copy_block(x.data_ptr(), cols, r0, c0, out.data(), nc, 0, 0, nr, nc);
  return make_result<T>("window", std::move(out), {&x},
                        [ix = x.impl_ptr(), r0, c0](const auto& g, const auto&) -> void {
                          const Shape& s = ix->value.shape();
                          if constexpr (is_tensor_v<std::decay_t<decltype(g)>>) {
                            add_grad(ix, placed(g, r0, c0, s[0], s[1]));
                          } else {
                            xt::xarray<T> d = xt::zeros<T>(s);
                            copy_block(g.data(), g.shape()[1], 0, 0, d.data(), s[1], r0, c0,
                                       g.shape()[0], g.shape()[1]);
                            accumulate_grad(*ix, std::move(d));
                          }
                        });
}

/// g [nr, nc] at (r0, c0) of zeros [rows, cols].  dg = window(g', r0, nr, c0, nc)
template <class T>
BasicTensor<T> placed(const BasicTensor<T>& g, std::size_t r0, std::size_t c0, std::size_t rows,
                      std::size_t cols) {
  const std::size_t nr = g.shape()[0], nc = g.shape()[1];
  xt::xarray<T> out = xt::zeros<T>({rows, cols});
  copy_block(g.data_ptr(), nc, 0, 0, out.data(), cols, r0, c0, nr, nc);
  return make_result<T>("placed", std::move(out), {&g},
                        [ig = g.impl_ptr(), r0, c0](const auto& d, const auto&) -> void {
                          const Shape& s = ig->value.shape();
                          if constexpr (is_tensor_v<std::decay_t<decltype(d)>>) {
                            add_grad(ig, window(d, r0, s[0], c0, s[1]));
                          } else {
                            xt::xarray<T> w = xt::xarray<T>::from_shape(s);
                            copy_block(d.data(), d.shape()[1], r0, c0, w.data(), s[1], 0, 0, s[0],
                                       s[1]);
                            accumulate_grad(*ig, std::move(w));
                          }
                        });
}

}  // namespace axon::autograd::detail
