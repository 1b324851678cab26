// SPDX-License-Identifier: MIT
#pragma once

#include "axon/autograd/ops/window.hpp"
#include "axon/autograd/tensor.hpp"

/// Convolutions (cross-correlations, as every deep-learning framework computes them) with
/// PyTorch's semantics: zero padding on both sides, stride, dilation and channel groups. Along an
/// axis of length L, with kernel k, stride s, padding p and dilation d, the output has
/// floor((L + 2p - d(k-1) - 1) / s) + 1 positions.
///
/// Lowering: per sample and group, the input windows are unfolded into a column matrix
/// (im2col, [C/groups * k, positions]) and multiplied by the weight with one BLAS GEMM, which
/// writes the output directly in [N, C, ...] layout; the bias is copied into the output first and
/// the GEMM adds onto it. Backward: dW = g . col^T (one GEMM per sample, accumulated), dcol =
/// W^T . g then col2im scatters dcol back onto dx. A 1x1 kernel without stride or padding skips
/// the unfolding (the input already is the column matrix). Samples run in parallel (oneTBB,
/// isolated, fixed chunks of samples) when the batch is large enough; the weight gradient is
/// summed over those fixed chunks in order, so results never depend on the thread count.
///
/// Errors, thrown at forward time and naming the op and the shapes: ShapeError for a wrong rank,
/// a channel count that does not match the weight or is not divisible by `groups`, a bias that is
/// not [out_channels], or a (dilated) kernel larger than the padded input; ValueError for a stride
/// or dilation below 1, a negative padding or groups below 1.
namespace axon::autograd {

/// 1-D convolution: x [N, C, L], weight [O, C/groups, K], bias [O] (undefined tensor: none)
/// -> [N, O, L'].
/// dx = col2im(W^T . g), dW = sum_n g_n . col_n^T, db = sum of g over N and L'
template <class T>
BasicTensor<T> conv1d(const BasicTensor<T>& x, const BasicTensor<T>& weight,
                      const BasicTensor<T>& bias, long stride = 1, long padding = 0,
                      long dilation = 1, long groups = 1);

/// 2-D convolution: x [N, C, H, W], weight [O, C/groups, KH, KW], bias [O] (undefined tensor:
/// none) -> [N, O, H', W']; stride, padding and dilation per axis (height, width).
/// dx = col2im(W^T . g), dW = sum_n g_n . col_n^T, db = sum of g over N, H' and W'
template <class T>
BasicTensor<T> conv2d(const BasicTensor<T>& x, const BasicTensor<T>& weight,
                      const BasicTensor<T>& bias, Size2 stride = 1, Size2 padding = 0,
                      Size2 dilation = 1, long groups = 1);

}  // namespace axon::autograd
