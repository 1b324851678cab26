// SPDX-License-Identifier: MIT
#include "axon/autograd/ops/activations.hpp"

#include <cmath>
#include <string>

#include "axon/autograd/ops/elementwise.hpp"
#include "axon/autograd/ops/instantiate.hpp"
#include "axon/autograd/ops/pointwise.hpp"
#include "axon/autograd/vector_math.hpp"

namespace axon::autograd {

using detail::constant_map;
using detail::unary_op;

template <class T>
BasicTensor<T> relu(const BasicTensor<T>& x) {
  // x < 0 ? 0 : x keeps NaN inputs visible (a NaN compares false). The mask is "not <= 0", as
  // PyTorch's: the gradient passes through a NaN.
  return unary_op<T>(
      "relu", x, [](T v) { return v < T(0) ? T(0) : v; },
      [](T g, T, T y) { return y <= T(0) ? T(0) : g; },
      [](const auto& g, const auto&, const auto& y) {
        return g * constant_map(y, [](T v) { return v <= T(0) ? T(0) : T(1); });
      });
}

template <class T>
BasicTensor<T> leaky_relu(const BasicTensor<T>& x, std::type_identity_t<T> negative_slope) {
  // The sign test reads x: for a negative slope the output's sign says nothing about x's.
  return unary_op<T>(
      "leaky_relu", x, [negative_slope](T v) { return v > T(0) ? v : negative_slope * v; },
      [negative_slope](T g, T v, T) { return v > T(0) ? g : negative_slope * g; },
      [negative_slope](const auto& g, const auto& x, const auto&) {
        return g *
               constant_map(x, [negative_slope](T v) { return v > T(0) ? T(1) : negative_slope; });
      });
}

template <class T>
BasicTensor<T> elu(const BasicTensor<T>& x, std::type_identity_t<T> alpha) {
  // For x <= 0: y = alpha (e^x - 1), so dy/dx = alpha e^x = y + alpha.
  return unary_op<T>(
      "elu", x, [alpha](T v) { return v > T(0) ? v : alpha * std::expm1(v); },
      [alpha](T g, T v, T y) { return v > T(0) ? g : g * (y + alpha); },
      [alpha](const auto& g, const auto& x, const auto& y) {
        const auto pos = constant_map(x, [](T v) { return v > T(0) ? T(1) : T(0); });
        return g * (pos + (T(1) - pos) * (y + alpha));
      });
}

template <class T>
BasicTensor<T> sigmoid(const BasicTensor<T>& x) {
  return unary_op<T>(
      "sigmoid", x, [](T v) { return vector_math::sigmoid(v); },
      [](T g, T, T s) { return g * s * (T(1) - s); },
      [](const auto& g, const auto&, const auto& s) { return g * s * (T(1) - s); });
}

template <class T>
BasicTensor<T> tanh(const BasicTensor<T>& x) {
  return unary_op<T>(
      "tanh", x, [](T v) { return std::tanh(v); }, [](T g, T, T t) { return g * (T(1) - t * t); },
      [](const auto& g, const auto&, const auto& t) { return g * (T(1) - t * t); });
}

template <class T>
BasicTensor<T> softplus(const BasicTensor<T>& x, std::type_identity_t<T> beta,
                        std::type_identity_t<T> threshold) {
  if (!(beta != T(0)) || !std::isfinite(beta)) {
    throw ValueError("softplus: beta must be finite and non-zero (got " + std::to_string(beta) +
                     ") for input " + shape_str(x.shape()));
  }
  // As PyTorch: the identity where beta x > threshold, log(1 + e^(beta x)) / beta elsewhere.
  return unary_op<T>(
      "softplus", x,
      [beta, threshold](T v) {
        const T z = beta * v;
        return z > threshold ? v : vector_math::softplus(z) / beta;
      },
      [beta, threshold](T g, T v, T) {
        const T z = beta * v;
        return z > threshold ? g : g * vector_math::sigmoid(z);
      },
      [beta, threshold](const auto& g, const auto& x, const auto&) {
        const auto linear =
            constant_map(x, [beta, threshold](T v) { return beta * v > threshold ? T(1) : T(0); });
        return g * (linear + (T(1) - linear) * sigmoid(x * beta));
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
  return unary_op<T>(
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
      },
      [](const auto& g, const auto& x, const auto&) {
        // Beyond the saturation the derivative is the constant 1 or 0; inside, the formula above
        // on x clamped to the band (clamp passes no gradient outside it, so nothing leaks).
        const T sat = T(gelu_saturation);
        const auto inside = constant_map(x, [sat](T v) { return std::abs(v) > sat ? T(0) : T(1); });
        const auto above = constant_map(x, [sat](T v) { return v > sat ? T(1) : T(0); });
        const auto v = clamp(x, -sat, sat);
        const auto t = tanh((v + v * v * v * T(gelu_c)) * T(gelu_k));
        const auto du = (v * v * T(3 * gelu_c) + T(1)) * T(gelu_k);
        const auto d = (t + T(1)) * T(0.5) + v * (T(1) - t * t) * du * T(0.5);
        return g * (above + inside * d);
      });
}

template <class T>
BasicTensor<T> silu(const BasicTensor<T>& x) {
  // s = sigmoid(x) is recomputed in backward: y / x is undefined at x = 0.
  return unary_op<T>(
      "silu", x, [](T v) { return v * vector_math::sigmoid(v); },
      [](T g, T v, T) {
        const T s = vector_math::sigmoid(v);
        return g * s * (T(1) + v * (T(1) - s));
      },
      [](const auto& g, const auto& x, const auto&) {
        const auto s = sigmoid(x);
        return g * s * (x * (T(1) - s) + T(1));
      });
}

AXON_INSTANTIATE_OPS(relu, leaky_relu, elu, sigmoid, tanh, softplus, gelu, silu)

}  // namespace axon::autograd
