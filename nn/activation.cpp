// SPDX-License-Identifier: MIT
#include "axon/nn/activation.hpp"

#include <sstream>
#include <utility>

#include "axon/autograd/ops/activations.hpp"
#include "axon/autograd/ops/softmax.hpp"

namespace axon::nn {

namespace {

/// Shortest round-trip text of a parameter value ("0.01", "1").
template <class T>
std::string number(T value) {
  std::ostringstream os;
  os << value;
  return os.str();
}

}  // namespace

template <class T>
BasicTensor<T> BasicReLU<T>::forward(const BasicTensor<T>& x) {
  return autograd::relu(x);
}

template <class T>
BasicTensor<T> BasicLeakyReLU<T>::forward(const BasicTensor<T>& x) {
  return autograd::leaky_relu(x, negative_slope_);
}
template <class T>
std::string BasicLeakyReLU<T>::extra_repr() const {
  return "negative_slope=" + number(negative_slope_);
}

template <class T>
BasicTensor<T> BasicELU<T>::forward(const BasicTensor<T>& x) {
  return autograd::elu(x, alpha_);
}
template <class T>
std::string BasicELU<T>::extra_repr() const {
  return "alpha=" + number(alpha_);
}

template <class T>
BasicTensor<T> BasicSigmoid<T>::forward(const BasicTensor<T>& x) {
  return autograd::sigmoid(x);
}

template <class T>
BasicTensor<T> BasicTanh<T>::forward(const BasicTensor<T>& x) {
  return autograd::tanh(x);
}

template <class T>
BasicTensor<T> BasicSoftplus<T>::forward(const BasicTensor<T>& x) {
  return autograd::softplus(x, beta_, threshold_);
}
template <class T>
std::string BasicSoftplus<T>::extra_repr() const {
  return "beta=" + number(beta_) + ", threshold=" + number(threshold_);
}

template <class T>
BasicGELU<T>::BasicGELU(std::string approximate) : approximate_(std::move(approximate)) {
  if (approximate_ != "none" && approximate_ != "tanh") {
    throw ValueError("GELU: approximate must be 'none' or 'tanh' (got '" + approximate_ + "')");
  }
}

template <class T>
BasicTensor<T> BasicGELU<T>::forward(const BasicTensor<T>& x) {
  return autograd::gelu(x, approximate_);
}

template <class T>
BasicTensor<T> BasicSiLU<T>::forward(const BasicTensor<T>& x) {
  return autograd::silu(x);
}

template <class T>
BasicTensor<T> BasicSoftmax<T>::forward(const BasicTensor<T>& x) {
  return autograd::softmax(x, axis_);
}

template <class T>
BasicTensor<T> BasicLogSoftmax<T>::forward(const BasicTensor<T>& x) {
  return autograd::log_softmax(x, axis_);
}

#define AXON_INSTANTIATE_ACTIVATIONS(T) \
  template class BasicReLU<T>;          \
  template class BasicLeakyReLU<T>;     \
  template class BasicELU<T>;           \
  template class BasicSigmoid<T>;       \
  template class BasicTanh<T>;          \
  template class BasicSoftplus<T>;      \
  template class BasicGELU<T>;          \
  template class BasicSiLU<T>;          \
  template class BasicSoftmax<T>;       \
  template class BasicLogSoftmax<T>;

AXON_INSTANTIATE_ACTIVATIONS(float)
AXON_INSTANTIATE_ACTIVATIONS(double)
#undef AXON_INSTANTIATE_ACTIVATIONS

}  // namespace axon::nn
