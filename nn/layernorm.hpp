// SPDX-License-Identifier: MIT
// LayerNorm: normalisation over each sample's trailing axes, as torch.nn.LayerNorm.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <vector>

#include "axon/autograd/arg.hpp"
#include "axon/nn/module.hpp"

namespace axon::nn {

/// Options of LayerNorm: `LayerNorm(LayerNormOptions({512}).eps(1e-6))`.
class LayerNormOptions {
 public:
  /// Normalise over trailing axes of these extents (an input [..., normalized_shape...]).
  LayerNormOptions(std::vector<std::size_t> normalized_shape)  // NOLINT: implicit, LayerNorm({64})
      : normalized_shape_(std::move(normalized_shape)) {}
  /// The same from a brace list, so that `LayerNorm({3, 4})` reads naturally.
  LayerNormOptions(std::initializer_list<std::size_t> normalized_shape)  // NOLINT: implicit
      : normalized_shape_(normalized_shape) {}

  /// Extents of the trailing axes normalised over.
  AXON_ARG(std::vector<std::size_t>, normalized_shape);
  /// Added to the variance (default 1e-5).
  AXON_ARG(double, eps) = 1e-5;
  /// Learnt weight and bias of normalized_shape (default yes).
  AXON_ARG(bool, elementwise_affine) = true;
};

/// y = (x - mean) / sqrt(var + eps) * weight + bias over the trailing axes normalized_shape of
/// each sample (autograd::layer_norm; biased variance). Parameters "weight" (ones) and "bias"
/// (zeros) of shape normalized_shape when elementwise_affine. The same in train() and eval().
/// An input not ending with normalized_shape is a ShapeError naming the layer.
template <class T>
class BasicLayerNorm : public BasicModule<T> {
 public:
  using Tensor = BasicTensor<T>;  ///< the tensor type of inputs, outputs and parameters

  using Options = LayerNormOptions;  ///< the options class this is built from
  /// Validates `options` (ValueError for an empty or zero-sized normalized_shape or eps <= 0).
  explicit BasicLayerNorm(const LayerNormOptions& options);

  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "LayerNorm"; }
  std::string extra_repr() const override;

  /// Weight to 1, bias to 0.
  void reset_parameters();

  /// The options the layer was built with.
  const LayerNormOptions& options() const { return options_; }
  /// Weight and bias of shape normalized_shape; undefined without elementwise_affine.
  const Tensor& weight() const { return weight_ ? *weight_ : none_; }
  /// Bias of shape normalized_shape; undefined without elementwise_affine.
  const Tensor& bias() const { return bias_ ? *bias_ : none_; }

 private:
  LayerNormOptions options_;
  Tensor* weight_ = nullptr;  // stored in the module's registry
  Tensor* bias_ = nullptr;
  Tensor none_;
};

using LayerNorm = BasicLayerNorm<float>;    ///< float32 elements
using LayerNormD = BasicLayerNorm<double>;  ///< float64 elements (gradient checks)

}  // namespace axon::nn
