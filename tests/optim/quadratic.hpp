// SPDX-License-Identifier: MIT
#pragma once

#include <vector>

#include "axon/autograd/operators.hpp"
#include "axon/autograd/tensor.hpp"

/// A small convex problem for the optimizers' convergence tests (float):
/// f(w) = sum(c (w - target)^2), minimised at w = target with f = 0.
namespace axon::test {

struct Quadratic {
  autograd::Tensor w = autograd::zeros<float>({4}, true);
  autograd::Tensor c = autograd::from_vector<float>({1.0f, 2.0f, 0.5f, 1.5f}, {4});
  autograd::Tensor target = autograd::from_vector<float>({1.0f, -2.0f, 0.5f, 3.0f}, {4});

  /// Fills w's gradient (backward with a seed of ones sums the elementwise terms).
  void backward() const {
    const auto d = w - target;
    (c * d * d).backward(autograd::ones<float>({4}));
  }
  /// f(w).
  float loss() const {
    float total = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      const float d = w.data()(i) - target.data()(i);
      total += c.data()(i) * d * d;
    }
    return total;
  }
};

/// Runs `steps` steps of `optimizer` (built on problem.w) and returns the final loss.
template <class Optimizer>
float minimise(Quadratic& problem, Optimizer& optimizer, int steps) {
  for (int i = 0; i < steps; ++i) {
    optimizer.zero_grad();
    problem.backward();
    optimizer.step();
  }
  return problem.loss();
}

}  // namespace axon::test
