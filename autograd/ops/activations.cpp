// SPDX-License-Identifier: MIT
#include "autograd/ops/activations.hpp"

#include <cmath>
#include <string>

#include "autograd/kernels.hpp"

namespace axon::autograd {

namespace {

/// An elementwise activation. `fwd(x)` gives one output element; `dx(g, x, y)` the gradient
/// contribution of one element from its upstream gradient g, its input x and its output y.
template <class T, class Fwd, class DX>
BasicTensor<T> activation(const char* name, const BasicTensor<T>& x, Fwd fwd, DX dx) {
  xt::xarray<T> out = kernels::unary_map(x.data(), fwd);
  auto ix = x.impl_ptr();
  return make_result<T>(name, std::move(out), {&x},
                        [ix, dx](const xt::xarray<T>& g, const xt::xarray<T>& y) {
                          xt::xarray<T> d = xt::xarray<T>::from_shape(y.shape());
                          const T* px = ix->value.data();
                          const T* pg = g.data();
                          const T* py = y.data();
                          T* pd = d.data();
                          const std::size_t n = d.size();
                          for (std::size_t i = 0; i < n; ++i) pd[i] = dx(pg[i], px[i], py[i]);
                          accumulate_grad(*ix, std::move(d));
                        });
}

/// 1 / (1 + e^-x) with one exp of a non-positive argument, so it never overflows:
/// e^-|x| / (1 + e^-|x|) is sigmoid(-|x|). Gives exactly 1 and 0 far out in the tails.
template <class T>
T stable_sigmoid(T x) {
  const T e = std::exp(-std::abs(x));
  const T r = T(1) / (T(1) + e);
  return x >= T(0) ? r : e * r;
}

/// log(1 + e^z) as max(z, 0) + log1p(e^-|z|): no overflow for any finite z.
template <class T>
T stable_softplus(T z) {
  return (z > T(0) ? z : T(0)) + std::log1p(std::exp(-std::abs(z)));
}

}  // namespace

template <class T>
BasicTensor<T> relu(const BasicTensor<T>& x) {
  // x < 0 ? 0 : x keeps NaN inputs visible (a NaN compares false).
  return activation<T>(
      "relu", x, [](T v) { return v < T(0) ? T(0) : v; },
      [](T g, T, T y) { return y > T(0) ? g : T(0); });
}

template <class T>
BasicTensor<T> leaky_relu(const BasicTensor<T>& x, T negative_slope) {
  // The sign test reads x: for a negative slope the output's sign says nothing about x's.
  return activation<T>(
      "leaky_relu", x, [negative_slope](T v) { return v > T(0) ? v : negative_slope * v; },
      [negative_slope](T g, T v, T) { return v > T(0) ? g : negative_slope * g; });
}

template <class T>
BasicTensor<T> elu(const BasicTensor<T>& x, T alpha) {
  // For x <= 0: y = alpha (e^x - 1), so dy/dx = alpha e^x = y + alpha.
  return activation<T>(
      "elu", x, [alpha](T v) { return v > T(0) ? v : alpha * std::expm1(v); },
      [alpha](T g, T v, T y) { return v > T(0) ? g : g * (y + alpha); });
}

template <class T>
BasicTensor<T> sigmoid(const BasicTensor<T>& x) {
  return activation<T>(
      "sigmoid", x, [](T v) { return stable_sigmoid(v); },
      [](T g, T, T s) { return g * s * (T(1) - s); });
}

template <class T>
BasicTensor<T> tanh(const BasicTensor<T>& x) {
  return activation<T>(
      "tanh", x, [](T v) { return std::tanh(v); }, [](T g, T, T t) { return g * (T(1) - t * t); });
}

template <class T>
BasicTensor<T> softplus(const BasicTensor<T>& x, T beta, T threshold) {
  if (!(beta != T(0)) || !std::isfinite(beta)) {
    throw ValueError("softplus: beta must be finite and non-zero (got " + std::to_string(beta) +
                     ") for input " + shape_str(x.shape()));
  }
  // As PyTorch: the identity where beta x > threshold, log(1 + e^(beta x)) / beta elsewhere.
  return activation<T>(
      "softplus", x,
      [beta, threshold](T v) {
        const T z = beta * v;
        return z > threshold ? v : stable_softplus(z) / beta;
      },
      [beta, threshold](T g, T v, T) {
        const T z = beta * v;
        return z > threshold ? g : g * stable_sigmoid(z);
      });
}

namespace {

// GELU's tanh approximation: u = sqrt(2/pi) (x + c x^3), y = 0.5 x (1 + tanh u).
constexpr double gelu_k = 0.7978845608028654;  // sqrt(2/pi)
constexpr double gelu_c = 0.044715;
// Beyond |x| = 10, u exceeds 43 and tanh u rounds to +-1 in float and double, so y is exactly
// x or 0 and y' exactly 1 or 0; taking those directly avoids x^3 overflowing (0 * inf = NaN).
constexpr double gelu_saturation = 10.0;

}  // namespace

template <class T>
BasicTensor<T> gelu(const BasicTensor<T>& x) {
  return activation<T>(
      "gelu", x,
      [](T v) {
        if (std::abs(v) > T(gelu_saturation)) return v > T(0) ? v : T(0);
        const T t = std::tanh(T(gelu_k) * (v + T(gelu_c) * v * v * v));
        return T(0.5) * v * (T(1) + t);
      },
      [](T g, T v, T) {
        if (std::abs(v) > T(gelu_saturation)) return v > T(0) ? g : T(0);
        const T t = std::tanh(T(gelu_k) * (v + T(gelu_c) * v * v * v));
        const T du = T(gelu_k) * (T(1) + T(3 * gelu_c) * v * v);  // du/dx
        return g * (T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * du);
      });
}

template <class T>
BasicTensor<T> silu(const BasicTensor<T>& x) {
  // s = sigmoid(x) is recomputed in backward: y / x is undefined at x = 0.
  return activation<T>(
      "silu", x, [](T v) { return v * stable_sigmoid(v); },
      [](T g, T v, T) {
        const T s = stable_sigmoid(v);
        return g * s * (T(1) + v * (T(1) - s));
      });
}

#define AXON_INSTANTIATE(T)                                         \
  template BasicTensor<T> relu<T>(const BasicTensor<T>&);           \
  template BasicTensor<T> leaky_relu<T>(const BasicTensor<T>&, T);  \
  template BasicTensor<T> elu<T>(const BasicTensor<T>&, T);         \
  template BasicTensor<T> sigmoid<T>(const BasicTensor<T>&);        \
  template BasicTensor<T> tanh<T>(const BasicTensor<T>&);           \
  template BasicTensor<T> softplus<T>(const BasicTensor<T>&, T, T); \
  template BasicTensor<T> gelu<T>(const BasicTensor<T>&);           \
  template BasicTensor<T> silu<T>(const BasicTensor<T>&);

AXON_INSTANTIATE(float)
AXON_INSTANTIATE(double)

}  // namespace axon::autograd
