// SPDX-License-Identifier: MIT
// The indexing ops (autograd/ops/indexing.hpp): index_select and gather, each forward with its
// backward.
#include "axon/autograd/ops/indexing.hpp"

#include <algorithm>
#include <memory>
#include <string>

#include "axon/autograd/kernels.hpp"
#include "axon/autograd/ops/flat_index.hpp"
#include "axon/autograd/ops/instantiate.hpp"
#include "axon/autograd/shape.hpp"

namespace axon::autograd {

namespace {

/// Product of the extents of axes [begin, end).
std::size_t extent_product(const Shape& shape, std::size_t begin, std::size_t end) {
  std::size_t n = 1;
  for (std::size_t i = begin; i < end; ++i) n *= shape[i];
  return n;
}

}  // namespace

template <class T>
BasicTensor<T> index_select(const BasicTensor<T>& x, int axis,
                            const std::vector<std::size_t>& indices) {
  const Shape& in = x.shape();
  const std::size_t ax = normalize_axis(axis, in, "index_select");
  const std::size_t extent = in[ax];
  for (std::size_t i : indices) {
    if (i >= extent) {
      throw IndexError("index_select: index " + std::to_string(i) + " is out of range for axis " +
                       std::to_string(axis) + " with extent " + std::to_string(extent) +
                       " (shape " + shape_str(in) + ")");
    }
  }
  const std::size_t outer = extent_product(in, 0, ax);
  const std::size_t inner = extent_product(in, ax + 1, in.size());
  const std::size_t k = indices.size();
  Shape out_shape = in;
  out_shape[ax] = k;
  xt::xarray<T> out = xt::xarray<T>::from_shape(out_shape);
  for (std::size_t o = 0; o < outer; ++o) {
    for (std::size_t j = 0; j < k; ++j) {
      std::copy_n(x.data_ptr() + (o * extent + indices[j]) * inner, inner,
                  out.data() + (o * k + j) * inner);
    }
  }
  auto ix = x.impl_ptr();
  return make_result<T>("index_select", std::move(out), {&x},
                        [ix, indices, outer, inner, extent](const auto& g, const auto&) -> void {
                          // dx: each row of g added into the row it was picked from (repeats
                          // accumulate).
                          const std::size_t k = indices.size();
                          if constexpr (detail::is_tensor_v<std::decay_t<decltype(g)>>) {
                            auto at = std::make_shared<std::vector<std::size_t>>(outer * k * inner);
                            for (std::size_t o = 0; o < outer; ++o) {
                              for (std::size_t j = 0; j < k; ++j) {
                                for (std::size_t e = 0; e < inner; ++e) {
                                  (*at)[(o * k + j) * inner + e] =
                                      (o * extent + indices[j]) * inner + e;
                                }
                              }
                            }
                            detail::add_grad(ix, detail::put_flat(g, at, ix->value.shape()));
                          } else {
                            xt::xarray<T> dx = xt::zeros<T>(ix->value.shape());
                            for (std::size_t o = 0; o < outer; ++o) {
                              for (std::size_t j = 0; j < k; ++j) {
                                const T* src = g.data() + (o * k + j) * inner;
                                T* dst = dx.data() + (o * extent + indices[j]) * inner;
                                for (std::size_t e = 0; e < inner; ++e) dst[e] += src[e];
                              }
                            }
                            accumulate_grad(*ix, std::move(dx));
                          }
                        });
}

template <class T>
BasicTensor<T> gather(const BasicTensor<T>& x, int axis, const xt::xarray<std::size_t>& index) {
  const Shape& in = x.shape();
  const std::size_t ax = normalize_axis(axis, in, "gather");
  const Shape out_shape(index.shape().begin(), index.shape().end());
  bool fits = out_shape.size() == in.size();
  for (std::size_t d = 0; fits && d < in.size(); ++d) fits = d == ax || out_shape[d] <= in[d];
  if (!fits) {
    throw ShapeError("gather: index of shape " + shape_str(out_shape) +
                     " must have the rank of x " + shape_str(in) +
                     " and no larger extents off axis " + std::to_string(axis));
  }
  for (std::size_t i = 0; i < index.size(); ++i) {
    if (index.data()[i] >= in[ax]) {
      throw IndexError("gather: index " + std::to_string(index.data()[i]) +
                       " is out of range for axis " + std::to_string(axis) + " with extent " +
                       std::to_string(in[ax]) + " (shape " + shape_str(in) + ")");
    }
  }
  // x offset of out[i] = (i's coordinates off the axis) . strides + index[i] * strides[ax]
  Shape base = contiguous_strides(in);
  const std::size_t axis_stride = base[ax];
  base[ax] = 0;
  xt::xarray<T> out = xt::xarray<T>::from_shape(out_shape);
  {
    const T* px = x.data_ptr();
    const std::size_t* pi = index.data();
    T* po = out.data();
    kernels::for_each_broadcast(
        out_shape, base, base,
        [&](std::size_t i, std::size_t xb, std::size_t) { po[i] = px[xb + pi[i] * axis_stride]; });
  }
  auto ix = x.impl_ptr();
  return make_result<T>(
      "gather", std::move(out), {&x},
      [ix, index, base, axis_stride](const auto& g, const auto&) -> void {
        // dx: g scatter-added to the positions it was read from.
        if constexpr (detail::is_tensor_v<std::decay_t<decltype(g)>>) {
          auto at = std::make_shared<std::vector<std::size_t>>(g.numel());
          const std::size_t* pi = index.data();
          kernels::for_each_broadcast(g.shape(), base, base,
                                      [&](std::size_t i, std::size_t xb, std::size_t) {
                                        (*at)[i] = xb + pi[i] * axis_stride;
                                      });
          detail::add_grad(ix, detail::put_flat(g, at, ix->value.shape()));
        } else {
          xt::xarray<T> dx = xt::zeros<T>(ix->value.shape());
          const T* pg = g.data();
          const std::size_t* pi = index.data();
          T* pd = dx.data();
          kernels::for_each_broadcast(g.shape(), base, base,
                                      [&](std::size_t i, std::size_t xb, std::size_t) {
                                        pd[xb + pi[i] * axis_stride] += pg[i];
                                      });
          accumulate_grad(*ix, std::move(dx));
        }
      });
}

AXON_INSTANTIATE_OPS(index_select, gather)

}  // namespace axon::autograd
