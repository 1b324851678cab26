// SPDX-License-Identifier: MIT
#pragma once

#include <limits>
#include <vector>

#include "axon/autograd/tensor.hpp"

/// Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_. Only parameters that
/// have a gradient take part; the gradients are changed in place.
namespace axon::optim {

/// The infinity norm, for clip_grad_norm's norm_type.
inline constexpr double kInfNorm = std::numeric_limits<double>::infinity();

/// Scales all gradients by min(1, max_norm / (total_norm + 1e-6)), where total_norm is the
/// norm_type-norm of all gradients taken together (kInfNorm: the largest |g|). Returns
/// total_norm before clipping (0 when no parameter has a gradient). ValueError when max_norm < 0
/// or norm_type <= 0; NumericalError when error_if_nonfinite and the norm is NaN or infinite.
template <class T>
double clip_grad_norm(const std::vector<autograd::BasicTensor<T>>& params, double max_norm,
                      double norm_type = 2.0, bool error_if_nonfinite = false);

/// Clamps every gradient element into [-clip_value, clip_value]. ValueError when clip_value < 0.
template <class T>
void clip_grad_value(const std::vector<autograd::BasicTensor<T>>& params, double clip_value);

}  // namespace axon::optim
