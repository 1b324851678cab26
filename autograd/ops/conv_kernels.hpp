// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>

#include <xtensor/xarray.hpp>

#include "axon/autograd/shape.hpp"

/// The lowering behind autograd/ops/conv.cpp: the geometry of a convolution and its three
/// kernels on raw arrays (the forward, the weight gradient and the input gradient), each an
/// im2col/col2im plus one GEMM per sample and group, in parallel over fixed chunks of samples.
/// Only conv.cpp includes this header.
namespace axon::autograd::conv_kernels {

/// One spatial axis of a convolution: input length, kernel extent, stride, padding, dilation and
/// the output length they give.
struct Axis {
  std::size_t in = 1, k = 1, stride = 1, pad = 0, dil = 1, out = 1;
};

/// The outputs o in [lo, hi) whose input index o * stride + off lies inside [0, in); the others
/// read padding. `off` = kernel tap * dilation - padding.
struct Span {
  std::size_t lo = 0, hi = 0;
  std::ptrdiff_t off = 0;
};

/// The whole problem: x [n, c, h.in, w.in], weight [o, c/groups, h.k, w.k] -> [n, o, h.out, w.out].
/// A 1-D convolution is the 2-D one with a height axis of length 1.
struct ConvGeom {
  std::size_t n = 0, c = 0, o = 0, groups = 1;
  Axis h, w;
  std::size_t cg() const { return c / groups; }            // input channels per group
  std::size_t og() const { return o / groups; }            // output channels per group
  std::size_t rows() const { return cg() * h.k * w.k; }    // rows of a column matrix (GEMM's K)
  std::size_t positions() const { return h.out * w.out; }  // output positions (GEMM's N)
  std::size_t plane() const { return h.in * w.in; }
  /// A 1x1 kernel with stride 1 and no padding reads every input element once, in place: the
  /// input block of a group already is its column matrix.
  bool direct() const {
    return h.k == 1 && w.k == 1 && h.stride == 1 && w.stride == 1 && h.pad == 0 && w.pad == 0;
  }
};

/// Samples per parallel chunk: enough that a chunk is worth a task (about 2 MFLOP of GEMM work).
/// Fixed by the shapes alone, so the chunking (and the order of the weight-gradient sums) is the
/// same on every machine and thread count.
std::size_t sample_grain(const ConvGeom& g);

/// Column matrices up to this many elements (64 MB of floats) are kept from forward to backward.
constexpr std::size_t kMaxSavedColumns = std::size_t{1} << 24;

/// y = W . x (+ b) into a new array of `out_shape`: x [n, c, ...], weight [o, c/groups, ...],
/// bias [o] (null: none); `saved` (null: not kept) receives the column matrices
/// [n * groups, rows, positions]. `nchunks` chunks of `grain` samples (chunks::chunk_count).
template <class T>
xt::xarray<T> forward(const ConvGeom& g, std::size_t grain, std::size_t nchunks, const T* px,
                      const T* pw, const T* pb, T* saved, const Shape& out_shape);

/// dW_g = sum_s g_{s,g} . col_{s,g}^T of shape `w_shape`, summed per chunk of samples, then over
/// chunks in order; the columns come from `saved` (the forward's) or are unfolded from px again
/// (saved null).
template <class T>
xt::xarray<T> weight_grad(const ConvGeom& g, std::size_t grain, std::size_t nchunks, const T* px,
                          const T* saved, const T* pg, const Shape& w_shape);

/// dx of shape `x_shape`: dcol_{s,g} = W_g^T . g_{s,g}, then col2im onto dx.
template <class T>
xt::xarray<T> input_grad(const ConvGeom& g, std::size_t grain, std::size_t nchunks, const T* pw,
                         const T* pg, const Shape& x_shape);

}  // namespace axon::autograd::conv_kernels
