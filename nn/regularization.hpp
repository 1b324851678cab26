// SPDX-License-Identifier: MIT
#pragma once

#include <initializer_list>
#include <type_traits>
#include <vector>

#include "axon/autograd/tensor.hpp"

/// Weight penalties added to a loss: `loss = cross_entropy(...) + l2_penalty(weights, 1e-4)`.
/// Each is one fused op over all the chosen parameters, returning a 0-d tensor, with gradients
/// into every parameter that requires one. Pass only the tensors to penalise (usually the weights,
/// not the biases). Sums run in double in a fixed order (reproducible).
namespace axon::nn {

/// lambda * sum_k sum_i |w_ki| over every parameter w_k (lambda >= 0).
/// d/dw = lambda sign(w) (0 at 0)
template <class T>
autograd::BasicTensor<T> l1_penalty(const std::vector<autograd::BasicTensor<T>>& params,
                                    std::type_identity_t<T> lambda);

/// lambda * sum_k sum_i w_ki^2 over every parameter w_k (lambda >= 0). No 1/2 factor, as Keras'
/// l2 regulariser: with SGD this equals weight decay 2 lambda.
/// d/dw = 2 lambda w
template <class T>
autograd::BasicTensor<T> l2_penalty(const std::vector<autograd::BasicTensor<T>>& params,
                                    std::type_identity_t<T> lambda);

/// l1_penalty over a braced list: `l1_penalty({fc1.weight, fc2.weight}, 1e-4)`.
template <class T>
autograd::BasicTensor<T> l1_penalty(std::initializer_list<autograd::BasicTensor<T>> params,
                                    std::type_identity_t<T> lambda) {
  return l1_penalty(std::vector<autograd::BasicTensor<T>>(params), lambda);
}

/// l2_penalty over a braced list: `l2_penalty({fc1.weight, fc2.weight}, 1e-4)`.
template <class T>
autograd::BasicTensor<T> l2_penalty(std::initializer_list<autograd::BasicTensor<T>> params,
                                    std::type_identity_t<T> lambda) {
  return l2_penalty(std::vector<autograd::BasicTensor<T>>(params), lambda);
}

}  // namespace axon::nn
