// SPDX-License-Identifier: MIT
#pragma once

#include <string>

#include "axon/nn/module.hpp"

/// Activation functions as modules (no parameters), wrapping autograd/ops/activations.hpp and
/// autograd/ops/softmax.hpp, for use inside Sequential. Each `BasicX<T>` has aliases `X` (float)
/// and `XD` (double).
namespace axon::nn {

/// max(x, 0).
template <class T>
class BasicReLU : public BasicModule<T> {
 public:
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string name() const override { return "ReLU"; }
};

/// x for x > 0, negative_slope * x otherwise (default slope 0.01, as PyTorch).
template <class T>
class BasicLeakyReLU : public BasicModule<T> {
 public:
  /// A leaky ReLU with slope `negative_slope` below zero.
  explicit BasicLeakyReLU(T negative_slope = T(0.01)) : negative_slope_(negative_slope) {}
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string name() const override { return "LeakyReLU"; }
  std::string extra_repr() const override;
  /// The slope applied to negative inputs.
  T negative_slope() const { return negative_slope_; }

 private:
  T negative_slope_;
};

/// x for x > 0, alpha (e^x - 1) otherwise (default alpha 1).
template <class T>
class BasicELU : public BasicModule<T> {
 public:
  /// An ELU with saturation value -`alpha` for large negative inputs.
  explicit BasicELU(T alpha = T(1)) : alpha_(alpha) {}
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string name() const override { return "ELU"; }
  std::string extra_repr() const override;
  /// The ELU's alpha.
  T alpha() const { return alpha_; }

 private:
  T alpha_;
};

/// 1 / (1 + e^-x).
template <class T>
class BasicSigmoid : public BasicModule<T> {
 public:
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string name() const override { return "Sigmoid"; }
};

/// tanh(x).
template <class T>
class BasicTanh : public BasicModule<T> {
 public:
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string name() const override { return "Tanh"; }
};

/// log(1 + e^(beta x)) / beta, linear where beta x > threshold (defaults 1 and 20, as PyTorch).
template <class T>
class BasicSoftplus : public BasicModule<T> {
 public:
  /// Softplus with sharpness `beta`, linear above `threshold` (of beta x).
  explicit BasicSoftplus(T beta = T(1), T threshold = T(20)) : beta_(beta), threshold_(threshold) {}
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string name() const override { return "Softplus"; }
  std::string extra_repr() const override;

 private:
  T beta_;
  T threshold_;
};

/// GELU, PyTorch's nn.GELU: approximate "none" (default) is the exact x Phi(x), "tanh" the tanh
/// approximation (autograd::gelu).
template <class T>
class BasicGELU : public BasicModule<T> {
 public:
  /// ValueError unless `approximate` is "none" or "tanh".
  explicit BasicGELU(std::string approximate = "none");
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string name() const override { return "GELU"; }
  std::string extra_repr() const override { return "approximate='" + approximate_ + "'"; }
  /// "none" or "tanh".
  const std::string& approximate() const { return approximate_; }

 private:
  std::string approximate_;
};

/// x * sigmoid(x) (also called swish).
template <class T>
class BasicSiLU : public BasicModule<T> {
 public:
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string name() const override { return "SiLU"; }
};

/// Softmax along `axis` (default -1, the last).
template <class T>
class BasicSoftmax : public BasicModule<T> {
 public:
  /// Softmax along `axis`; an axis out of range is reported when forward runs.
  explicit BasicSoftmax(int axis = -1) : axis_(axis) {}
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string name() const override { return "Softmax"; }
  std::string extra_repr() const override { return "axis=" + std::to_string(axis_); }

 private:
  int axis_;
};

/// Log-softmax along `axis` (default -1, the last).
template <class T>
class BasicLogSoftmax : public BasicModule<T> {
 public:
  /// Log-softmax along `axis`; an axis out of range is reported when forward runs.
  explicit BasicLogSoftmax(int axis = -1) : axis_(axis) {}
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string name() const override { return "LogSoftmax"; }
  std::string extra_repr() const override { return "axis=" + std::to_string(axis_); }

 private:
  int axis_;
};

using ReLU = BasicReLU<float>;                ///< float32 elements
using ReLUD = BasicReLU<double>;              ///< float64 elements (gradient checks)
using LeakyReLU = BasicLeakyReLU<float>;      ///< float32 elements
using LeakyReLUD = BasicLeakyReLU<double>;    ///< float64 elements (gradient checks)
using ELU = BasicELU<float>;                  ///< float32 elements
using ELUD = BasicELU<double>;                ///< float64 elements (gradient checks)
using Sigmoid = BasicSigmoid<float>;          ///< float32 elements
using SigmoidD = BasicSigmoid<double>;        ///< float64 elements (gradient checks)
using Tanh = BasicTanh<float>;                ///< float32 elements
using TanhD = BasicTanh<double>;              ///< float64 elements (gradient checks)
using Softplus = BasicSoftplus<float>;        ///< float32 elements
using SoftplusD = BasicSoftplus<double>;      ///< float64 elements (gradient checks)
using GELU = BasicGELU<float>;                ///< float32 elements
using GELUD = BasicGELU<double>;              ///< float64 elements (gradient checks)
using SiLU = BasicSiLU<float>;                ///< float32 elements
using SiLUD = BasicSiLU<double>;              ///< float64 elements (gradient checks)
using Softmax = BasicSoftmax<float>;          ///< float32 elements
using SoftmaxD = BasicSoftmax<double>;        ///< float64 elements (gradient checks)
using LogSoftmax = BasicLogSoftmax<float>;    ///< float32 elements
using LogSoftmaxD = BasicLogSoftmax<double>;  ///< float64 elements (gradient checks)

}  // namespace axon::nn
