// SPDX-License-Identifier: MIT
#include "axon/autograd/ops/activations.hpp"

#include <cmath>
#include <string>

#include "axon/autograd/kernels.hpp"
#include "axon/autograd/ops/elementwise.hpp"
#include "axon/autograd/ops/instantiate.hpp"
#include "axon/autograd/ops/pointwise.hpp"
#include "axon/autograd/parallel_for.hpp"
#include "axon/autograd/target_clones.hpp"
#include "axon/autograd/vector_math.hpp"

namespace axon::autograd {

namespace activations_detail {

/// y[i] = f(x[i]) for i < n. Compiled for SSE2, AVX2 and AVX-512 (autograd/target_clones.hpp);
/// the element functions of vector_math.hpp use only correctly rounded operations and selects, so
/// every clone, and the scalar tail, gives the same bits.
template <class T, class F>
AXON_TARGET_CLONES void map_n(const T* x, T* y, std::size_t n, F f) {
  for (std::size_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

/// d[i] = f(g[i], x[i], o[i]) for i < n, compiled as map_n.
template <class T, class F>
AXON_TARGET_CLONES void map3_n(const T* g, const T* x, const T* o, T* d, std::size_t n, F f) {
  for (std::size_t i = 0; i < n; ++i) d[i] = f(g[i], x[i], o[i]);
}

/// unary_op (ops/pointwise.hpp) with the forward and the derivative run as whole-array loops that
/// vectorise (map_n, map3_n), split over threads above kernels::kParallelGrain elements.
template <class T, class Fwd, class DX, class DXT>
BasicTensor<T> vector_unary_op(const char* name, const BasicTensor<T>& a, Fwd fwd, DX dx,
                               DXT dx_tensor) {
  xt::xarray<T> out = xt::xarray<T>::from_shape(a.shape());
  const T* pa = a.data_ptr();
  T* po = out.data();
  parallel_chunks(out.size(), kernels::kParallelGrain, [=](std::size_t begin, std::size_t end) {
    map_n(pa + begin, po + begin, end - begin, fwd);
  });
  return make_result<T>(name, std::move(out), {&a},
                        [ia = a.impl_ptr(), dx, dx_tensor](const auto& g, const auto& o) -> void {
                          if constexpr (detail::is_tensor_v<std::decay_t<decltype(g)>>) {
                            detail::add_grad(ia, dx_tensor(g, BasicTensor<T>(ia), o));
                            return;
                          } else {
                            xt::xarray<T> d = xt::xarray<T>::from_shape(o.shape());
                            const T* px = ia->value.data();
                            const T* pg = g.data();
                            const T* po = o.data();
                            T* pd = d.data();
                            parallel_chunks(d.size(), kernels::kParallelGrain,
                                            [=](std::size_t begin, std::size_t end) {
                                              map3_n(pg + begin, px + begin, po + begin, pd + begin,
                                                     end - begin, dx);
                                            });
                            accumulate_grad(*ia, std::move(d));
                          }
                        });
}

}  // namespace activations_detail

using activations_detail::vector_unary_op;
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
  return vector_unary_op<T>(
      "sigmoid", x, [](T v) { return vector_math::sigmoid_parts(v).value(v); },
      [](T g, T, T s) { return g * s * (T(1) - s); },
      [](const auto& g, const auto&, const auto& s) { return g * s * (T(1) - s); });
}

template <class T>
BasicTensor<T> tanh(const BasicTensor<T>& x) {
  return vector_unary_op<T>(
      "tanh", x, [](T v) { return vector_math::tanh_approx(v); },
      [](T g, T, T t) { return g * (T(1) - t * t); },
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

// GELU's tanh approximation: u = sqrt(2/pi) (x + c x^3), y = 0.5 x (1 + tanh u) = x sigmoid(2u).
constexpr double gelu_k = 0.7978845608028654;  // sqrt(2/pi)
constexpr double gelu_c = 0.044715;
constexpr double inv_sqrt_2pi = 0.3989422804014327;  // the normal density's factor
// x sigmoid(2u) is stable for every x, but beyond |x| = 1e6 the derivative's x^2 terms near
// overflow in float (and 0 * inf = NaN follows); y is exactly x or 0 and y' exactly 1 or 0 there
// (sigmoid(2u) is 1 or 0 in float and double far before), so those are taken directly.
constexpr double gelu_saturation = 1e6;

/// e^-|2u| and 1 / (1 + e^-|2u|) for GELU's tanh form, u = sqrt(2/pi) (x + c x^3); sigmoid(2u)
/// is then value(x) (2u has x's sign). 2u is formed in double for float (in long double for
/// double) and handed to the exp with its rounding error as a correction: rounded to the element
/// type it would carry up to |2u| 2^-24 of absolute error, tens of ulp in the lower tail.
inline vector_math::SigmoidParts<float> gelu_tanh_parts(float x) {
  const double v = x;
  const double a = -std::abs(2 * gelu_k * (v + gelu_c * v * v * v));
  const float hi = static_cast<float>(a);
  const float e = vector_math::exp_nonpositive(hi, static_cast<float>(a - double(hi)));
  return {e, 1.0f / (1.0f + e)};
}
inline vector_math::SigmoidParts<double> gelu_tanh_parts(double x) {
  const long double v = x;
  const long double a = -std::abs(2 * static_cast<long double>(gelu_k) *
                                  (v + static_cast<long double>(gelu_c) * v * v * v));
  const double e = static_cast<double>(std::exp(a));
  return {e, 1.0 / (1.0 + e)};
}

/// d/dx of x Phi(x), Phi + x phi, as a recorded op of its own: its derivative is
/// phi(x) (2 - x^2), written with recorded ops, so GELU's recorded backward can be differentiated
/// again (there is no erf op to compose Phi from).
template <class T>
BasicTensor<T> gelu_erf_slope(const BasicTensor<T>& x) {
  return vector_unary_op<T>(
      "gelu_erf_slope", x,
      [](T v) {
        const auto n = vector_math::normal_parts(v);
        return n.cdf + v * (n.gauss * T(inv_sqrt_2pi));
      },
      [](T g, T v, T) {
        const auto n = vector_math::normal_parts(v);
        return g * (n.gauss * T(inv_sqrt_2pi)) * (T(2) - v * v);
      },
      [](const auto& g, const auto& x, const auto&) {
        return g * exp(x * x * T(-0.5)) * T(inv_sqrt_2pi) * (T(2) - x * x);
      });
}

template <class T>
BasicTensor<T> gelu_erf(const BasicTensor<T>& x) {
  return vector_unary_op<T>(
      "gelu", x, [](T v) { return v * vector_math::normal_parts(v).cdf; },
      [](T g, T v, T) {
        const auto n = vector_math::normal_parts(v);
        return g * (n.cdf + v * (n.gauss * T(inv_sqrt_2pi)));
      },
      [](const auto& g, const auto& x, const auto&) { return g * gelu_erf_slope(x); });
}

template <class T>
BasicTensor<T> gelu_tanh(const BasicTensor<T>& x) {
  return vector_unary_op<T>(
      "gelu", x,
      [](T v) {
        const T y = v * gelu_tanh_parts(v).value(v);
        const bool saturated = std::abs(v) > T(gelu_saturation);
        return vector_math::select(saturated, vector_math::select(v > T(0), v, T(0)), y);
      },
      [](T g, T v, T) {
        const auto sp = gelu_tanh_parts(v);
        const T du2 = T(2 * gelu_k) * (T(1) + T(3 * gelu_c) * v * v);  // d(2u)/dx
        const T d = sp.value(v) + v * sp.slope() * du2;
        const bool saturated = std::abs(v) > T(gelu_saturation);
        return g * vector_math::select(saturated, vector_math::select(v > T(0), T(1), T(0)), d);
      },
      [](const auto& g, const auto& x, const auto&) {
        // Beyond the saturation the derivative is the constant 1 or 0; inside, the formula above
        // on x clamped to the band (clamp passes no gradient outside it, so nothing leaks).
        const T sat = T(gelu_saturation);
        const auto inside = constant_map(x, [sat](T v) { return std::abs(v) > sat ? T(0) : T(1); });
        const auto above = constant_map(x, [sat](T v) { return v > sat ? T(1) : T(0); });
        const auto v = clamp(x, -sat, sat);
        const auto s = sigmoid((v + v * v * v * T(gelu_c)) * T(2 * gelu_k));
        const auto du2 = (v * v * T(3 * gelu_c) + T(1)) * T(2 * gelu_k);
        const auto d = s + v * s * (T(1) - s) * du2;
        return g * (above + inside * d);
      });
}

}  // namespace

template <class T>
BasicTensor<T> gelu(const BasicTensor<T>& x, std::string_view approximate) {
  if (approximate == "none") return gelu_erf(x);
  if (approximate == "tanh") return gelu_tanh(x);
  throw ValueError("gelu: approximate must be \"none\" or \"tanh\" (got \"" +
                   std::string(approximate) + "\") for input " + shape_str(x.shape()));
}

template <class T>
BasicTensor<T> silu(const BasicTensor<T>& x) {
  // s = sigmoid(x) is recomputed in backward: y / x is undefined at x = 0.
  return vector_unary_op<T>(
      "silu", x, [](T v) { return v * vector_math::sigmoid_parts(v).value(v); },
      [](T g, T v, T) {
        const auto sp = vector_math::sigmoid_parts(v);
        return g * (sp.value(v) + v * sp.slope());
      },
      [](const auto& g, const auto& x, const auto&) {
        const auto s = sigmoid(x);
        return g * s * (x * (T(1) - s) + T(1));
      });
}

AXON_INSTANTIATE_OPS(relu, leaky_relu, elu, sigmoid, tanh, softplus, gelu, silu)

}  // namespace axon::autograd
