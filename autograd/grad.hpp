// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <vector>

#include "axon/autograd/arg.hpp"
#include "axon/autograd/tensor.hpp"

/// autograd::grad, PyTorch's torch.autograd.grad: the gradients of some outputs with respect to
/// some inputs, returned as tensors, with every .grad() left untouched. With create_graph the
/// backward pass records its own ops, so the gradients can be differentiated again, to any order
/// (gradient penalties, physics-informed losses, Hessian-vector products). docs/AUTOGRAD.md,
/// "Gradients of gradients", says how a pass runs and how an op provides its recorded backward.
namespace axon::autograd {

/// Options of grad(), as torch.autograd.grad's keyword arguments.
class GradOptions {
  /// Record the backward pass so its results can be differentiated again.
  AXON_ARG(bool, create_graph) = false;
  /// Keep the graph for another backward (default: the value of create_graph).
  AXON_ARG(std::optional<bool>, retain_graph);
  /// An input the outputs do not depend on gets an undefined tensor instead of a GraphError.
  AXON_ARG(bool, allow_unused) = false;
};

/// The gradients of sum_i <grad_outputs[i], outputs[i]> with respect to each input, in order.
/// `grad_outputs` may be empty when every output has one element (seed 1). Without
/// create_graph the results are constants (as grad() values: a recorded op refuses them); with
/// it they are tensors on the tape. GraphError for an output or input that does not require a
/// gradient, an input the outputs do not depend on (unless allow_unused), or an op on the path
/// with no recorded backward (create_graph); ShapeError for a grad_output of the wrong shape.
template <class T>
std::vector<BasicTensor<T>> grad(const std::vector<BasicTensor<T>>& outputs,
                                 const std::vector<BasicTensor<T>>& inputs,
                                 const std::vector<BasicTensor<T>>& grad_outputs = {},
                                 const GradOptions& options = {});

/// The one-output, one-input form: d(sum(grad_output * output)) / d(input). Note that braces
/// around single tensors (`grad<T>({y}, {x})`) pick this form, which returns a tensor.
template <class T>
BasicTensor<T> grad(const BasicTensor<T>& output, const BasicTensor<T>& input,
                    const BasicTensor<T>& grad_output = {}, const GradOptions& options = {}) {
  std::vector<BasicTensor<T>> seeds;
  if (grad_output.defined()) seeds.push_back(grad_output);
  return grad<T>(std::vector<BasicTensor<T>>{output}, std::vector<BasicTensor<T>>{input}, seeds,
                 options)[0];
}

}  // namespace axon::autograd
