// SPDX-License-Identifier: MIT
// The pooling layers: each forward is one op of autograd/ops/pooling.hpp with the layer's
// options; reprs print the arguments as PyTorch's do (stride shown once resolved).
#include "axon/nn/pooling.hpp"

#include "axon/autograd/ops/pooling.hpp"

namespace axon::nn {

namespace {

std::string window_repr(const std::string& kernel, const std::string& stride,
                        const std::string& padding) {
  return "kernel_size=" + kernel + ", stride=" + stride + ", padding=" + padding;
}

std::string flag(bool count_include_pad) {
  return count_include_pad ? "" : ", count_include_pad=false";
}

}  // namespace

template <class T>
BasicTensor<T> BasicMaxPool1d<T>::forward(const BasicTensor<T>& x) {
  return autograd::max_pool1d(x, options_.kernel_size(), options_.stride(), options_.padding());
}

template <class T>
std::string BasicMaxPool1d<T>::extra_repr() const {
  const auto& o = options_;
  return window_repr(std::to_string(o.kernel_size()),
                     std::to_string(o.stride().value_or(o.kernel_size())),
                     std::to_string(o.padding()));
}

template <class T>
BasicTensor<T> BasicMaxPool2d<T>::forward(const BasicTensor<T>& x) {
  return autograd::max_pool2d(x, options_.kernel_size(), options_.stride(), options_.padding());
}

template <class T>
std::string BasicMaxPool2d<T>::extra_repr() const {
  const auto& o = options_;
  return window_repr(o.kernel_size().str(), o.stride().value_or(o.kernel_size()).str(),
                     o.padding().str());
}

template <class T>
BasicTensor<T> BasicAvgPool1d<T>::forward(const BasicTensor<T>& x) {
  return autograd::avg_pool1d(x, options_.kernel_size(), options_.stride(), options_.padding(),
                              options_.count_include_pad());
}

template <class T>
std::string BasicAvgPool1d<T>::extra_repr() const {
  const auto& o = options_;
  return window_repr(std::to_string(o.kernel_size()),
                     std::to_string(o.stride().value_or(o.kernel_size())),
                     std::to_string(o.padding())) +
         flag(o.count_include_pad());
}

template <class T>
BasicTensor<T> BasicAvgPool2d<T>::forward(const BasicTensor<T>& x) {
  return autograd::avg_pool2d(x, options_.kernel_size(), options_.stride(), options_.padding(),
                              options_.count_include_pad());
}

template <class T>
std::string BasicAvgPool2d<T>::extra_repr() const {
  const auto& o = options_;
  return window_repr(o.kernel_size().str(), o.stride().value_or(o.kernel_size()).str(),
                     o.padding().str()) +
         flag(o.count_include_pad());
}

template <class T>
BasicTensor<T> BasicAdaptiveAvgPool1d<T>::forward(const BasicTensor<T>& x) {
  return autograd::adaptive_avg_pool1d(x, output_size_);
}

template <class T>
BasicTensor<T> BasicAdaptiveAvgPool2d<T>::forward(const BasicTensor<T>& x) {
  return autograd::adaptive_avg_pool2d(x, output_size_);
}

template <class T>
BasicTensor<T> BasicGlobalAvgPool2d<T>::forward(const BasicTensor<T>& x) {
  return autograd::global_avg_pool2d(x);
}

#define AXON_INSTANTIATE(T)                 \
  template class BasicMaxPool1d<T>;         \
  template class BasicMaxPool2d<T>;         \
  template class BasicAvgPool1d<T>;         \
  template class BasicAvgPool2d<T>;         \
  template class BasicAdaptiveAvgPool1d<T>; \
  template class BasicAdaptiveAvgPool2d<T>; \
  template class BasicGlobalAvgPool2d<T>;

AXON_INSTANTIATE(float)
AXON_INSTANTIATE(double)

}  // namespace axon::nn
