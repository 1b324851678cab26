// SPDX-License-Identifier: MIT
#pragma once

#include <type_traits>

#include "axon/autograd/ops/elementwise.hpp"

/// `+ - * /` and unary `-` on tensors and scalars, so model code reads like the maths.
/// A scalar operand of any arithmetic type is converted to the tensor's element type.
namespace axon::autograd {

/// Any arithmetic type (int, float, double, ...), accepted as a scalar operand.
template <class S>
concept Scalar = std::is_arithmetic_v<S>;

/// Elementwise a + b with broadcasting (add); ShapeError when the shapes do not broadcast.
template <class T>
BasicTensor<T> operator+(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return add(a, b);
}
/// Elementwise a - b with broadcasting (sub); ShapeError when the shapes do not broadcast.
template <class T>
BasicTensor<T> operator-(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return sub(a, b);
}
/// Elementwise a * b with broadcasting (mul); ShapeError when the shapes do not broadcast.
template <class T>
BasicTensor<T> operator*(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return mul(a, b);
}
/// Elementwise a / b with broadcasting (div); ShapeError when the shapes do not broadcast.
template <class T>
BasicTensor<T> operator/(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return div(a, b);
}
/// Elementwise -a (neg).
template <class T>
BasicTensor<T> operator-(const BasicTensor<T>& a) {
  return neg(a);
}

/// a + s for every element.
template <class T, Scalar S>
BasicTensor<T> operator+(const BasicTensor<T>& a, S s) {
  return add(a, static_cast<T>(s));
}
/// s + a for every element.
template <class T, Scalar S>
BasicTensor<T> operator+(S s, const BasicTensor<T>& a) {
  return add(a, static_cast<T>(s));
}
/// a - s for every element.
template <class T, Scalar S>
BasicTensor<T> operator-(const BasicTensor<T>& a, S s) {
  return add(a, static_cast<T>(-static_cast<T>(s)));
}
/// s - a for every element.
template <class T, Scalar S>
BasicTensor<T> operator-(S s, const BasicTensor<T>& a) {
  return rsub(a, static_cast<T>(s));
}
/// a * s for every element.
template <class T, Scalar S>
BasicTensor<T> operator*(const BasicTensor<T>& a, S s) {
  return mul(a, static_cast<T>(s));
}
/// s * a for every element.
template <class T, Scalar S>
BasicTensor<T> operator*(S s, const BasicTensor<T>& a) {
  return mul(a, static_cast<T>(s));
}
/// a / s for every element.
template <class T, Scalar S>
BasicTensor<T> operator/(const BasicTensor<T>& a, S s) {
  return div(a, static_cast<T>(s));
}
/// s / a for every element.
template <class T, Scalar S>
BasicTensor<T> operator/(S s, const BasicTensor<T>& a) {
  return rdiv(a, static_cast<T>(s));
}

}  // namespace axon::autograd
