// SPDX-License-Identifier: MIT
#include "axon/autograd/ops/elementwise.hpp"

#include <cmath>

#include "axon/autograd/kernels.hpp"
#include "axon/autograd/ops/instantiate.hpp"
#include "axon/autograd/ops/pointwise.hpp"

namespace axon::autograd {

namespace {

using detail::binary_op;
using detail::constant_map;
using detail::constant_map2;
using detail::unary_op;
using kernels::for_each_broadcast;
using kernels::sum_to_shape;

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
      [](T g, T, T, T) { return g; },
      [](const auto& g, const auto&, const auto&, const auto&) { return g; },
      [](const auto& g, const auto&, const auto&, const auto&) { return g; });
}

template <class T>
BasicTensor<T> sub(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return binary_op<T>(
      "sub", a, b, [](T x, T y) { return x - y; }, [](T g, T, T, T) { return g; },
      [](T g, T, T, T) { return -g; },
      [](const auto& g, const auto&, const auto&, const auto&) { return g; },
      [](const auto& g, const auto&, const auto&, const auto&) { return -g; });
}

template <class T>
BasicTensor<T> mul(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return binary_op<T>(
      "mul", a, b, [](T x, T y) { return x * y; }, [](T g, T, T y, T) { return g * y; },
      [](T g, T x, T, T) { return g * x; },
      [](const auto& g, const auto&, const auto& y, const auto&) { return g * y; },
      [](const auto& g, const auto& x, const auto&, const auto&) { return g * x; });
}

template <class T>
BasicTensor<T> div(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  // d/db (x / y) = -x / y^2 = -o / y
  return binary_op<T>(
      "div", a, b, [](T x, T y) { return x / y; }, [](T g, T, T y, T) { return g / y; },
      [](T g, T, T y, T o) { return -g * o / y; },
      [](const auto& g, const auto&, const auto& y, const auto&) { return g / y; },
      [](const auto& g, const auto&, const auto& y, const auto& o) { return -g * o / y; });
}

template <class T>
BasicTensor<T> pow(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  // d/dy x^y = x^y ln x. At x = 0 it is taken as 0 for y >= 0 (the limit for y > 0); for y < 0
  // it stays inf * -inf = -inf, as in PyTorch.
  return binary_op<T>(
      "pow", a, b, [](T x, T y) { return std::pow(x, y); },
      [](T g, T x, T y, T) { return y == T(0) ? T(0) : g * y * std::pow(x, y - T(1)); },
      [](T g, T x, T y, T o) { return x == T(0) && y >= T(0) ? T(0) : g * o * std::log(x); },
      [](const auto& g, const auto& x, const auto& y, const auto&) {
        // where() keeps y == 0's 0 * inf out of the result.
        const auto zero = scalar<T>(0);
        return where(eq(y, zero), zero, g * y * pow(x, y - T(1)));
      },
      [](const auto& g, const auto& x, const auto& y, const auto& o) {
        const auto zero = scalar<T>(0);
        return where(mul(eq(x, zero), ge(y, zero)), zero, g * o * log(x));
      });
}

template <class T>
BasicTensor<T> add(const BasicTensor<T>& a, std::type_identity_t<T> s) {
  return unary_op<T>(
      "add_scalar", a, [s](T x) { return x + s; }, [](T g, T, T) { return g; },
      [](const auto& g, const auto&, const auto&) { return g; });
}

template <class T>
BasicTensor<T> mul(const BasicTensor<T>& a, std::type_identity_t<T> s) {
  return unary_op<T>(
      "mul_scalar", a, [s](T x) { return x * s; }, [s](T g, T, T) { return g * s; },
      [s](const auto& g, const auto&, const auto&) { return g * s; });
}

template <class T>
BasicTensor<T> div(const BasicTensor<T>& a, std::type_identity_t<T> s) {
  return unary_op<T>(
      "div_scalar", a, [s](T x) { return x / s; }, [s](T g, T, T) { return g / s; },
      [s](const auto& g, const auto&, const auto&) { return g / s; });
}

template <class T>
BasicTensor<T> rsub(const BasicTensor<T>& a, std::type_identity_t<T> s) {
  return unary_op<T>(
      "rsub_scalar", a, [s](T x) { return s - x; }, [](T g, T, T) { return -g; },
      [](const auto& g, const auto&, const auto&) { return -g; });
}

template <class T>
BasicTensor<T> rdiv(const BasicTensor<T>& a, std::type_identity_t<T> s) {
  // d/dx s/x = -s/x^2 = -o/x
  return unary_op<T>(
      "rdiv_scalar", a, [s](T x) { return s / x; }, [](T g, T x, T o) { return -g * o / x; },
      [](const auto& g, const auto& x, const auto& o) { return -g * o / x; });
}

template <class T>
BasicTensor<T> pow(const BasicTensor<T>& a, std::type_identity_t<T> p) {
  return unary_op<T>(
      "pow_scalar", a, [p](T x) { return std::pow(x, p); },
      [p](T g, T x, T) { return p == T(0) ? T(0) : g * p * std::pow(x, p - T(1)); },
      [p](const auto& g, const auto& x, const auto&) {
        return p == T(0) ? g * T(0) : g * p * pow(x, p - T(1));
      });
}

template <class T>
BasicTensor<T> neg(const BasicTensor<T>& a) {
  return unary_op<T>(
      "neg", a, [](T x) { return -x; }, [](T g, T, T) { return -g; },
      [](const auto& g, const auto&, const auto&) { return -g; });
}

template <class T>
BasicTensor<T> exp(const BasicTensor<T>& a) {
  return unary_op<T>(
      "exp", a, [](T x) { return std::exp(x); }, [](T g, T, T o) { return g * o; },
      [](const auto& g, const auto&, const auto& o) { return g * o; });
}

template <class T>
BasicTensor<T> log(const BasicTensor<T>& a) {
  return unary_op<T>(
      "log", a, [](T x) { return std::log(x); }, [](T g, T x, T) { return g / x; },
      [](const auto& g, const auto& x, const auto&) { return g / x; });
}

template <class T>
BasicTensor<T> sqrt(const BasicTensor<T>& a) {
  return unary_op<T>(
      "sqrt", a, [](T x) { return std::sqrt(x); }, [](T g, T, T o) { return g / (T(2) * o); },
      [](const auto& g, const auto&, const auto& o) { return g / (o * T(2)); });
}

template <class T>
BasicTensor<T> abs(const BasicTensor<T>& a) {
  return unary_op<T>(
      "abs", a, [](T x) { return std::abs(x); },
      [](T g, T x, T) { return x > T(0) ? g : (x < T(0) ? -g : T(0)); },
      [](const auto& g, const auto& x, const auto&) {
        return g * constant_map(x, [](T v) { return v > T(0) ? T(1) : (v < T(0) ? T(-1) : T(0)); });
      });
}

template <class T>
BasicTensor<T> clamp(const BasicTensor<T>& a, std::type_identity_t<T> low,
                     std::type_identity_t<T> high) {
  // As PyTorch: min(max(x, low), high), so with low > high every value becomes high (and gets no
  // gradient); a NaN stays NaN.
  return unary_op<T>(
      "clamp", a,
      [low, high](T x) {
        const T v = x < low ? low : x;
        return v > high ? high : v;
      },
      [low, high](T g, T x, T) { return (x >= low && x <= high) ? g : T(0); },
      [low, high](const auto& g, const auto& x, const auto&) {
        return g *
               constant_map(x, [low, high](T v) { return (v >= low && v <= high) ? T(1) : T(0); });
      });
}

template <class T>
BasicTensor<T> maximum(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  // A NaN operand gives NaN, and its gradient goes to both operands (as PyTorch).
  return binary_op<T>(
      "maximum", a, b, [](T x, T y) { return (x >= y || x != x) ? x : y; },
      [](T g, T x, T y, T) { return x < y ? T(0) : (x == y ? g / T(2) : g); },
      [](T g, T x, T y, T) { return y < x ? T(0) : (x == y ? g / T(2) : g); },
      [](const auto& g, const auto& x, const auto& y, const auto& o) {
        return g * constant_map2(x, y, o.shape(),
                                 [](T u, T v) { return u < v ? T(0) : (u == v ? T(0.5) : T(1)); });
      },
      [](const auto& g, const auto& x, const auto& y, const auto& o) {
        return g * constant_map2(x, y, o.shape(),
                                 [](T u, T v) { return v < u ? T(0) : (u == v ? T(0.5) : T(1)); });
      });
}

template <class T>
BasicTensor<T> minimum(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  // A NaN operand gives NaN, and its gradient goes to both operands (as PyTorch).
  return binary_op<T>(
      "minimum", a, b, [](T x, T y) { return (x <= y || x != x) ? x : y; },
      [](T g, T x, T y, T) { return x > y ? T(0) : (x == y ? g / T(2) : g); },
      [](T g, T x, T y, T) { return y > x ? T(0) : (x == y ? g / T(2) : g); },
      [](const auto& g, const auto& x, const auto& y, const auto& o) {
        return g * constant_map2(x, y, o.shape(),
                                 [](T u, T v) { return u > v ? T(0) : (u == v ? T(0.5) : T(1)); });
      },
      [](const auto& g, const auto& x, const auto& y, const auto& o) {
        return g * constant_map2(x, y, o.shape(),
                                 [](T u, T v) { return v > u ? T(0) : (u == v ? T(0.5) : T(1)); });
      });
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
  // d/da = g where the mask is set, d/db = g elsewhere; each reduced to its operand's shape.
  auto backward = [ia = a.impl_ptr(), ib = b.impl_ptr(), m = std::move(m)](const auto& g,
                                                                           const auto&) -> void {
    if constexpr (detail::is_tensor_v<std::decay_t<decltype(g)>>) {
      const BasicTensor<T> mask(m), zero = scalar<T>(0);
      if (ia->requires_grad) detail::add_grad(ia, sum_to(where(mask, g, zero), ia->value.shape()));
      if (ib->requires_grad) detail::add_grad(ib, sum_to(where(mask, zero, g), ib->value.shape()));
      return;
    } else {
      const T* pe = m.data();
      const T* pg = g.data();
      const std::size_t n = g.size();
      if (ia->requires_grad) {
        xt::xarray<T> d = xt::xarray<T>::from_shape(g.shape());
        for (std::size_t i = 0; i < n; ++i) d.data()[i] = pe[i] != T(0) ? pg[i] : T(0);
        accumulate_grad(*ia, sum_to_shape(std::move(d), ia->value.shape()));
      }
      if (ib->requires_grad) {
        xt::xarray<T> d = xt::xarray<T>::from_shape(g.shape());
        for (std::size_t i = 0; i < n; ++i) d.data()[i] = pe[i] != T(0) ? T(0) : pg[i];
        accumulate_grad(*ib, sum_to_shape(std::move(d), ib->value.shape()));
      }
    }
  };
  return make_result<T>("where", std::move(out), {&a, &b}, std::move(backward));
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

template <class T>
using BinaryOp = BasicTensor<T>(const BasicTensor<T>&, const BasicTensor<T>&);
template <class T>
using ScalarOp = BasicTensor<T>(const BasicTensor<T>&, T);
AXON_INSTANTIATE_SIGNATURE(BinaryOp, add, mul, div, pow)
AXON_INSTANTIATE_SIGNATURE(ScalarOp, add, mul, div, pow)
AXON_INSTANTIATE_OPS(sub, maximum, minimum, where, eq, ne, lt, le, gt, ge, rsub, rdiv, neg, exp,
                     log, sqrt, abs, clamp)

}  // namespace axon::autograd
