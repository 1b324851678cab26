// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "autograd/ops/window.hpp"
#include "autograd/random.hpp"
#include "nn/module.hpp"

/// Convolution layers: Conv1d and Conv2d, PyTorch's torch.nn.Conv1d/Conv2d (zero padding).
namespace axon::nn {

using autograd::Size2;

/// Options of Conv1d: `Conv1dOptions(16, 32, 3).stride(2).padding(1)`.
struct Conv1dOptions {
  Conv1dOptions(std::size_t in_channels, std::size_t out_channels, long kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}

  std::size_t in_channels_;
  std::size_t out_channels_;
  long kernel_size_;
  long stride_ = 1;
  long padding_ = 0;  ///< zeros on both sides
  long dilation_ = 1;
  long groups_ = 1;  ///< must divide both channel counts
  bool bias_ = true;
  std::uint64_t seed_ = 0;  ///< seed of the init draws when no Generator is passed

  Conv1dOptions& stride(long v) { return stride_ = v, *this; }
  Conv1dOptions& padding(long v) { return padding_ = v, *this; }
  Conv1dOptions& dilation(long v) { return dilation_ = v, *this; }
  Conv1dOptions& groups(long v) { return groups_ = v, *this; }
  Conv1dOptions& bias(bool v) { return bias_ = v, *this; }
  Conv1dOptions& seed(std::uint64_t v) { return seed_ = v, *this; }
};

/// Options of Conv2d: `Conv2dOptions(1, 8, 3).padding(1)`; per-axis values as `{h, w}`.
struct Conv2dOptions {
  Conv2dOptions(std::size_t in_channels, std::size_t out_channels, Size2 kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}

  std::size_t in_channels_;
  std::size_t out_channels_;
  Size2 kernel_size_;
  Size2 stride_ = 1;
  Size2 padding_ = 0;  ///< zeros on both sides of each axis
  Size2 dilation_ = 1;
  long groups_ = 1;  ///< must divide both channel counts
  bool bias_ = true;
  std::uint64_t seed_ = 0;  ///< seed of the init draws when no Generator is passed

  Conv2dOptions& stride(Size2 v) { return stride_ = v, *this; }
  Conv2dOptions& padding(Size2 v) { return padding_ = v, *this; }
  Conv2dOptions& dilation(Size2 v) { return dilation_ = v, *this; }
  Conv2dOptions& groups(long v) { return groups_ = v, *this; }
  Conv2dOptions& bias(bool v) { return bias_ = v, *this; }
  Conv2dOptions& seed(std::uint64_t v) { return seed_ = v, *this; }
};

/// 1-D convolution layer: [N, in, L] -> [N, out, L'] (autograd::conv1d), with weight
/// [out, in/groups, kernel] and bias [out].
///
/// Initialisation is PyTorch's default: weight by kaiming_uniform_ with a = sqrt(5), i.e.
/// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in/groups * kernel, then the bias from the
/// same range; drawn from the Generator passed in (or one seeded with options.seed_). Bad options
/// (a channel count not divisible by groups, a kernel, stride or dilation below 1, a negative
/// padding) are a ValueError at construction; a bad input a ShapeError naming the layer.
template <class T>
class BasicConv1d : public BasicModule<T> {
 public:
  using Tensor = BasicTensor<T>;

  explicit BasicConv1d(const Conv1dOptions& options);
  BasicConv1d(const Conv1dOptions& options, autograd::Generator& gen);

  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "Conv1d"; }
  std::string extra_repr() const override;

  /// Re-draws weight and bias with the default initialisation from `gen`.
  void reset_parameters(autograd::Generator& gen);

  const Conv1dOptions& options() const { return options_; }
  Tensor& weight() { return *weight_; }
  const Tensor& weight() const { return *weight_; }
  /// The bias [out]; undefined when built with bias(false).
  Tensor& bias() { return bias_ ? *bias_ : no_bias_; }
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
  using Tensor = BasicTensor<T>;

  explicit BasicConv2d(const Conv2dOptions& options);
  BasicConv2d(const Conv2dOptions& options, autograd::Generator& gen);

  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "Conv2d"; }
  std::string extra_repr() const override;

  void reset_parameters(autograd::Generator& gen);

  const Conv2dOptions& options() const { return options_; }
  Tensor& weight() { return *weight_; }
  const Tensor& weight() const { return *weight_; }
  Tensor& bias() { return bias_ ? *bias_ : no_bias_; }
  const Tensor& bias() const { return bias_ ? *bias_ : no_bias_; }

 private:
  void build(autograd::Generator& gen);

  Conv2dOptions options_;
  Tensor* weight_ = nullptr;
  Tensor* bias_ = nullptr;
  Tensor no_bias_;
};

using Conv1d = BasicConv1d<float>;
using Conv1dD = BasicConv1d<double>;
using Conv2d = BasicConv2d<float>;
using Conv2dD = BasicConv2d<double>;

}  // namespace axon::nn
