// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "axon/autograd/grad.hpp"

/// Functional derivatives built on grad(), as torch.autograd.functional: vector-Jacobian and
/// Jacobian-vector products, whole Jacobians and Hessians, and Hessian-vector products.
///
/// Each takes the function and the point. The function runs with recording on, on copies of the
/// inputs that require a gradient; with create_graph the results stay on the tape (so they can be
/// differentiated again) and inputs that already require a gradient are used as they are.
namespace axon::autograd {

/// A function of several tensors returning one tensor.
template <class T>
using TensorFunction = std::function<BasicTensor<T>(const std::vector<BasicTensor<T>>&)>;

/// The output and its vector-Jacobian products with `v` (of the output's shape): one gradient
/// per input, v^T J_k.
template <class T>
std::pair<BasicTensor<T>, std::vector<BasicTensor<T>>> vjp(
    const TensorFunction<T>& f, const std::vector<BasicTensor<T>>& inputs, const BasicTensor<T>& v,
    bool create_graph = false);

/// The output and its Jacobian-vector product sum_k J_k t_k (of the output's shape), for tangents
/// `tangents` (one per input, of its shape). Computed by the double-vjp trick: the vjp with a
/// dummy cotangent u is linear in u, and its vjp with the tangents is J t.
template <class T>
std::pair<BasicTensor<T>, BasicTensor<T>> jvp(const TensorFunction<T>& f,
                                              const std::vector<BasicTensor<T>>& inputs,
                                              const std::vector<BasicTensor<T>>& tangents,
                                              bool create_graph = false);

/// The Jacobian of f with respect to each input: J_k of shape output.shape ++ input_k.shape, one
/// backward per output element.
template <class T>
std::vector<BasicTensor<T>> jacobian(const TensorFunction<T>& f,
                                     const std::vector<BasicTensor<T>>& inputs);

/// The Hessian of a one-element f with respect to one input: shape input.shape ++ input.shape.
template <class T>
BasicTensor<T> hessian(const std::function<BasicTensor<T>(const BasicTensor<T>&)>& f,
                       const BasicTensor<T>& input);

/// The output of a one-element f and its Hessian-vector products H v (one per input), without
/// forming H: the gradient of <grad f, v>.
template <class T>
std::pair<BasicTensor<T>, std::vector<BasicTensor<T>>> hvp(
    const TensorFunction<T>& f, const std::vector<BasicTensor<T>>& inputs,
    const std::vector<BasicTensor<T>>& v, bool create_graph = false);

}  // namespace axon::autograd
