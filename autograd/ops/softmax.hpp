// SPDX-License-Identifier: MIT
#pragma once

#include "axon/autograd/tensor.hpp"

/// Softmax and log-softmax along one axis: fused primitives, stable for logits of magnitude 1e4.
/// A row that is all -inf (fully masked) gives softmax 0 and log_softmax -inf, with finite
/// gradients, instead of NaN. An axis out of range (any axis of a 0-d tensor) is a ValueError
/// naming the op and the shape.
namespace axon::autograd {

/// exp(x - max) / sum(exp(x - max)) along `axis`.  dx = s * (g - sum(g * s))
template <class T>
BasicTensor<T> softmax(const BasicTensor<T>& x, int axis = -1);
/// x - logsumexp(x) along `axis`.  dx = g - softmax(x) * sum(g)
template <class T>
BasicTensor<T> log_softmax(const BasicTensor<T>& x, int axis = -1);

}  // namespace axon::autograd
