// SPDX-License-Identifier: MIT
#pragma once

#include <string_view>
#include <type_traits>

#include "axon/autograd/tensor.hpp"

/// Activation functions, elementwise. Each saves what its derivative needs (usually the output).
/// Scalar arguments take any arithmetic value (`leaky_relu(float_tensor, 0.2)`).
namespace axon::autograd {

/// max(x, 0) (NaN stays NaN).  d/dx = 0 for x <= 0, else 1 (a NaN passes the gradient, as PyTorch)
template <class T>
BasicTensor<T> relu(const BasicTensor<T>& x);
/// x for x > 0, slope * x otherwise.  d/dx = 1 for x > 0, else slope
template <class T>
BasicTensor<T> leaky_relu(const BasicTensor<T>& x,
                          std::type_identity_t<T> negative_slope = T(0.01));
/// x for x > 0, alpha (e^x - 1) otherwise.  d/dx = 1 for x > 0, else alpha e^x
template <class T>
BasicTensor<T> elu(const BasicTensor<T>& x, std::type_identity_t<T> alpha = T(1));
/// 1 / (1 + e^-x), computed without overflow.  d/dx = s (1 - s)
template <class T>
BasicTensor<T> sigmoid(const BasicTensor<T>& x);
/// tanh(x).  d/dx = 1 - tanh(x)^2
template <class T>
BasicTensor<T> tanh(const BasicTensor<T>& x);
/// log(1 + e^(beta x)) / beta, linear above `threshold` (as PyTorch).  d/dx = sigmoid(beta x)
template <class T>
BasicTensor<T> softplus(const BasicTensor<T>& x, std::type_identity_t<T> beta = T(1),
                        std::type_identity_t<T> threshold = T(20));
/// GELU (PyTorch's names): approximate "none" (default) is the exact x Phi(x), Phi the standard
/// normal CDF: d/dx = Phi(x) + x e^(-x^2/2) / sqrt(2 pi). approximate "tanh" is
/// 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), computed as x sigmoid(2u) (the same
/// value, without the cancellation of 1 + tanh u for negative x):
/// d/dx = s + 2 x s (1 - s) sqrt(2/pi) (1 + 3 * 0.044715 x^2), s = sigmoid(2u). Beyond |x| = 1e6
/// the tanh form is exactly x or 0. ValueError for any other `approximate`.
template <class T>
BasicTensor<T> gelu(const BasicTensor<T>& x, std::string_view approximate = "none");
/// x * sigmoid(x).  d/dx = s (1 + x (1 - s))
template <class T>
BasicTensor<T> silu(const BasicTensor<T>& x);

}  // namespace axon::autograd
