// SPDX-License-Identifier: MIT
#include "autograd/ops/elementwise.hpp"

#include <cmath>

#include "autograd/kernels.hpp"

namespace axon::autograd {

namespace {

using kernels::for_each_broadcast;
using kernels::sum_to_shape;

/// A broadcasting binary op. `fwd(x, y)` computes one output element; `da(g, x, y, o)` and
/// `db(g, x, y, o)` give the gradient contributions for one output element (g: its upstream
/// gradient, o: its value). Each contribution array is reduced to its operand's shape.
template <class T, class Fwd, class DA, class DB>
BasicTensor<T> binary_op(const char* name, const BasicTensor<T>& a, const BasicTensor<T>& b,
                         Fwd fwd, DA da, DB db) {
  const Shape out_shape = broadcast_shapes(a.shape(), b.shape(), name);
  xt::xarray<T> out = kernels::binary_map(a.data(), b.data(), out_shape, fwd);
  // The impl pointers are copied straight into the closure: each extra shared_ptr copy is an
  // atomic increment and decrement per op.
  return make_result<T>(
      name, std::move(out), {&a, &b},
      [ia = a.impl_ptr(), ib = b.impl_ptr(), da, db](const xt::xarray<T>& g,
                                                     const xt::xarray<T>& o) {
        const Shape& os = o.shape();
        const Shape sa = broadcast_strides(ia->value.shape(), os);
        const Shape sb = broadcast_strides(ib->value.shape(), os);
        const T* pa = ia->value.data();
        const T* pb = ib->value.data();
        const T* pg = g.data();
        const T* po = o.data();
        if (ia->requires_grad) {
          xt::xarray<T> d = xt::xarray<T>::from_shape(os);
          T* pd = d.data();
          for_each_broadcast(os, sa, sb, [&](std::size_t i, std::size_t ja, std::size_t jb) {
            pd[i] = da(pg[i], pa[ja], pb[jb], po[i]);
          });
          accumulate_grad(*ia, sum_to_shape(std::move(d), ia->value.shape()));
        }
        if (ib->requires_grad) {
          xt::xarray<T> d = xt::xarray<T>::from_shape(os);
          T* pd = d.data();
          for_each_broadcast(os, sa, sb, [&](std::size_t i, std::size_t ja, std::size_t jb) {
            pd[i] = db(pg[i], pa[ja], pb[jb], po[i]);
          });
          accumulate_grad(*ib, sum_to_shape(std::move(d), ib->value.shape()));
        }
      });
}

/// A unary op. `fwd(x)` computes one element; `dx(g, x, o)` its gradient contribution.
template <class T, class Fwd, class DX>
BasicTensor<T> unary_op(const char* name, const BasicTensor<T>& a, Fwd fwd, DX dx) {
  xt::xarray<T> out = kernels::unary_map(a.data(), fwd);
  return make_result<T>(name, std::move(out), {&a},
                        [ia = a.impl_ptr(), dx](const xt::xarray<T>& g, const xt::xarray<T>& o) {
                          xt::xarray<T> d = xt::xarray<T>::from_shape(o.shape());
                          const T* pa = ia->value.data();
                          const T* pg = g.data();
                          const T* po = o.data();
                          T* pd = d.data();
                          const std::size_t n = d.size();
                          for (std::size_t i = 0; i < n; ++i) pd[i] = dx(pg[i], pa[i], po[i]);
                          accumulate_grad(*ia, std::move(d));
                        });
}

/// A comparison: a mask of 1/0, never recorded.
template <class T, class Cmp>
BasicTensor<T> compare(const char* name, const BasicTensor<T>& a, const BasicTensor<T>& b,
                       Cmp cmp) {
  const Shape out_shape = broadcast_shapes(a.shape(), b.shape(), name);
  return BasicTensor<T>(kernels::binary_map(a.data(), b.data(), out_shape,
                                            [cmp](T x, T y) { return cmp(x, y) ? T(1) : T(0); }));
}

}  // namespace

template <class T>
BasicTensor<T> add(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return binary_op<T>(
      "add", a, b, [](T x, T y) { return x + y; }, [](T g, T, T, T) { return g; },
      [](T g, T, T, T) { return g; });
}

template <class T>
BasicTensor<T> sub(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return binary_op<T>(
      "sub", a, b, [](T x, T y) { return x - y; }, [](T g, T, T, T) { return g; },
      [](T g, T, T, T) { return -g; });
}

template <class T>
BasicTensor<T> mul(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return binary_op<T>(
      "mul", a, b, [](T x, T y) { return x * y; }, [](T g, T, T y, T) { return g * y; },
      [](T g, T x, T, T) { return g * x; });
}

template <class T>
BasicTensor<T> div(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  // d/db (x / y) = -x / y^2 = -o / y
  return binary_op<T>(
      "div", a, b, [](T x, T y) { return x / y; }, [](T g, T, T y, T) { return g / y; },
      [](T g, T, T y, T o) { return -g * o / y; });
}

template <class T>
BasicTensor<T> pow(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  // d/dy x^y = x^y ln x; taken as 0 where x == 0 (the limit used by PyTorch for y > 0).
  return binary_op<T>(
      "pow", a, b, [](T x, T y) { return std::pow(x, y); },
      [](T g, T x, T y, T) { return y == T(0) ? T(0) : g * y * std::pow(x, y - T(1)); },
      [](T g, T x, T, T o) { return x == T(0) ? T(0) : g * o * std::log(x); });
}

template <class T>
BasicTensor<T> add(const BasicTensor<T>& a, T s) {
  return unary_op<T>(
      "add_scalar", a, [s](T x) { return x + s; }, [](T g, T, T) { return g; });
}

template <class T>
BasicTensor<T> mul(const BasicTensor<T>& a, T s) {
  return unary_op<T>(
      "mul_scalar", a, [s](T x) { return x * s; }, [s](T g, T, T) { return g * s; });
}

template <class T>
BasicTensor<T> div(const BasicTensor<T>& a, T s) {
  return unary_op<T>(
      "div_scalar", a, [s](T x) { return x / s; }, [s](T g, T, T) { return g / s; });
}

template <class T>
BasicTensor<T> rsub(const BasicTensor<T>& a, T s) {
  return unary_op<T>(
      "rsub_scalar", a, [s](T x) { return s - x; }, [](T g, T, T) { return -g; });
}

template <class T>
BasicTensor<T> rdiv(const BasicTensor<T>& a, T s) {
  // d/dx s/x = -s/x^2 = -o/x
  return unary_op<T>(
      "rdiv_scalar", a, [s](T x) { return s / x; }, [](T g, T x, T o) { return -g * o / x; });
}

template <class T>
BasicTensor<T> pow(const BasicTensor<T>& a, T p) {
  return unary_op<T>(
      "pow_scalar", a, [p](T x) { return std::pow(x, p); },
      [p](T g, T x, T) { return p == T(0) ? T(0) : g * p * std::pow(x, p - T(1)); });
}

template <class T>
BasicTensor<T> neg(const BasicTensor<T>& a) {
  return unary_op<T>(
      "neg", a, [](T x) { return -x; }, [](T g, T, T) { return -g; });
}

template <class T>
BasicTensor<T> exp(const BasicTensor<T>& a) {
  return unary_op<T>(
      "exp", a, [](T x) { return std::exp(x); }, [](T g, T, T o) { return g * o; });
}

template <class T>
BasicTensor<T> log(const BasicTensor<T>& a) {
  return unary_op<T>(
      "log", a, [](T x) { return std::log(x); }, [](T g, T x, T) { return g / x; });
}

template <class T>
BasicTensor<T> sqrt(const BasicTensor<T>& a) {
  return unary_op<T>(
      "sqrt", a, [](T x) { return std::sqrt(x); }, [](T g, T, T o) { return g / (T(2) * o); });
}

template <class T>
BasicTensor<T> abs(const BasicTensor<T>& a) {
  return unary_op<T>(
      "abs", a, [](T x) { return std::abs(x); },
      [](T g, T x, T) { return x > T(0) ? g : (x < T(0) ? -g : T(0)); });
}

template <class T>
BasicTensor<T> clamp(const BasicTensor<T>& a, T low, T high) {
  if (low > high) {
    throw ValueError("clamp: low (" + std::to_string(low) + ") is above high (" +
                     std::to_string(high) + ")");
  }
  return unary_op<T>(
      "clamp", a, [low, high](T x) { return x < low ? low : (x > high ? high : x); },
      [low, high](T g, T x, T) { return (x >= low && x <= high) ? g : T(0); });
}

template <class T>
BasicTensor<T> maximum(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  // A NaN operand gives NaN, and its gradient goes to both operands (as PyTorch).
  return binary_op<T>(
      "maximum", a, b, [](T x, T y) { return (x >= y || x != x) ? x : y; },
      [](T g, T x, T y, T) { return x < y ? T(0) : (x == y ? g / T(2) : g); },
      [](T g, T x, T y, T) { return y < x ? T(0) : (x == y ? g / T(2) : g); });
}

template <class T>
BasicTensor<T> minimum(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  // A NaN operand gives NaN, and its gradient goes to both operands (as PyTorch).
  return binary_op<T>(
      "minimum", a, b, [](T x, T y) { return (x <= y || x != x) ? x : y; },
      [](T g, T x, T y, T) { return x > y ? T(0) : (x == y ? g / T(2) : g); },
      [](T g, T x, T y, T) { return y > x ? T(0) : (x == y ? g / T(2) : g); });
}

template <class T>
BasicTensor<T> where(const BasicTensor<T>& mask, const BasicTensor<T>& a, const BasicTensor<T>& b) {
  const Shape ab = broadcast_shapes(a.shape(), b.shape(), "where");
  const Shape out_shape = broadcast_shapes(mask.shape(), ab, "where");
  // Read all three through broadcast strides into the output's row-major order.
  const Shape sm = broadcast_strides(mask.shape(), out_shape);
  const Shape sa = broadcast_strides(a.shape(), out_shape);
  const Shape sb = broadcast_strides(b.shape(), out_shape);
  xt::xarray<T> m = xt::xarray<T>::from_shape(out_shape);  // mask expanded to out_shape
  {
    const T* pm = mask.data_ptr();
    T* pe = m.data();
    for_each_broadcast(out_shape, sm, sm,
                       [&](std::size_t i, std::size_t j, std::size_t) { pe[i] = pm[j]; });
  }
  xt::xarray<T> out = xt::xarray<T>::from_shape(out_shape);
  {
    const T* pa = a.data_ptr();
    const T* pb = b.data_ptr();
    const T* pe = m.data();
    T* po = out.data();
    for_each_broadcast(out_shape, sa, sb, [&](std::size_t i, std::size_t ja, std::size_t jb) {
      po[i] = pe[i] != T(0) ? pa[ja] : pb[jb];
    });
  }
  auto ia = a.impl_ptr();
  auto ib = b.impl_ptr();
  return make_result<T>("where", std::move(out), {&a, &b},
                        [ia, ib, m = std::move(m)](const xt::xarray<T>& g, const xt::xarray<T>&) {
                          const T* pe = m.data();
                          const T* pg = g.data();
                          const std::size_t n = g.size();
                          if (ia->requires_grad) {
                            xt::xarray<T> d = xt::xarray<T>::from_shape(g.shape());
                            for (std::size_t i = 0; i < n; ++i)
                              d.data()[i] = pe[i] != T(0) ? pg[i] : T(0);
                            accumulate_grad(*ia, sum_to_shape(std::move(d), ia->value.shape()));
                          }
                          if (ib->requires_grad) {
                            xt::xarray<T> d = xt::xarray<T>::from_shape(g.shape());
                            for (std::size_t i = 0; i < n; ++i)
                              d.data()[i] = pe[i] != T(0) ? T(0) : pg[i];
                            accumulate_grad(*ib, sum_to_shape(std::move(d), ib->value.shape()));
                          }
                        });
}

template <class T>
BasicTensor<T> eq(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return compare("eq", a, b, [](T x, T y) { return x == y; });
}
template <class T>
BasicTensor<T> ne(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return compare("ne", a, b, [](T x, T y) { return x != y; });
}
template <class T>
BasicTensor<T> lt(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return compare("lt", a, b, [](T x, T y) { return x < y; });
}
template <class T>
BasicTensor<T> le(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return compare("le", a, b, [](T x, T y) { return x <= y; });
}
template <class T>
BasicTensor<T> gt(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return compare("gt", a, b, [](T x, T y) { return x > y; });
}
template <class T>
BasicTensor<T> ge(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return compare("ge", a, b, [](T x, T y) { return x >= y; });
}

#define AXON_BINARY(T, NAME) \
  template BasicTensor<T> NAME<T>(const BasicTensor<T>&, const BasicTensor<T>&);
#define AXON_UNARY(T, NAME) template BasicTensor<T> NAME<T>(const BasicTensor<T>&);
#define AXON_SCALAR(T, NAME) template BasicTensor<T> NAME<T>(const BasicTensor<T>&, T);
#define AXON_INSTANTIATE(T)                                                      \
  AXON_BINARY(T, add)                                                            \
  AXON_BINARY(T, sub)                                                            \
  AXON_BINARY(T, mul)                                                            \
  AXON_BINARY(T, div)                                                            \
  AXON_BINARY(T, pow)                                                            \
  AXON_BINARY(T, maximum)                                                        \
  AXON_BINARY(T, minimum)                                                        \
  AXON_BINARY(T, eq)                                                             \
  AXON_BINARY(T, ne)                                                             \
  AXON_BINARY(T, lt)                                                             \
  AXON_BINARY(T, le)                                                             \
  AXON_BINARY(T, gt)                                                             \
  AXON_BINARY(T, ge)                                                             \
  AXON_SCALAR(T, add)                                                            \
  AXON_SCALAR(T, mul)                                                            \
  AXON_SCALAR(T, div)                                                            \
  AXON_SCALAR(T, rsub)                                                           \
  AXON_SCALAR(T, rdiv)                                                           \
  AXON_SCALAR(T, pow)                                                            \
  AXON_UNARY(T, neg)                                                             \
  AXON_UNARY(T, exp)                                                             \
  AXON_UNARY(T, log)                                                             \
  AXON_UNARY(T, sqrt)                                                            \
  AXON_UNARY(T, abs)                                                             \
  template BasicTensor<T> clamp<T>(const BasicTensor<T>&, T, T);                 \
  template BasicTensor<T> where<T>(const BasicTensor<T>&, const BasicTensor<T>&, \
                                   const BasicTensor<T>&);

AXON_INSTANTIATE(float)
AXON_INSTANTIATE(double)

}  // namespace axon::autograd
