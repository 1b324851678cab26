// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "axon/autograd/tensor.hpp"

/// Finite-difference gradient checking in double precision, for ops, layers and whole models.
namespace axon::autograd {

/// Options for gradcheck; defaults follow PyTorch's gradcheck. Setters chain:
/// `GradcheckOptions().atol(1e-6).projections(16)`.
struct GradcheckOptions {
  double eps_ = 1e-6;   ///< central-difference step
  double atol_ = 1e-5;  ///< absolute tolerance
  double rtol_ = 1e-3;  ///< relative tolerance (of the numeric value)
  /// Full Jacobians are compared while (input elements x output elements) stays at or below this;
  /// above it, seeded random projections are compared instead.
  std::size_t max_jacobian_entries_ = 20000;
  std::size_t projections_ = 6;  ///< random directions (and random single elements) per input
  std::uint64_t seed_ = 0;       ///< seed of the random projections

  /// Sets the central-difference step.
  GradcheckOptions& eps(double v) { return eps_ = v, *this; }
  /// Sets the absolute tolerance.
  GradcheckOptions& atol(double v) { return atol_ = v, *this; }
  /// Sets the relative tolerance.
  GradcheckOptions& rtol(double v) { return rtol_ = v, *this; }
  /// Sets the Jacobian size above which random projections are compared.
  GradcheckOptions& max_jacobian_entries(std::size_t v) { return max_jacobian_entries_ = v, *this; }
  /// Sets the number of random projections per input.
  GradcheckOptions& projections(std::size_t v) { return projections_ = v, *this; }
  /// Sets the seed of the random projections.
  GradcheckOptions& seed(std::uint64_t v) { return seed_ = v, *this; }
};

/// What gradcheck found. Converts to true when the gradients agree.
struct GradcheckResult {
  bool ok = true;               ///< whether every comparison was within tolerance
  std::string message;          ///< empty when ok; otherwise names the input, element, both values
  double max_abs_error = 0;     ///< largest |analytic - numeric| seen
  std::size_t comparisons = 0;  ///< number of analytic/numeric value pairs compared
  /// Whether the gradients agree (`ok`).
  explicit operator bool() const { return ok; }
};

/// The function under test: maps the inputs to one output tensor of any shape.
using GradcheckFunction = std::function<TensorD(const std::vector<TensorD>&)>;

/// Compares the tape's gradients of `f` with central differences, for every input that
/// requires a gradient (the others are held constant). The inputs are copied, never modified.
/// The finite differences call `f` with recording off (NoGradGuard); a function that takes
/// gradients inside (grad(), a gradient penalty) turns it back on with an EnableGradGuard.
GradcheckResult gradcheck(const GradcheckFunction& f, const std::vector<TensorD>& inputs,
                          const GradcheckOptions& options = {});

/// Checks second derivatives, as PyTorch's gradgradcheck: for a random seed v of f's output shape
/// (drawn from `options.seed`), runs gradcheck on each function (inputs, v) -> the gradient of
/// sum(v * f(inputs)) with respect to input k, computed by grad() with create_graph. That compares
/// the recorded backward's own gradients (with respect to the inputs and to v) with central
/// differences of the first-order gradient. Fails with the op's GraphError message when an op on
/// the path has no recorded backward.
GradcheckResult gradgradcheck(const GradcheckFunction& f, const std::vector<TensorD>& inputs,
                              const GradcheckOptions& options = {});

}  // namespace axon::autograd
