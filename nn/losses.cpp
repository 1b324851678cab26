// SPDX-License-Identifier: MIT
// The regression and binary losses; the classification losses are in classification_losses.cpp.
#include "axon/nn/losses.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include "axon/autograd/kernels.hpp"
#include "axon/autograd/operators.hpp"
#include "axon/autograd/ops/activations.hpp"
#include "axon/autograd/ops/elementwise.hpp"
#include "axon/autograd/ops/pointwise.hpp"
#include "axon/autograd/ops/reductions.hpp"
#include "axon/autograd/shape.hpp"
#include "axon/autograd/vector_math.hpp"
#include "axon/nn/loss_kernels.hpp"

namespace axon::nn {

namespace {

using namespace loss_detail;
using autograd::make_result;
using autograd::detail::add_grad;
using autograd::detail::constant_map;

/// A copy of `a` broadcast to `shape` (contiguous, row-major).
template <class T>
xt::xarray<T> expand(const xt::xarray<T>& a, const Shape& shape) {
  xt::xarray<T> out = xt::xarray<T>::from_shape(shape);
  const Shape s = autograd::broadcast_strides(a.shape(), shape);
  const T* pa = a.data();
  T* po = out.data();
  autograd::kernels::for_each_broadcast(
      shape, s, s, [&](std::size_t i, std::size_t j, std::size_t) { po[i] = pa[j]; });
  return out;
}

template <class T>
T sign(T v) {
  return v > T(0) ? T(1) : (v < T(0) ? T(-1) : T(0));
}

// log(1 + e^z) and 1 / (1 + e^-z) without overflow: the activations' own scalar forms.
using autograd::vector_math::sigmoid;
using autograd::vector_math::softplus;

/// A loss of d = input - target per element. `loss(d)` is the value and `slope(d)` its derivative
/// in d; the target receives -slope. `slope_tensor(d)` is the slope of a whole tensor in recorded
/// ops (the recorded backward).
template <class T, class Loss, class Slope, class SlopeTensor>
BasicTensor<T> difference_loss(const char* op, const BasicTensor<T>& input,
                               const BasicTensor<T>& target, Reduction reduction, Loss loss,
                               Slope slope, SlopeTensor slope_tensor) {
  check_same_shape(op, "input", input.shape(), "target", target.shape());
  const std::size_t n = input.numel();
  const T* x = input.data_ptr();
  const T* y = target.data_ptr();
  xt::xarray<T> per = xt::xarray<T>::from_shape(input.shape());
  for (std::size_t i = 0; i < n; ++i) per.data()[i] = loss(x[i] - y[i]);
  auto ix = input.impl_ptr();
  auto iy = target.impl_ptr();
  return make_result<T>(
      op, reduce(std::move(per), reduction), {&input, &target},
      [ix, iy, reduction, n, slope, slope_tensor](const auto& g, const auto&) -> void {
        if constexpr (recording_v<decltype(g)>) {
          const BasicTensor<T> d =
              upstream(g, reduction, n) * slope_tensor(BasicTensor<T>(ix) - BasicTensor<T>(iy));
          if (iy->requires_grad) add_grad(iy, -d);
          if (ix->requires_grad) add_grad(ix, d);
          return;
        } else {
          const Upstream<T> up(g, reduction, n);
          const T* px = ix->value.data();
          const T* py = iy->value.data();
          // d loss / d input   [shape of input]
          xt::xarray<T> d = xt::xarray<T>::from_shape(ix->value.shape());
          for (std::size_t i = 0; i < n; ++i) d.data()[i] = up(i) * slope(px[i] - py[i]);
          if (iy->requires_grad) {
            xt::xarray<T> dt = xt::xarray<T>::from_shape(iy->value.shape());
            for (std::size_t i = 0; i < n; ++i) dt.data()[i] = -d.data()[i];
            autograd::accumulate_grad(*iy, std::move(dt));
          }
          if (ix->requires_grad) autograd::accumulate_grad(*ix, std::move(d));
        }
      });
}

}  // namespace

template <class T>
BasicTensor<T> mse_loss(const BasicTensor<T>& input, const BasicTensor<T>& target,
                        Reduction reduction) {
  return difference_loss<T>(
      "mse_loss", input, target, reduction, [](T d) { return d * d; }, [](T d) { return T(2) * d; },
      [](const BasicTensor<T>& d) { return d * T(2); });
}

template <class T>
BasicTensor<T> l1_loss(const BasicTensor<T>& input, const BasicTensor<T>& target,
                       Reduction reduction) {
  return difference_loss<T>(
      "l1_loss", input, target, reduction, [](T d) { return std::abs(d); },
      [](T d) { return sign(d); },
      [](const BasicTensor<T>& d) { return constant_map(d, [](T v) { return sign(v); }); });
}

template <class T>
BasicTensor<T> huber_loss(const BasicTensor<T>& input, const BasicTensor<T>& target,
                          Reduction reduction, std::type_identity_t<T> delta) {
  if (!(delta > T(0))) throw ValueError("huber_loss: delta must be positive, got " + num(delta));
  return difference_loss<T>(
      "huber_loss", input, target, reduction,
      [delta](T d) {
        const T a = std::abs(d);
        return a < delta ? T(0.5) * d * d : delta * (a - T(0.5) * delta);
      },
      [delta](T d) { return std::clamp(d, -delta, delta); },
      [delta](const BasicTensor<T>& d) { return autograd::clamp(d, -delta, delta); });
}

template <class T>
BasicTensor<T> smooth_l1_loss(const BasicTensor<T>& input, const BasicTensor<T>& target,
                              Reduction reduction, std::type_identity_t<T> beta) {
  if (!(beta >= T(0))) {
    throw ValueError("smooth_l1_loss: beta must be non-negative, got " + num(beta));
  }
  // beta = 0 never takes the quadratic branch: the loss is |d| and the slope sign(d).
  return difference_loss<T>(
      "smooth_l1_loss", input, target, reduction,
      [beta](T d) {
        const T a = std::abs(d);
        return a < beta ? T(0.5) * d * d / beta : a - T(0.5) * beta;
      },
      [beta](T d) { return std::abs(d) < beta ? d / beta : sign(d); },
      [beta](const BasicTensor<T>& d) {
        // d / beta inside the band, the constant sign(d) outside (1 / beta never read at 0).
        return d * constant_map(d,
                                [beta](T v) { return std::abs(v) < beta ? T(1) / beta : T(0); }) +
               constant_map(d, [beta](T v) { return std::abs(v) < beta ? T(0) : sign(v); });
      });
}

template <class T>
BasicTensor<T> binary_cross_entropy(const BasicTensor<T>& probs, const BasicTensor<T>& target,
                                    Reduction reduction) {
  const char* op = "binary_cross_entropy";
  check_same_shape(op, "probs", probs.shape(), "target", target.shape());
  const std::size_t n = probs.numel();
  const T* p = probs.data_ptr();
  const T* y = target.data_ptr();
  for (std::size_t i = 0; i < n; ++i) {
    if (!(p[i] >= T(0) && p[i] <= T(1))) {
      throw ValueError(std::string(op) + ": probs must lie in [0, 1], but element " +
                       std::to_string(i) + " is " + num(p[i]) +
                       " (use binary_cross_entropy_with_logits on raw scores)");
    }
  }
  // Logs clamped at -100 (as PyTorch), so p = 0 or 1 gives a finite loss.
  const auto log_p = [](T v) { return std::max(std::log(v), T(-100)); };
  const auto log_1mp = [](T v) { return std::max(std::log1p(-v), T(-100)); };
  xt::xarray<T> per = xt::xarray<T>::from_shape(probs.shape());
  for (std::size_t i = 0; i < n; ++i) {
    per.data()[i] = -(y[i] * log_p(p[i]) + (T(1) - y[i]) * log_1mp(p[i]));
  }
  auto ip = probs.impl_ptr();
  auto iy = target.impl_ptr();
  return make_result<T>(
      op, reduce(std::move(per), reduction), {&probs, &target},
      [ip, iy, reduction, n, log_p, log_1mp](const auto& g, const auto&) -> void {
        if constexpr (recording_v<decltype(g)>) {
          // The same formulas in recorded ops (floor and clamps as constants via maximum).
          const BasicTensor<T> up = upstream(g, reduction, n), p(ip), y(iy);
          if (ip->requires_grad) {
            const BasicTensor<T> floor = autograd::scalar<T>(static_cast<T>(1e-12f));
            add_grad(ip, up * (p - y) / autograd::maximum(p * (T(1) - p), floor));
          }
          if (iy->requires_grad) {
            const BasicTensor<T> low = autograd::scalar<T>(T(-100));
            add_grad(iy, up * (autograd::maximum(autograd::log(T(1) - p), low) -
                               autograd::maximum(autograd::log(p), low)));
          }
          return;
        } else {
          const Upstream<T> up(g, reduction, n);
          const T* pp = ip->value.data();
          const T* py = iy->value.data();
          if (ip->requires_grad) {
            // (p - y) / (p (1 - p)), the denominator floored at 1e-12 (PyTorch) for p = 0 or 1.
            xt::xarray<T> d = xt::xarray<T>::from_shape(ip->value.shape());
            for (std::size_t i = 0; i < n; ++i) {
              const T denom = std::max(pp[i] * (T(1) - pp[i]), static_cast<T>(1e-12f));
              d.data()[i] = up(i) * (pp[i] - py[i]) / denom;
            }
            autograd::accumulate_grad(*ip, std::move(d));
          }
          if (iy->requires_grad) {
            xt::xarray<T> d = xt::xarray<T>::from_shape(iy->value.shape());
            for (std::size_t i = 0; i < n; ++i) {
              d.data()[i] = up(i) * (log_1mp(pp[i]) - log_p(pp[i]));
            }
            autograd::accumulate_grad(*iy, std::move(d));
          }
        }
      });
}

template <class T>
BasicTensor<T> binary_cross_entropy_with_logits(const BasicTensor<T>& logits,
                                                const BasicTensor<T>& target, Reduction reduction,
                                                const BasicTensor<T>& pos_weight) {
  const char* op = "binary_cross_entropy_with_logits";
  check_same_shape(op, "logits", logits.shape(), "target", target.shape());
  const bool weighted = pos_weight.defined();
  if (weighted &&
      autograd::broadcast_shapes(pos_weight.shape(), logits.shape(), op) != logits.shape()) {
    throw ShapeError(std::string(op) + ": pos_weight " + shape_str(pos_weight.shape()) +
                     " does not broadcast to logits " + shape_str(logits.shape()));
  }
  // The positive weight per element, expanded to the logits' shape (empty without pos_weight).
  const xt::xarray<T> pw =
      weighted ? expand(pos_weight.data(), logits.shape()) : xt::xarray<T>::from_shape({0});
  const std::size_t n = logits.numel();
  const T* x = logits.data_ptr();
  const T* y = target.data_ptr();
  xt::xarray<T> per = xt::xarray<T>::from_shape(logits.shape());
  // -[pw y log sigmoid(x) + (1 - y) log sigmoid(-x)]: two non-negative terms, no cancellation.
  for (std::size_t i = 0; i < n; ++i) {
    const T w = weighted ? pw.data()[i] : T(1);
    per.data()[i] = w * y[i] * softplus(-x[i]) + (T(1) - y[i]) * softplus(x[i]);
  }
  auto ix = logits.impl_ptr();
  auto iy = target.impl_ptr();
  auto iw = weighted ? pos_weight.impl_ptr() : nullptr;
  auto backward = [ix, iy, iw, pw, reduction, n](const auto& g, const auto&) -> void {
    if constexpr (recording_v<decltype(g)>) {
      // softplus with an infinite threshold: log(1 + e^x) everywhere, as the forward.
      const T inf = std::numeric_limits<T>::infinity();
      const BasicTensor<T> up = upstream(g, reduction, n), x(ix), y(iy);
      const BasicTensor<T> w = iw ? BasicTensor<T>(iw) : BasicTensor<T>();
      const BasicTensor<T> sp_neg = autograd::softplus(-x, T(1), inf);
      if (ix->requires_grad) {
        const BasicTensor<T> wy = iw ? w * y : y;
        add_grad(ix, up * ((T(1) - y) * autograd::sigmoid(x) - wy * autograd::sigmoid(-x)));
      }
      if (iy->requires_grad) {
        add_grad(iy, up * ((iw ? w * sp_neg : sp_neg) - autograd::softplus(x, T(1), inf)));
      }
      if (iw && iw->requires_grad) add_grad(iw, autograd::sum_to(up * y * sp_neg, w.shape()));
      return;
    } else {
      const Upstream<T> up(g, reduction, n);
      const T* px = ix->value.data();
      const T* py = iy->value.data();
      const auto weight = [&](std::size_t i) { return iw ? pw.data()[i] : T(1); };
      if (ix->requires_grad) {
        xt::xarray<T> d = xt::xarray<T>::from_shape(ix->value.shape());
        for (std::size_t i = 0; i < n; ++i) {
          d.data()[i] =
              up(i) * ((T(1) - py[i]) * sigmoid(px[i]) - weight(i) * py[i] * sigmoid(-px[i]));
        }
        autograd::accumulate_grad(*ix, std::move(d));
      }
      if (iy->requires_grad) {
        xt::xarray<T> d = xt::xarray<T>::from_shape(iy->value.shape());
        for (std::size_t i = 0; i < n; ++i) {
          d.data()[i] = up(i) * (weight(i) * softplus(-px[i]) - softplus(px[i]));
        }
        autograd::accumulate_grad(*iy, std::move(d));
      }
      if (iw && iw->requires_grad) {
        // d/dpw = y softplus(-x), summed over the axes pos_weight was broadcast along.
        xt::xarray<T> d = xt::xarray<T>::from_shape(ix->value.shape());
        for (std::size_t i = 0; i < n; ++i) d.data()[i] = up(i) * py[i] * softplus(-px[i]);
        autograd::accumulate_grad(*iw,
                                  autograd::kernels::sum_to_shape(std::move(d), iw->value.shape()));
      }
    }
  };
  xt::xarray<T> value = reduce(std::move(per), reduction);
  if (weighted) {
    return make_result<T>(op, std::move(value), {&logits, &target, &pos_weight},
                          std::move(backward));
  }
  return make_result<T>(op, std::move(value), {&logits, &target}, std::move(backward));
}

#define AXON_PAIR_LOSS(T, NAME) \
  template BasicTensor<T> NAME<T>(const BasicTensor<T>&, const BasicTensor<T>&, Reduction);
#define AXON_INSTANTIATE(T)                                                                      \
  AXON_PAIR_LOSS(T, mse_loss)                                                                    \
  AXON_PAIR_LOSS(T, l1_loss)                                                                     \
  AXON_PAIR_LOSS(T, binary_cross_entropy)                                                        \
  template BasicTensor<T> huber_loss<T>(const BasicTensor<T>&, const BasicTensor<T>&, Reduction, \
                                        std::type_identity_t<T>);                                \
  template BasicTensor<T> smooth_l1_loss<T>(const BasicTensor<T>&, const BasicTensor<T>&,        \
                                            Reduction, std::type_identity_t<T>);                 \
  template BasicTensor<T> binary_cross_entropy_with_logits<T>(                                   \
      const BasicTensor<T>&, const BasicTensor<T>&, Reduction, const BasicTensor<T>&);

AXON_INSTANTIATE(float)
AXON_INSTANTIATE(double)

}  // namespace axon::nn
