// SPDX-License-Identifier: MIT
#pragma once

#include <vector>

#include "axon/autograd/tensor.hpp"

/// Reductions over all elements (empty `axes`) or the given axes (negative counts from the end),
/// with `keepdims` keeping reduced axes as size 1, as NumPy. Summation order is fixed (along a
/// row: eight interleaved partial sums added pairwise; across rows: one running sum), so results
/// are bitwise reproducible. An axis out of range or repeated is a ValueError naming the op, the
/// shape and the axes.
namespace axon::autograd {

/// Sum (0 over zero elements).  d/dx_i = 1
template <class T>
BasicTensor<T> sum(const BasicTensor<T>& x, const std::vector<int>& axes = {},
                   bool keepdims = false);
/// The sum of `x` down to `shape`, the shape it was broadcast from (NumPy broadcasting: leading
/// axes summed away, axes of extent 1 in `shape` summed with keepdims): the adjoint of
/// broadcast_to, used by the recorded backwards of broadcasting ops. ShapeError when `x`'s shape
/// does not broadcast from `shape`.
template <class T>
BasicTensor<T> sum_to(const BasicTensor<T>& x, const Shape& shape);
/// Arithmetic mean (NaN over zero elements, as NumPy).  d/dx_i = 1/n
template <class T>
BasicTensor<T> mean(const BasicTensor<T>& x, const std::vector<int>& axes = {},
                    bool keepdims = false);
/// Maximum; NaN if any element is NaN. The gradient goes to the arg-max element (the first one on
/// ties, the first NaN). ValueError over zero elements.
template <class T>
BasicTensor<T> max(const BasicTensor<T>& x, const std::vector<int>& axes = {},
                   bool keepdims = false);
/// Minimum; NaN if any element is NaN. The gradient goes to the arg-min element (the first one on
/// ties, the first NaN). ValueError over zero elements.
template <class T>
BasicTensor<T> min(const BasicTensor<T>& x, const std::vector<int>& axes = {},
                   bool keepdims = false);
/// Variance with `correction` subtracted from n (1: unbiased, PyTorch's default); ValueError
/// when n - correction <= 0.
/// d/dx_i = 2 (x_i - mean) / (n - correction)
template <class T>
BasicTensor<T> var(const BasicTensor<T>& x, const std::vector<int>& axes = {},
                   bool keepdims = false, int correction = 1);
/// Standard deviation, sqrt(var).  d/dx_i = (x_i - mean) / ((n - correction) std), taken as 0
/// where std = 0
template <class T>
BasicTensor<T> std(const BasicTensor<T>& x, const std::vector<int>& axes = {},
                   bool keepdims = false, int correction = 1);
/// log(sum(exp(x))), stable (the max is subtracted first); -inf when every element is -inf (or
/// over zero elements), with gradient 0 there.  d/dx_i = softmax(x)_i
template <class T>
BasicTensor<T> logsumexp(const BasicTensor<T>& x, const std::vector<int>& axes = {},
                         bool keepdims = false);
/// Index of the maximum along `axis` (first on ties, first NaN), as values of type T. Never
/// recorded (no gradient). ValueError over an axis of extent 0.
template <class T>
BasicTensor<T> argmax(const BasicTensor<T>& x, int axis = -1, bool keepdims = false);

}  // namespace axon::autograd
