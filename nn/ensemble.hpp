// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "axon/nn/module.hpp"

namespace axon::nn {

/// How an Ensemble combines its members' outputs.
enum class EnsembleMode {
  kMean,           ///< the mean of the outputs (regression)
  kProbabilities,  ///< log of the mean of softmax(output) over the last axis (classifiers)
};

/// Several trained models as one: forward(x) combines every member's forward(x).
///
/// For classifiers (kProbabilities) each member's logits become probabilities, which are
/// averaged; the output is the log of that mean, so argmax gives the ensemble's class and
/// softmax cross-entropy on the output is the ensemble's negative log-likelihood
/// (log_softmax(log p) = log p when p sums to 1). Members are registered as children "0", "1",
/// ... so state_dict() holds them all.
template <class T>
class BasicEnsemble : public BasicModule<T> {
 public:
  using Tensor = BasicTensor<T>;  ///< the tensor type of inputs, outputs and parameters
  using ModulePtr = std::shared_ptr<BasicModule<T>>;  ///< shared handle to a child module

  /// ValueError when `members` is empty or holds a null pointer.
  explicit BasicEnsemble(std::vector<ModulePtr> members, EnsembleMode mode = EnsembleMode::kMean);

  /// Every member's output for `x` combined; ShapeError when the members' outputs differ in
  /// shape.
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "Ensemble"; }
  /// Number of members.
  std::size_t size() const { return members_.size(); }

 private:
  std::vector<ModulePtr> members_;
  EnsembleMode mode_;
};

using Ensemble = BasicEnsemble<float>;    ///< float32 elements
using EnsembleD = BasicEnsemble<double>;  ///< float64 elements (gradient checks)

}  // namespace axon::nn
