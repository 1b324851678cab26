// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>

#include "axon/autograd/arg.hpp"
#include "axon/autograd/ops/window.hpp"
#include "axon/nn/module.hpp"

/// Pooling layers over [N, C, L] (1-D) or [N, C, H, W] (2-D) inputs, wrapping the ops of
/// autograd/ops/pooling.hpp (PyTorch's semantics; the stride defaults to the kernel size). They
/// have no parameters. Bad arguments or inputs are reported by the op when forward runs.
namespace axon::nn {

using autograd::Size2;

/// Options of MaxPool1d / AvgPool1d: `Pool1dOptions(3).stride(2).padding(1)`.
class Pool1dOptions {
 public:
  /// A window of `kernel_size` elements.
  explicit Pool1dOptions(long kernel_size) : kernel_size_(kernel_size) {}
  /// Window extent.
  AXON_ARG(long, kernel_size);
  /// Default: the kernel size.
  AXON_ARG(std::optional<long>, stride);
  /// Zeros (-inf for max) on both sides (default 0).
  AXON_ARG(long, padding) = 0;
  /// Average pools only.
  AXON_ARG(bool, count_include_pad) = true;
};

/// Options of MaxPool2d / AvgPool2d: `Pool2dOptions(2)`, `Pool2dOptions({3, 2}).stride(1)`.
class Pool2dOptions {
 public:
  /// A window of `kernel_size`, `{h, w}` or one extent for both axes.
  explicit Pool2dOptions(Size2 kernel_size) : kernel_size_(kernel_size) {}
  /// Step between windows, per axis as `{h, w}` (default: the kernel size). Written by hand:
  /// the setter takes a Size2, so `stride(2)` and `stride({2, 1})` both read naturally.
  Pool2dOptions& stride(Size2 value) {
    stride_ = value;
    return *this;
  }
  /// The stride; nullopt means the kernel size.
  const std::optional<Size2>& stride() const { return stride_; }

  /// Window extent, {h, w}.
  AXON_ARG(Size2, kernel_size);
  /// Zeros (-inf for max) on both sides of each axis (default 0).
  AXON_ARG(Size2, padding) = 0;
  /// Average pools only.
  AXON_ARG(bool, count_include_pad) = true;
  std::optional<Size2> stride_;  ///< storage of stride(); prefer the stride() setter and getter
};

/// Maximum over each window (autograd::max_pool1d).
template <class T>
class BasicMaxPool1d : public BasicModule<T> {
 public:
  using Options = Pool1dOptions;  ///< the options class this is built from
  /// A max pool with `options`.
  explicit BasicMaxPool1d(const Pool1dOptions& options) : options_(options) {}
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string name() const override { return "MaxPool1d"; }
  std::string extra_repr() const override;
  /// The options the layer was built with.
  const Pool1dOptions& options() const { return options_; }

 private:
  Pool1dOptions options_;
};

/// Maximum over each window (autograd::max_pool2d).
template <class T>
class BasicMaxPool2d : public BasicModule<T> {
 public:
  using Options = Pool2dOptions;  ///< the options class this is built from
  /// A max pool with `options`.
  explicit BasicMaxPool2d(const Pool2dOptions& options) : options_(options) {}
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string name() const override { return "MaxPool2d"; }
  std::string extra_repr() const override;
  /// The options the layer was built with.
  const Pool2dOptions& options() const { return options_; }

 private:
  Pool2dOptions options_;
};

/// Mean over each window (autograd::avg_pool1d), count_include_pad by default.
template <class T>
class BasicAvgPool1d : public BasicModule<T> {
 public:
  using Options = Pool1dOptions;  ///< the options class this is built from
  /// An average pool with `options`.
  explicit BasicAvgPool1d(const Pool1dOptions& options) : options_(options) {}
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string name() const override { return "AvgPool1d"; }
  std::string extra_repr() const override;
  /// The options the layer was built with.
  const Pool1dOptions& options() const { return options_; }

 private:
  Pool1dOptions options_;
};

/// Mean over each window (autograd::avg_pool2d), count_include_pad by default.
template <class T>
class BasicAvgPool2d : public BasicModule<T> {
 public:
  using Options = Pool2dOptions;  ///< the options class this is built from
  /// An average pool with `options`.
  explicit BasicAvgPool2d(const Pool2dOptions& options) : options_(options) {}
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string name() const override { return "AvgPool2d"; }
  std::string extra_repr() const override;
  /// The options the layer was built with.
  const Pool2dOptions& options() const { return options_; }

 private:
  Pool2dOptions options_;
};

/// Mean over `output_size` PyTorch adaptive bins: [N, C, L] -> [N, C, output_size].
template <class T>
class BasicAdaptiveAvgPool1d : public BasicModule<T> {
 public:
  /// Pools to `output_size` bins (reported when forward runs if below 1).
  explicit BasicAdaptiveAvgPool1d(long output_size) : output_size_(output_size) {}
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string name() const override { return "AdaptiveAvgPool1d"; }
  std::string extra_repr() const override { return "output_size=" + std::to_string(output_size_); }

 private:
  long output_size_;
};

/// Mean over adaptive bins: [N, C, H, W] -> [N, C, output_size.h, output_size.w].
template <class T>
class BasicAdaptiveAvgPool2d : public BasicModule<T> {
 public:
  /// Pools to `output_size` bins, {h, w} or one count for both.
  explicit BasicAdaptiveAvgPool2d(Size2 output_size) : output_size_(output_size) {}
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string name() const override { return "AdaptiveAvgPool2d"; }
  std::string extra_repr() const override { return "output_size=" + output_size_.str(); }

 private:
  Size2 output_size_;
};

/// Mean over H and W: [N, C, H, W] -> [N, C] (AdaptiveAvgPool2d(1) followed by Flatten).
template <class T>
class BasicGlobalAvgPool2d : public BasicModule<T> {
 public:
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string name() const override { return "GlobalAvgPool2d"; }
};

using MaxPool1d = BasicMaxPool1d<float>;                    ///< float32 elements
using MaxPool1dD = BasicMaxPool1d<double>;                  ///< float64 elements (gradient checks)
using MaxPool2d = BasicMaxPool2d<float>;                    ///< float32 elements
using MaxPool2dD = BasicMaxPool2d<double>;                  ///< float64 elements (gradient checks)
using AvgPool1d = BasicAvgPool1d<float>;                    ///< float32 elements
using AvgPool1dD = BasicAvgPool1d<double>;                  ///< float64 elements (gradient checks)
using AvgPool2d = BasicAvgPool2d<float>;                    ///< float32 elements
using AvgPool2dD = BasicAvgPool2d<double>;                  ///< float64 elements (gradient checks)
using AdaptiveAvgPool1d = BasicAdaptiveAvgPool1d<float>;    ///< float32 elements
using AdaptiveAvgPool1dD = BasicAdaptiveAvgPool1d<double>;  ///< float64 elements (gradient checks)
using AdaptiveAvgPool2d = BasicAdaptiveAvgPool2d<float>;    ///< float32 elements
using AdaptiveAvgPool2dD = BasicAdaptiveAvgPool2d<double>;  ///< float64 elements (gradient checks)
using GlobalAvgPool2d = BasicGlobalAvgPool2d<float>;        ///< float32 elements
using GlobalAvgPool2dD = BasicGlobalAvgPool2d<double>;      ///< float64 elements (gradient checks)

}  // namespace axon::nn
