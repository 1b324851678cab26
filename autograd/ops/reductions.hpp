// SPDX-License-Identifier: MIT
#pragma once

#include <vector>

#include "autograd/tensor.hpp"

/// Reductions over all elements (empty `axes`) or the given axes (negative counts from the end),
/// with `keepdims` keeping reduced axes as size 1, as NumPy. Summation order is fixed, so results
/// are bitwise reproducible.
namespace axon::autograd {

/// Sum.  d/dx_i = 1
template <class T>
BasicTensor<T> sum(const BasicTensor<T>& x, const std::vector<int>& axes = {},
                   bool keepdims = false);
/// Arithmetic mean.  d/dx_i = 1/n
template <class T>
BasicTensor<T> mean(const BasicTensor<T>& x, const std::vector<int>& axes = {},
                    bool keepdims = false);
/// Maximum.  The gradient goes to the arg-max element (the first one on ties).
template <class T>
BasicTensor<T> max(const BasicTensor<T>& x, const std::vector<int>& axes = {},
                   bool keepdims = false);
/// Minimum.  The gradient goes to the arg-min element (the first one on ties).
template <class T>
BasicTensor<T> min(const BasicTensor<T>& x, const std::vector<int>& axes = {},
                   bool keepdims = false);
/// Variance with `correction` subtracted from n (1: unbiased, PyTorch's default).
/// d/dx_i = 2 (x_i - mean) / (n - correction)
template <class T>
BasicTensor<T> var(const BasicTensor<T>& x, const std::vector<int>& axes = {},
                   bool keepdims = false, int correction = 1);
/// Standard deviation, sqrt(var).  d/dx_i = (x_i - mean) / ((n - correction) std)
template <class T>
BasicTensor<T> std(const BasicTensor<T>& x, const std::vector<int>& axes = {},
                   bool keepdims = false, int correction = 1);
/// log(sum(exp(x))), stable (the max is subtracted first).  d/dx_i = softmax(x)_i
template <class T>
BasicTensor<T> logsumexp(const BasicTensor<T>& x, const std::vector<int>& axes = {},
                         bool keepdims = false);
/// Index of the maximum along `axis` (first on ties), as values of type T. No gradient.
template <class T>
BasicTensor<T> argmax(const BasicTensor<T>& x, int axis = -1, bool keepdims = false);

}  // namespace axon::autograd
