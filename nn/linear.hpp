// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>

#include "axon/autograd/arg.hpp"
#include "axon/autograd/random.hpp"
#include "axon/nn/module.hpp"

namespace axon::nn {

/// Options of Linear: `LinearOptions(784, 128).bias(false)`.
class LinearOptions {
 public:
  /// A layer mapping `in_features` inputs to `out_features` outputs, with a bias.
  LinearOptions(std::size_t in_features, std::size_t out_features)
      : in_features_(in_features), out_features_(out_features) {}

  /// Inputs per sample.
  AXON_ARG(std::size_t, in_features);
  /// Outputs per sample.
  AXON_ARG(std::size_t, out_features);
  /// Whether to add a learnt bias (default: yes).
  AXON_ARG(bool, bias) = true;
};

/// Fully connected layer: y = x W^T + b, with weight [out, in] and bias [out].
///
/// Initialisation is PyTorch's default: weight and bias both U(-1/sqrt(in), 1/sqrt(in)) (the
/// weight via kaiming_uniform_ with a = sqrt(5)), weight drawn first, from the Generator passed
/// to the constructor: pass one shared Generator when building a model.
///
/// Input [in] -> [out], [N, in] -> [N, out], [..., in] -> [..., out] (ranks above 3 are
/// flattened to [N, in] and restored). Any other last extent is a ShapeError naming the layer.
template <class T>
class BasicLinear : public BasicModule<T> {
 public:
  using Tensor = BasicTensor<T>;  ///< the tensor type of inputs, outputs and parameters
  using Options = LinearOptions;  ///< the options class this is built from

  /// Initialised from `gen` (which advances). `Linear(LinearOptions(784, 128), gen)`.
  BasicLinear(const LinearOptions& options, autograd::Generator& gen);

  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "Linear"; }
  std::string extra_repr() const override;

  /// Re-draws weight and bias with the default initialisation from `gen`.
  void reset_parameters(autograd::Generator& gen);

  /// The options the layer was built with.
  const LinearOptions& options() const { return options_; }
  /// The weight [out, in].
  Tensor& weight() { return *weight_; }
  /// The weight, read-only.
  const Tensor& weight() const { return *weight_; }
  /// The bias [out]; undefined when built with bias(false).
  Tensor& bias() { return bias_ ? *bias_ : no_bias_; }
  /// The bias, read-only.
  const Tensor& bias() const { return bias_ ? *bias_ : no_bias_; }

 private:
  LinearOptions options_;
  Tensor* weight_ = nullptr;  // stored in the module's registry
  Tensor* bias_ = nullptr;
  Tensor no_bias_;
};

using Linear = BasicLinear<float>;    ///< float32 elements
using LinearD = BasicLinear<double>;  ///< float64 elements (gradient checks)

}  // namespace axon::nn
