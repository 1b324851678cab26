// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <vector>

#include "axon/autograd/gradcheck.hpp"
#include "axon/nn/module.hpp"

/// Finite-difference gradient checks of whole modules (a layer, a block, a model) in double.
namespace axon::nn {

/// Runs a module on its inputs: `forward(module, inputs)`, for modules whose forward is not the
/// one-tensor forward(x).
using ModuleForward =
    std::function<autograd::TensorD(ModuleD&, const std::vector<autograd::TensorD>&)>;

/// Checks the gradients of module.forward(input) with respect to the input (when it requires a
/// gradient) and every parameter requiring one. During the check each parameter slot of the
/// module is bound to gradcheck's own copy of it (so layers must read their parameters through
/// the registry's handle, see BasicModule); the original handles are restored afterwards. A
/// failure message names the parameter ("parameter '0.weight' element [1,2] ...").
autograd::GradcheckResult gradcheck_module(ModuleD& module, const autograd::TensorD& input,
                                           const autograd::GradcheckOptions& options = {});

/// The same for any forward signature: `inputs` are the non-parameter inputs.
autograd::GradcheckResult gradcheck_module(ModuleD& module, const ModuleForward& forward,
                                           const std::vector<autograd::TensorD>& inputs,
                                           const autograd::GradcheckOptions& options = {});

}  // namespace axon::nn
