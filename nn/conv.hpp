// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "axon/autograd/arg.hpp"
#include "axon/autograd/ops/window.hpp"
#include "axon/autograd/random.hpp"
#include "axon/nn/module.hpp"

/// Convolution layers: Conv1d and Conv2d, PyTorch's torch.nn.Conv1d/Conv2d (zero padding).
namespace axon::nn {

using autograd::Size2;

/// Options of Conv1d: `Conv1dOptions(16, 32, 3).stride(2).padding(1)`.
class Conv1dOptions {
 public:
  /// A convolution from `in_channels` to `out_channels` with a window of `kernel_size` taps.
  Conv1dOptions(std::size_t in_channels, std::size_t out_channels, long kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}

  /// Input channels.
  AXON_ARG(std::size_t, in_channels);
  /// Output channels.
  AXON_ARG(std::size_t, out_channels);
  /// Window extent.
  AXON_ARG(long, kernel_size);
  /// Step between windows (default 1).
  AXON_ARG(long, stride) = 1;
  /// Zeros on both sides.
  AXON_ARG(long, padding) = 0;
  /// Spacing of the window taps (default 1).
  AXON_ARG(long, dilation) = 1;
  /// Must divide both channel counts.
  AXON_ARG(long, groups) = 1;
  /// Whether to add a learnt bias (default: yes).
  AXON_ARG(bool, bias) = true;
};

/// Options of Conv2d: `Conv2dOptions(1, 8, 3).padding(1)`; per-axis values as `{h, w}`.
class Conv2dOptions {
 public:
  /// A convolution from `in_channels` to `out_channels` with a `kernel_size` window ({h, w} or one
  /// extent for both).
  Conv2dOptions(std::size_t in_channels, std::size_t out_channels, Size2 kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}

  /// Input channels.
  AXON_ARG(std::size_t, in_channels);
  /// Output channels.
  AXON_ARG(std::size_t, out_channels);
  /// Window extent, {h, w}.
  AXON_ARG(Size2, kernel_size);
  /// Step between windows (default 1).
  AXON_ARG(Size2, stride) = 1;
  /// Zeros on both sides of each axis.
  AXON_ARG(Size2, padding) = 0;
  /// Spacing of the window taps (default 1).
  AXON_ARG(Size2, dilation) = 1;
  /// Must divide both channel counts.
  AXON_ARG(long, groups) = 1;
  /// Whether to add a learnt bias (default: yes).
  AXON_ARG(bool, bias) = true;
};

/// 1-D convolution layer: [N, in, L] -> [N, out, L'] (autograd::conv1d), with weight
/// [out, in/groups, kernel] and bias [out].
///
/// Initialisation is PyTorch's default: weight by kaiming_uniform_ with a = sqrt(5), i.e.
/// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in/groups * kernel, then the bias from the
/// same range; drawn from the Generator passed in. Bad options
/// (a channel count not divisible by groups, a kernel, stride or dilation below 1, a negative
/// padding) are a ValueError at construction; a bad input a ShapeError naming the layer.
template <class T>
class BasicConv1d : public BasicModule<T> {
 public:
  using Tensor = BasicTensor<T>;  ///< the tensor type of inputs, outputs and parameters

  using Options = Conv1dOptions;  ///< the options class this is built from
  /// Initialised from `gen` (which advances).
  BasicConv1d(const Conv1dOptions& options, autograd::Generator& gen);

  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "Conv1d"; }
  std::string extra_repr() const override;

  /// Re-draws weight and bias with the default initialisation from `gen`.
  void reset_parameters(autograd::Generator& gen);

  /// The options the layer was built with.
  const Conv1dOptions& options() const { return options_; }
  /// The weight [out, in/groups, kernel].
  Tensor& weight() { return *weight_; }
  /// The weight, read-only.
  const Tensor& weight() const { return *weight_; }
  /// The bias [out]; undefined when built with bias(false).
  Tensor& bias() { return bias_ ? *bias_ : no_bias_; }
  /// The bias, read-only; undefined when built with bias(false).
  const Tensor& bias() const { return bias_ ? *bias_ : no_bias_; }

 private:
  void build(autograd::Generator& gen);

  Conv1dOptions options_;
  Tensor* weight_ = nullptr;  // stored in the module's registry
  Tensor* bias_ = nullptr;
  Tensor no_bias_;
};

/// 2-D convolution layer: [N, in, H, W] -> [N, out, H', W'] (autograd::conv2d), with weight
/// [out, in/groups, kH, kW] and bias [out]. Initialisation, errors and names ("weight", "bias")
/// as Conv1d, with fan_in = in/groups * kH * kW.
template <class T>
class BasicConv2d : public BasicModule<T> {
 public:
  using Tensor = BasicTensor<T>;  ///< the tensor type of inputs, outputs and parameters

  using Options = Conv2dOptions;  ///< the options class this is built from
  /// Initialised from `gen` (which advances).
  BasicConv2d(const Conv2dOptions& options, autograd::Generator& gen);

  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "Conv2d"; }
  std::string extra_repr() const override;

  /// Re-draws weight and bias with the default initialisation from `gen`.
  void reset_parameters(autograd::Generator& gen);

  /// The options the layer was built with.
  const Conv2dOptions& options() const { return options_; }
  /// The weight [out, in/groups, kH, kW].
  Tensor& weight() { return *weight_; }
  /// The weight, read-only.
  const Tensor& weight() const { return *weight_; }
  /// The bias [out]; undefined when built with bias(false).
  Tensor& bias() { return bias_ ? *bias_ : no_bias_; }
  /// The bias, read-only.
  const Tensor& bias() const { return bias_ ? *bias_ : no_bias_; }

 private:
  void build(autograd::Generator& gen);

  Conv2dOptions options_;
  Tensor* weight_ = nullptr;
  Tensor* bias_ = nullptr;
  Tensor no_bias_;
};

using Conv1d = BasicConv1d<float>;    ///< float32 elements
using Conv1dD = BasicConv1d<double>;  ///< float64 elements (gradient checks)
using Conv2d = BasicConv2d<float>;    ///< float32 elements
using Conv2dD = BasicConv2d<double>;  ///< float64 elements (gradient checks)

}  // namespace axon::nn
