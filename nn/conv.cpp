// SPDX-License-Identifier: MIT
// Conv1d and Conv2d: option checks, PyTorch's default initialisation, forward through
// autograd::conv1d/conv2d with the layer named in shape errors.
#include "axon/nn/conv.hpp"

#include <cmath>
#include <string>

#include "axon/autograd/ops/conv.hpp"
#include "axon/nn/init.hpp"

namespace axon::nn {

namespace {

/// The checks both layers share; `what` is the layer's repr prefix for messages.
void check_options(const std::string& what, std::size_t in, std::size_t out, Size2 kernel,
                   Size2 stride, Size2 padding, Size2 dilation, long groups, bool two_d) {
  const auto show = [two_d](Size2 v) { return two_d ? v.str() : std::to_string(v.w); };
  if (kernel.h < 1 || kernel.w < 1) {
    throw ValueError(what + ": kernel_size must be >= 1, got " + show(kernel));
  }
  if (stride.h < 1 || stride.w < 1) {
    throw ValueError(what + ": stride must be >= 1, got " + show(stride));
  }
  if (padding.h < 0 || padding.w < 0) {
    throw ValueError(what + ": padding must be >= 0, got " + show(padding));
  }
  if (dilation.h < 1 || dilation.w < 1) {
    throw ValueError(what + ": dilation must be >= 1, got " + show(dilation));
  }
  if (groups < 1) throw ValueError(what + ": groups must be >= 1, got " + std::to_string(groups));
  const auto g = static_cast<std::size_t>(groups);
  if (in % g != 0 || out % g != 0) {
    throw ValueError(what + ": groups=" + std::to_string(groups) + " must divide in_channels=" +
                     std::to_string(in) + " and out_channels=" + std::to_string(out));
  }
}

/// PyTorch's reset_parameters for _ConvNd: kaiming_uniform_(a = sqrt(5)) on the weight, then
/// the bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
template <class T>
void default_init(BasicTensor<T>& weight, BasicTensor<T>* bias, autograd::Generator& gen) {
  if (weight.numel() == 0) return;  // nothing to draw (and no fan to scale by)
  init::kaiming_uniform_(weight, gen, std::sqrt(5.0));
  if (bias) {
    const auto fans = init::calculate_fan_in_and_fan_out(weight.shape());
    const double bound = 1.0 / std::sqrt(static_cast<double>(fans.fan_in));
    init::uniform_(*bias, gen, -bound, bound);
  }
}

/// The repr arguments: channels, kernel and stride always; the rest when not the default.
std::string conv_repr(std::size_t in, std::size_t out, const std::string& kernel,
                      const std::string& stride, const std::string& padding, bool padded,
                      const std::string& dilation, bool dilated, long groups, bool bias) {
  std::string s = "in_channels=" + std::to_string(in) + ", out_channels=" + std::to_string(out) +
                  ", kernel_size=" + kernel + ", stride=" + stride;
  if (padded) s += ", padding=" + padding;
  if (dilated) s += ", dilation=" + dilation;
  if (groups != 1) s += ", groups=" + std::to_string(groups);
  if (!bias) s += ", bias=false";
  return s;
}

}  // namespace

// ---- Conv1d ----------------------------------------------------------------------------------

template <class T>
BasicConv1d<T>::BasicConv1d(const Conv1dOptions& options, autograd::Generator& gen)
    : options_(options) {
  build(gen);
}

template <class T>
void BasicConv1d<T>::build(autograd::Generator& gen) {
  const Conv1dOptions& o = options_;
  check_options(name() + "(" + extra_repr() + ")", o.in_channels(), o.out_channels(),
                Size2{1, o.kernel_size()}, Size2{1, o.stride()}, Size2{0, o.padding()},
                Size2{1, o.dilation()}, o.groups(), false);
  const auto per_group = o.in_channels() / static_cast<std::size_t>(o.groups());
  weight_ = &this->register_parameter(
      "weight",
      autograd::zeros<T>({o.out_channels(), per_group, static_cast<std::size_t>(o.kernel_size())}));
  if (o.bias()) bias_ = &this->register_parameter("bias", autograd::zeros<T>({o.out_channels()}));
  reset_parameters(gen);
}

template <class T>
void BasicConv1d<T>::reset_parameters(autograd::Generator& gen) {
  default_init(*weight_, bias_, gen);
}

template <class T>
auto BasicConv1d<T>::forward(const Tensor& x) -> Tensor {
  try {
    return autograd::conv1d(x, *weight_, bias(), options_.stride(), options_.padding(),
                            options_.dilation(), options_.groups());
  } catch (const ShapeError& e) {
    throw ShapeError(name() + "(" + extra_repr() + "): " + e.what());
  }
}

template <class T>
std::string BasicConv1d<T>::extra_repr() const {
  const Conv1dOptions& o = options_;
  return conv_repr(o.in_channels(), o.out_channels(), std::to_string(o.kernel_size()),
                   std::to_string(o.stride()), std::to_string(o.padding()), o.padding() != 0,
                   std::to_string(o.dilation()), o.dilation() != 1, o.groups(), o.bias());
}

// ---- Conv2d ----------------------------------------------------------------------------------

template <class T>
BasicConv2d<T>::BasicConv2d(const Conv2dOptions& options, autograd::Generator& gen)
    : options_(options) {
  build(gen);
}

template <class T>
void BasicConv2d<T>::build(autograd::Generator& gen) {
  const Conv2dOptions& o = options_;
  check_options(name() + "(" + extra_repr() + ")", o.in_channels(), o.out_channels(),
                o.kernel_size(), o.stride(), o.padding(), o.dilation(), o.groups(), true);
  const auto per_group = o.in_channels() / static_cast<std::size_t>(o.groups());
  weight_ = &this->register_parameter(
      "weight",
      autograd::zeros<T>({o.out_channels(), per_group, static_cast<std::size_t>(o.kernel_size().h),
                          static_cast<std::size_t>(o.kernel_size().w)}));
  if (o.bias()) bias_ = &this->register_parameter("bias", autograd::zeros<T>({o.out_channels()}));
  reset_parameters(gen);
}

template <class T>
void BasicConv2d<T>::reset_parameters(autograd::Generator& gen) {
  default_init(*weight_, bias_, gen);
}

template <class T>
auto BasicConv2d<T>::forward(const Tensor& x) -> Tensor {
  try {
    return autograd::conv2d(x, *weight_, bias(), options_.stride(), options_.padding(),
                            options_.dilation(), options_.groups());
  } catch (const ShapeError& e) {
    throw ShapeError(name() + "(" + extra_repr() + "): " + e.what());
  }
}

template <class T>
std::string BasicConv2d<T>::extra_repr() const {
  const Conv2dOptions& o = options_;
  return conv_repr(o.in_channels(), o.out_channels(), o.kernel_size().str(), o.stride().str(),
                   o.padding().str(), o.padding() != Size2{0}, o.dilation().str(),
                   o.dilation() != Size2{1}, o.groups(), o.bias());
}

template class BasicConv1d<float>;
template class BasicConv1d<double>;
template class BasicConv2d<float>;
template class BasicConv2d<double>;

}  // namespace axon::nn
