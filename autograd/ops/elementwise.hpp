// SPDX-License-Identifier: MIT
#pragma once

#include <type_traits>

#include "axon/autograd/tensor.hpp"

/// Elementwise arithmetic with NumPy broadcasting. Every binary op broadcasts both operands; its
/// backward reduces each gradient back to the operand's shape with kernels::sum_to_shape.
namespace axon::autograd {

/// a + b.  d/da = 1, d/db = 1
template <class T>
BasicTensor<T> add(const BasicTensor<T>& a, const BasicTensor<T>& b);
/// a - b.  d/da = 1, d/db = -1
template <class T>
BasicTensor<T> sub(const BasicTensor<T>& a, const BasicTensor<T>& b);
/// a * b.  d/da = b, d/db = a
template <class T>
BasicTensor<T> mul(const BasicTensor<T>& a, const BasicTensor<T>& b);
/// a / b.  d/da = 1/b, d/db = -a/b^2
template <class T>
BasicTensor<T> div(const BasicTensor<T>& a, const BasicTensor<T>& b);
/// a ^ b (b a tensor).  d/da = b a^(b-1) (0 where b = 0), d/db = a^b log(a) (0 where a = 0 and
/// b >= 0; -inf where a = 0 and b < 0, as PyTorch)
template <class T>
BasicTensor<T> pow(const BasicTensor<T>& a, const BasicTensor<T>& b);

/// a + s.  d/da = 1
template <class T>
BasicTensor<T> add(const BasicTensor<T>& a, std::type_identity_t<T> s);
/// a * s.  d/da = s
template <class T>
BasicTensor<T> mul(const BasicTensor<T>& a, std::type_identity_t<T> s);
/// a / s.  d/da = 1/s
template <class T>
BasicTensor<T> div(const BasicTensor<T>& a, std::type_identity_t<T> s);
/// s - a.  d/da = -1
template <class T>
BasicTensor<T> rsub(const BasicTensor<T>& a, std::type_identity_t<T> s);
/// s / a.  d/da = -s/a^2
template <class T>
BasicTensor<T> rdiv(const BasicTensor<T>& a, std::type_identity_t<T> s);
/// a ^ p (p a scalar).  d/da = p a^(p-1)
template <class T>
BasicTensor<T> pow(const BasicTensor<T>& a, std::type_identity_t<T> p);

/// -a.  d/da = -1
template <class T>
BasicTensor<T> neg(const BasicTensor<T>& a);
/// e^a.  d/da = e^a
template <class T>
BasicTensor<T> exp(const BasicTensor<T>& a);
/// ln a.  d/da = 1/a
template <class T>
BasicTensor<T> log(const BasicTensor<T>& a);
/// sqrt(a).  d/da = 1 / (2 sqrt(a))
template <class T>
BasicTensor<T> sqrt(const BasicTensor<T>& a);
/// |a|.  d/da = sign(a) (0 at 0)
template <class T>
BasicTensor<T> abs(const BasicTensor<T>& a);
/// min(max(a, low), high), as PyTorch: with low > high every value becomes high.
/// d/da = 1 where low <= a <= high, else 0
template <class T>
BasicTensor<T> clamp(const BasicTensor<T>& a, std::type_identity_t<T> low,
                     std::type_identity_t<T> high);
/// Elementwise maximum; NaN where either operand is NaN.  The gradient goes to the larger operand;
/// ties split it in half; where an operand is NaN both get it (as PyTorch).
template <class T>
BasicTensor<T> maximum(const BasicTensor<T>& a, const BasicTensor<T>& b);
/// Elementwise minimum; NaN where either operand is NaN.  The gradient goes to the smaller
/// operand; ties split it in half; where an operand is NaN both get it (as PyTorch).
template <class T>
BasicTensor<T> minimum(const BasicTensor<T>& a, const BasicTensor<T>& b);
/// mask ? a : b with all three broadcast (mask: non-zero means true; it gets no gradient).
/// d/da = mask, d/db = 1 - mask
template <class T>
BasicTensor<T> where(const BasicTensor<T>& mask, const BasicTensor<T>& a, const BasicTensor<T>& b);

/// Comparisons: masks of 1 and 0 with the broadcast shape. They record nothing (no gradient).
template <class T>
BasicTensor<T> eq(const BasicTensor<T>& a, const BasicTensor<T>& b);
/// 1 where a != b, else 0.
template <class T>
BasicTensor<T> ne(const BasicTensor<T>& a, const BasicTensor<T>& b);
/// 1 where a < b, else 0.
template <class T>
BasicTensor<T> lt(const BasicTensor<T>& a, const BasicTensor<T>& b);
/// 1 where a <= b, else 0.
template <class T>
BasicTensor<T> le(const BasicTensor<T>& a, const BasicTensor<T>& b);
/// 1 where a > b, else 0.
template <class T>
BasicTensor<T> gt(const BasicTensor<T>& a, const BasicTensor<T>& b);
/// 1 where a >= b, else 0.
template <class T>
BasicTensor<T> ge(const BasicTensor<T>& a, const BasicTensor<T>& b);

}  // namespace axon::autograd
