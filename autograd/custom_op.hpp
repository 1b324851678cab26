// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/autograd/shape.hpp"
#include "axon/autograd/tape.hpp"
#include "axon/autograd/tensor.hpp"

/// Differentiable ops written outside the library (as PyTorch's torch.autograd.Function): a
/// forward computed any way you like and a backward written in the library's tensor ops. The
/// one backward serves both kinds of pass: a first-order backward() runs it without recording,
/// and a pass with create_graph records it, so the op has gradients of every order.
/// docs/AUTOGRAD.md ("Your own op") walks through an example; examples/custom_op.cpp is one.
namespace axon::autograd {

/// Records a user-defined op. `value` is its forward result, computed from `inputs` by any
/// means (plain loops over data_ptr(), BLAS, a library); `name` names it in errors and must
/// outlive the graph (a string literal). `backward(grad_output, output, inputs)` returns one
/// tensor per input: the gradient of the loss with respect to that input, with the input's
/// shape, or an undefined tensor for an input that gets none (an integer index, a constant).
/// Write it in tensor ops only (add, mul, matmul, sum_to, ...) so that it can be recorded.
///
/// The checks on what it returns are typed errors naming the op: a wrong count is a ValueError,
/// a gradient of the wrong shape a ShapeError (use sum_to for a broadcast input); an undefined
/// gradient for an input that requires one is taken as zero.
template <class T, class Backward>
BasicTensor<T> custom_op(const char* name, xt::xarray<T> value,
                         const std::vector<BasicTensor<T>>& inputs, Backward backward) {
  static_assert(
      std::is_invocable_r_v<std::vector<BasicTensor<T>>, Backward&, const BasicTensor<T>&,
                            const BasicTensor<T>&, const std::vector<BasicTensor<T>>&>,
      "custom_op: backward must be callable as backward(grad_output, output, inputs) and return "
      "std::vector<BasicTensor<T>>");
  std::vector<std::shared_ptr<TensorImpl<T>>> impls;
  impls.reserve(inputs.size());
  for (const auto& in : inputs) impls.push_back(in.impl_ptr());
  // The gradients `backward` returned, checked against the inputs; calls add(impl, gradient)
  // for each input that requires one.
  const auto deliver = [name](const std::vector<std::shared_ptr<TensorImpl<T>>>& ins,
                              const std::vector<BasicTensor<T>>& grads, auto add) {
    if (grads.size() != ins.size()) {
      throw ValueError(std::string(name) + " (custom_op): backward returned " +
                       std::to_string(grads.size()) + " gradients for " +
                       std::to_string(ins.size()) + " inputs; return one per input (an " +
                       "undefined tensor for an input without one)");
    }
    for (std::size_t i = 0; i < ins.size(); ++i) {
      if (!ins[i]->requires_grad || !grads[i].defined()) continue;
      if (grads[i].shape() != ins[i]->value.shape()) {
        throw ShapeError(std::string(name) + " (custom_op): backward returned a gradient of " +
                         "shape " + shape_str(grads[i].shape()) + " for input " +
                         std::to_string(i) + " of shape " + shape_str(ins[i]->value.shape()) +
                         " (reduce a broadcast input's gradient with sum_to)");
      }
      add(ins[i], grads[i]);
    }
  };
  return make_result<T>(
      name, std::move(value), inputs,
      [impls = std::move(impls), backward = std::move(backward), deliver](
          const auto& g, const auto& o) mutable -> void {
        std::vector<BasicTensor<T>> ins;
        ins.reserve(impls.size());
        for (const auto& impl : impls) ins.emplace_back(impl);
        if constexpr (detail::is_tensor_v<std::decay_t<decltype(g)>>) {
          // A recording pass (create_graph): the rule's ops are recorded as it runs.
          deliver(impls, backward(g, o, ins),
                  [](const auto& impl, const BasicTensor<T>& d) { detail::add_grad(impl, d); });
        } else {
          // A first-order pass: the same rule on plain tensors, nothing recorded.
          NoGradGuard no_grad;
          const BasicTensor<T> gt{xt::xarray<T>(g)}, ot{xt::xarray<T>(o)};
          deliver(impls, backward(gt, ot, ins), [](const auto& impl, const BasicTensor<T>& d) {
            accumulate_grad(*impl, xt::xarray<T>(d.data()));
          });
        }
      });
}

}  // namespace axon::autograd
