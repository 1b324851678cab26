// SPDX-License-Identifier: MIT
#include "axon/optim/clip_grad.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "axon/autograd/error.hpp"

namespace axon::optim {

template <class T>
double clip_grad_norm(const std::vector<autograd::BasicTensor<T>>& params, double max_norm,
                      double norm_type, bool error_if_nonfinite) {
  if (!(max_norm >= 0)) {
    throw ValueError("clip_grad_norm: invalid max_norm " + std::to_string(max_norm) +
                     " (expected >= 0)");
  }
  if (!(norm_type > 0)) {
    throw ValueError("clip_grad_norm: invalid norm_type " + std::to_string(norm_type) +
                     " (expected > 0, or kInfNorm)");
  }
  std::vector<autograd::BasicTensor<T>> with_grad;
  for (const auto& p : params) {
    if (p.has_grad()) with_grad.push_back(p);
  }
  if (with_grad.empty()) return 0.0;

  // Accumulate in double: sum |g|^p over every element of every gradient, then the p-th root.
  double total_norm = 0;
  if (std::isinf(norm_type)) {
    for (auto& p : with_grad) {
      for (T g : p.grad_data()) total_norm = std::max(total_norm, std::abs(double(g)));
    }
  } else {
    double sum = 0;
    for (auto& p : with_grad) {
      for (T g : p.grad_data()) {
        const double a = std::abs(double(g));
        sum += norm_type == 2 ? a * a : norm_type == 1 ? a : std::pow(a, norm_type);
      }
    }
    total_norm = norm_type == 2   ? std::sqrt(sum)
                 : norm_type == 1 ? sum
                                  : std::pow(sum, 1 / norm_type);
  }
  if (error_if_nonfinite && !std::isfinite(total_norm)) {
    std::ostringstream message;
    message << "clip_grad_norm: the total norm of order " << norm_type
            << " of the gradients is non-finite (" << total_norm
            << "), so they cannot be clipped (error_if_nonfinite is set)";
    throw NumericalError(message.str());
  }
  const double clip_coef = std::min(max_norm / (total_norm + 1e-6), 1.0);
  const T scale = static_cast<T>(clip_coef);
  for (auto& p : with_grad) {
    for (T& g : p.grad_data()) g *= scale;
  }
  return total_norm;
}

template <class T>
void clip_grad_value(const std::vector<autograd::BasicTensor<T>>& params, double clip_value) {
  if (!(clip_value >= 0)) {
    throw ValueError("clip_grad_value: invalid clip_value " + std::to_string(clip_value) +
                     " (expected >= 0)");
  }
  const T high = static_cast<T>(clip_value);
  for (auto p : params) {
    if (!p.has_grad()) continue;
    for (T& g : p.grad_data()) g = std::clamp(g, -high, high);
  }
}

template double clip_grad_norm(const std::vector<autograd::BasicTensor<float>>&, double, double,
                               bool);
template double clip_grad_norm(const std::vector<autograd::BasicTensor<double>>&, double, double,
                               bool);
template void clip_grad_value(const std::vector<autograd::BasicTensor<float>>&, double);
template void clip_grad_value(const std::vector<autograd::BasicTensor<double>>&, double);

}  // namespace axon::optim
