// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>

#include <xtensor/xarray.hpp>

#include "axon/autograd/parallel_for.hpp"
#include "axon/autograd/shape.hpp"

/// Loop kernels shared by the ops: broadcasting maps and the one `sum_to_shape` every
/// broadcasting backward uses (docs/ARCHITECTURE.md, property 4). Plain loops over contiguous
/// row-major buffers; the compiler vectorises the same-shape fast paths, and those split over
/// threads (parallel_chunks) once a tensor has more than kParallelGrain elements. Elementwise
/// results do not depend on the split, so this keeps runs bitwise reproducible.
namespace axon::autograd::kernels {

/// Elements per chunk of a parallel elementwise map: tensors up to this size (everything in a
/// typical shard of a batch-parallel step) run inline with no scheduling cost.
inline constexpr std::size_t kParallelGrain = std::size_t(1) << 16;

/// Calls `f(out_offset, a_offset, b_offset)` for every element of `out_shape` in row-major order,
/// where a and b are read through (possibly zero) strides.
template <class F>
void for_each_broadcast(const Shape& out_shape, const Shape& sa, const Shape& sb, F&& f) {
  const std::size_t rank = out_shape.size();
  const std::size_t total = shape_numel(out_shape);
  if (total == 0) return;
  if (rank == 0) {
    f(std::size_t{0}, std::size_t{0}, std::size_t{0});
    return;
  }
  const std::size_t inner = out_shape[rank - 1];
  const std::size_t ia = sa[rank - 1], ib = sb[rank - 1];
  Shape index(rank, 0);
  std::size_t oa = 0, ob = 0;
  for (std::size_t out = 0; out < total; out += inner) {
    for (std::size_t j = 0; j < inner; ++j) f(out + j, oa + j * ia, ob + j * ib);
    // Odometer over the outer axes.
    for (std::size_t d = rank - 1; d-- > 0;) {
      ++index[d];
      oa += sa[d];
      ob += sb[d];
      if (index[d] < out_shape[d]) break;
      oa -= sa[d] * index[d];
      ob -= sb[d] * index[d];
      index[d] = 0;
    }
  }
}

/// out = f(a, b) elementwise with NumPy broadcasting; `out_shape` is the broadcast shape.
template <class T, class F>
xt::xarray<T> binary_map(const xt::xarray<T>& a, const xt::xarray<T>& b, const Shape& out_shape,
                         F&& f) {
  xt::xarray<T> out = xt::xarray<T>::from_shape(out_shape);
  T* o = out.data();
  const T* pa = a.data();
  const T* pb = b.data();
  const std::size_t n = out.size();
  if (a.shape() == out_shape && b.shape() == out_shape) {
    parallel_chunks(n, kParallelGrain, [=](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) o[i] = f(pa[i], pb[i]);
    });
  } else if (a.shape() == out_shape && b.size() == 1) {
    const T s = pb[0];
    parallel_chunks(n, kParallelGrain, [=](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) o[i] = f(pa[i], s);
    });
  } else if (b.shape() == out_shape && a.size() == 1) {
    const T s = pa[0];
    parallel_chunks(n, kParallelGrain, [=](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) o[i] = f(s, pb[i]);
    });
  } else {
    for_each_broadcast(
        out_shape, broadcast_strides(a.shape(), out_shape), broadcast_strides(b.shape(), out_shape),
        [&](std::size_t i, std::size_t ja, std::size_t jb) { o[i] = f(pa[ja], pb[jb]); });
  }
  return out;
}

/// out = f(a) elementwise.
template <class T, class F>
xt::xarray<T> unary_map(const xt::xarray<T>& a, F&& f) {
  xt::xarray<T> out = xt::xarray<T>::from_shape(a.shape());
  T* o = out.data();
  const T* pa = a.data();
  const std::size_t n = a.size();
  parallel_chunks(n, kParallelGrain, [=](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) o[i] = f(pa[i]);
  });
  return out;
}

/// Sums `grad` (of a broadcast result's shape) down to `target`, the shape of the operand that was
/// broadcast: leading axes are summed away, axes where the operand had extent 1 are summed and
/// kept. The summation order is fixed (row-major), so results are bitwise reproducible.
template <class T>
xt::xarray<T> sum_to_shape(const xt::xarray<T>& grad, const Shape& target) {
  if (grad.shape() == target) return grad;
  xt::xarray<T> out = xt::zeros<T>(target);
  T* o = out.data();
  const T* g = grad.data();
  const Shape& gs = grad.shape();
  const Shape st = broadcast_strides(target, gs);
  const Shape zero(gs.size(), 0);
  for_each_broadcast(gs, st, zero,
                     [&](std::size_t i, std::size_t jt, std::size_t) { o[jt] += g[i]; });
  return out;
}

/// Same as sum_to_shape but moves the gradient when no reduction is needed.
template <class T>
xt::xarray<T> sum_to_shape(xt::xarray<T>&& grad, const Shape& target) {
  if (grad.shape() == target) return std::move(grad);
  return sum_to_shape(static_cast<const xt::xarray<T>&>(grad), target);
}

/// f(0) + ... + f(n-1) in a fixed order: element k goes to partial sum k % 8 and the eight
/// partials are added pairwise. The order depends only on n, so results are bitwise
/// reproducible; the independent partials let the compiler vectorise and lower rounding error.
template <class T, class F>
T ordered_sum(std::size_t n, F&& f) {
  constexpr std::size_t lanes = 8;
  T acc[lanes] = {};
  std::size_t k = 0;
  for (; k + lanes <= n; k += lanes) {
    for (std::size_t l = 0; l < lanes; ++l) acc[l] += f(k + l);
  }
  for (std::size_t l = 0; k + l < n; ++l) acc[l] += f(k + l);
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

}  // namespace axon::autograd::kernels
