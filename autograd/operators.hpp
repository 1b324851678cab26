// SPDX-License-Identifier: MIT
#pragma once

#include <type_traits>

#include "axon/autograd/ops/elementwise.hpp"

/// `+ - * /` and unary `-` on tensors and scalars, so model code reads like the maths.
/// A scalar operand of any arithmetic type is converted to the tensor's element type.
namespace axon::autograd {

template <class S>
concept Scalar = std::is_arithmetic_v<S>;

template <class T>
BasicTensor<T> operator+(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return add(a, b);
}
template <class T>
BasicTensor<T> operator-(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return sub(a, b);
}
template <class T>
BasicTensor<T> operator*(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return mul(a, b);
}
template <class T>
BasicTensor<T> operator/(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return div(a, b);
}
template <class T>
BasicTensor<T> operator-(const BasicTensor<T>& a) {
  return neg(a);
}

template <class T, Scalar S>
BasicTensor<T> operator+(const BasicTensor<T>& a, S s) {
  return add(a, static_cast<T>(s));
}
template <class T, Scalar S>
BasicTensor<T> operator+(S s, const BasicTensor<T>& a) {
  return add(a, static_cast<T>(s));
}
template <class T, Scalar S>
BasicTensor<T> operator-(const BasicTensor<T>& a, S s) {
  return add(a, static_cast<T>(-static_cast<T>(s)));
}
template <class T, Scalar S>
BasicTensor<T> operator-(S s, const BasicTensor<T>& a) {
  return rsub(a, static_cast<T>(s));
}
template <class T, Scalar S>
BasicTensor<T> operator*(const BasicTensor<T>& a, S s) {
  return mul(a, static_cast<T>(s));
}
template <class T, Scalar S>
BasicTensor<T> operator*(S s, const BasicTensor<T>& a) {
  return mul(a, static_cast<T>(s));
}
template <class T, Scalar S>
BasicTensor<T> operator/(const BasicTensor<T>& a, S s) {
  return div(a, static_cast<T>(s));
}
template <class T, Scalar S>
BasicTensor<T> operator/(S s, const BasicTensor<T>& a) {
  return rdiv(a, static_cast<T>(s));
}

}  // namespace axon::autograd
