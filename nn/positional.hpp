// SPDX-License-Identifier: MIT
// Positional encodings added to a sequence of embeddings: the fixed sinusoidal table of
// "Attention is all you need" and a learnt table.
#pragma once

#include <cstddef>
#include <string>

#include "axon/autograd/arg.hpp"
#include "axon/autograd/random.hpp"
#include "axon/nn/module.hpp"

namespace axon::nn {

/// Options of both positional encodings: `PositionalEncodingOptions(128, 512).batch_first(true)`.
class PositionalEncodingOptions {
 public:
  /// Encodings of `d_model` features for positions 0 .. max_len - 1.
  PositionalEncodingOptions(std::size_t d_model, std::size_t max_len)
      : d_model_(d_model), max_len_(max_len) {}

  /// Features per position (D).
  AXON_ARG(std::size_t, d_model);
  /// Longest sequence accepted.
  AXON_ARG(std::size_t, max_len);
  /// Inputs are [B, T, D] rather than [T, B, D] (default no, as PyTorch's Transformer layers).
  AXON_ARG(bool, batch_first) = false;
};

/// The fixed table of Vaswani et al. (2017), added to the input:
/// pe[t, 2i] = sin(t / 10000^(2i/D)), pe[t, 2i+1] = cos(t / 10000^(2i/D)).
/// Input [T, B, D] ([B, T, D] with batch_first) or [T, D]; the output has its shape. The table
/// [max_len, D] is the buffer "pe" (saved in the state dict, never trained); no dropout is
/// applied (follow with a Dropout). T > max_len or a last extent other than D is a ShapeError
/// naming the layer and the shape.
template <class T>
class BasicSinusoidalPositionalEncoding : public BasicModule<T> {
 public:
  using Tensor = BasicTensor<T>;              ///< the tensor type of inputs and outputs
  using Options = PositionalEncodingOptions;  ///< the options class this is built from

  /// Builds the table (ValueError when d_model or max_len is 0).
  explicit BasicSinusoidalPositionalEncoding(const PositionalEncodingOptions& options);
  /// `SinusoidalPositionalEncoding(d_model, max_len)`, sequence first.
  BasicSinusoidalPositionalEncoding(std::size_t d_model, std::size_t max_len)
      : BasicSinusoidalPositionalEncoding(PositionalEncodingOptions(d_model, max_len)) {}

  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "SinusoidalPositionalEncoding"; }
  std::string extra_repr() const override;

  /// The options the layer was built with.
  const PositionalEncodingOptions& options() const { return options_; }
  /// The table [max_len, d_model].
  const Tensor& pe() const { return *pe_; }

 private:
  PositionalEncodingOptions options_;
  Tensor* pe_ = nullptr;  // stored in the module's registry
};

/// A learnt table added to the input, as BERT's and GPT-2's position embeddings: the parameter
/// "weight" [max_len, D], initialised N(0, 0.02^2) (GPT-2's choice). Shapes and errors as
/// SinusoidalPositionalEncoding.
template <class T>
class BasicLearnedPositionalEncoding : public BasicModule<T> {
 public:
  using Tensor = BasicTensor<T>;              ///< the tensor type of inputs and outputs
  using Options = PositionalEncodingOptions;  ///< the options class this is built from

  /// Draws the table from `gen` (ValueError when d_model or max_len is 0).
  BasicLearnedPositionalEncoding(const PositionalEncodingOptions& options,
                                 autograd::Generator& gen);

  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "LearnedPositionalEncoding"; }
  std::string extra_repr() const override;

  /// Re-draws the table N(0, 0.02^2) from `gen`.
  void reset_parameters(autograd::Generator& gen);
  /// The options the layer was built with.
  const PositionalEncodingOptions& options() const { return options_; }
  /// The table [max_len, d_model].
  const Tensor& weight() const { return *weight_; }

 private:
  PositionalEncodingOptions options_;
  Tensor* weight_ = nullptr;  // stored in the module's registry
};

/// float32 elements
using SinusoidalPositionalEncoding = BasicSinusoidalPositionalEncoding<float>;
/// float64 elements (gradient checks)
using SinusoidalPositionalEncodingD = BasicSinusoidalPositionalEncoding<double>;
/// float32 elements
using LearnedPositionalEncoding = BasicLearnedPositionalEncoding<float>;
/// float64 elements (gradient checks)
using LearnedPositionalEncodingD = BasicLearnedPositionalEncoding<double>;

}  // namespace axon::nn
