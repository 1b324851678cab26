// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include <xtensor/xarray.hpp>

#include "axon/autograd/shape.hpp"

/// The strided copy every shape op (autograd/ops/shape.cpp) is built on: permutes, broadcasts,
/// slices, paddings, concatenation and their backward passes are all one call of strided_copy
/// with the right strides and offsets.
namespace axon::autograd::kernels {

struct Dim {
  std::size_t extent, src, dst;  // extent and element strides in source and destination
};

/// dst[dst_offset + idx . dst_strides] = src[src_offset + idx . src_strides] for every index
/// `idx` of `shape`. Serves permutes (permuted source strides), broadcasts (zero strides),
/// slices and paddings (offsets and scaled strides). Size-1 axes are dropped and axes that are
/// contiguous in both arrays merged, so runs become memcpy/fill and a transposed pair of axes
/// is copied in cache-sized tiles.
template <class T>
void strided_copy(const T* src, const Shape& src_strides, std::size_t src_offset, T* dst,
                  const Shape& dst_strides, std::size_t dst_offset, const Shape& shape) {
  xt::svector<Dim, 8> dims;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0) return;
    if (shape[i] == 1) continue;
    Dim d{shape[i], src_strides[i], dst_strides[i]};
    if (!dims.empty() && dims.back().src == d.extent * d.src &&
        dims.back().dst == d.extent * d.dst) {
      dims.back() = Dim{dims.back().extent * d.extent, d.src, d.dst};
    } else {
      dims.push_back(d);
    }
  }
  src += src_offset;
  dst += dst_offset;
  if (dims.empty()) {
    dst[0] = src[0];
    return;
  }
  const Dim inner = dims.back();
  // A transposed pair: the destination runs along the last axis, the source along the one
  // before. Copy it in tiles so both sides stay in cache.
  const bool tiled =
      dims.size() >= 2 && inner.dst == 1 && inner.src > 1 && dims[dims.size() - 2].src == 1;
  const std::size_t outer_rank = dims.size() - (tiled ? 2 : 1);
  std::size_t outer_count = 1;
  for (std::size_t d = 0; d < outer_rank; ++d) outer_count *= dims[d].extent;

  xt::svector<std::size_t, 8> index(outer_rank, 0);
  std::size_t so = 0, dof = 0;
  for (std::size_t k = 0; k < outer_count; ++k) {
    const T* s = src + so;
    T* o = dst + dof;
    if (tiled) {
      constexpr std::size_t kTile = 32;
      const Dim rows = dims[dims.size() - 2];
      for (std::size_t i0 = 0; i0 < rows.extent; i0 += kTile) {
        const std::size_t i1 = std::min(i0 + kTile, rows.extent);
        for (std::size_t j0 = 0; j0 < inner.extent; j0 += kTile) {
          const std::size_t j1 = std::min(j0 + kTile, inner.extent);
          for (std::size_t i = i0; i < i1; ++i) {
            for (std::size_t j = j0; j < j1; ++j) o[i * rows.dst + j] = s[i + j * inner.src];
          }
        }
      }
    } else if (inner.src == 1 && inner.dst == 1) {
      std::copy_n(s, inner.extent, o);
    } else if (inner.src == 0 && inner.dst == 1) {
      std::fill_n(o, inner.extent, s[0]);
    } else {
      for (std::size_t j = 0; j < inner.extent; ++j) o[j * inner.dst] = s[j * inner.src];
    }
    // Odometer over the outer axes.
    for (std::size_t d = outer_rank; d-- > 0;) {
      ++index[d];
      so += dims[d].src;
      dof += dims[d].dst;
      if (index[d] < dims[d].extent) break;
      so -= dims[d].src * index[d];
      dof -= dims[d].dst * index[d];
      index[d] = 0;
    }
  }
}

/// A contiguous copy of `a` with axis i of the result being axis axes[i] of `a`.
template <class T>
xt::xarray<T> permuted(const xt::xarray<T>& a, const std::vector<std::size_t>& axes) {
  const Shape in_strides = contiguous_strides(a.shape());
  Shape out_shape(axes.size()), src_strides(axes.size());
  for (std::size_t i = 0; i < axes.size(); ++i) {
    out_shape[i] = a.shape()[axes[i]];
    src_strides[i] = in_strides[axes[i]];
  }
  xt::xarray<T> out = xt::xarray<T>::from_shape(out_shape);
  strided_copy(a.data(), src_strides, 0, out.data(), contiguous_strides(out_shape), 0, out_shape);
  return out;
}

/// A copy of `a`'s values under another shape with the same element count.
template <class T>
xt::xarray<T> reshaped(const xt::xarray<T>& a, const Shape& shape) {
  xt::xarray<T> out = xt::xarray<T>::from_shape(shape);
  std::copy_n(a.data(), a.size(), out.data());
  return out;
}

}  // namespace axon::autograd::kernels
