// SPDX-License-Identifier: MIT
#include "axon/nn/losses.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "axon/autograd/kernels.hpp"
#include "axon/autograd/shape.hpp"
#include "axon/autograd/vector_math.hpp"

namespace axon::nn {

namespace {

using autograd::make_result;
using autograd::Shape;
using autograd::shape_str;

/// A number as printed in messages (shortest form, no trailing zeros).
std::string num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

void check_same_shape(const char* op, const char* a_name, const Shape& a, const char* b_name,
                      const Shape& b) {
  if (a != b) {
    throw ShapeError(std::string(op) + ": " + a_name + " " + shape_str(a) + " and " + b_name + " " +
                     shape_str(b) + " must have the same shape");
  }
}

/// Combines per-element losses: None keeps them (shape unchanged), Mean and Sum give a 0-d value.
/// Sums run in double, in row-major order (reproducible). Mean of nothing is NaN, as PyTorch.
template <class T>
xt::xarray<T> reduce(xt::xarray<T>&& per, Reduction reduction) {
  if (reduction == Reduction::None) return std::move(per);
  double total = 0;
  for (std::size_t i = 0; i < per.size(); ++i) total += static_cast<double>(per.data()[i]);
  if (reduction == Reduction::Mean) total /= static_cast<double>(per.size());
  xt::xarray<T> out = xt::xarray<T>::from_shape({});
  out.data()[0] = static_cast<T>(total);
  return out;
}

/// The upstream gradient of loss element i: g[i] for None, else g scaled by 1 (Sum) or 1/n (Mean).
template <class T>
struct Upstream {
  Upstream(const xt::xarray<T>& g, Reduction reduction, std::size_t n)
      : g_(g.data()),
        per_element_(reduction == Reduction::None),
        scalar_(reduction == Reduction::Mean ? g.data()[0] / static_cast<T>(n) : g.data()[0]) {}
  T operator()(std::size_t i) const { return per_element_ ? g_[i] : scalar_; }

 private:
  const T* g_;
  bool per_element_;
  T scalar_;
};

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
/// in d; the target receives -slope.
template <class T, class Loss, class Slope>
BasicTensor<T> difference_loss(const char* op, const BasicTensor<T>& input,
                               const BasicTensor<T>& target, Reduction reduction, Loss loss,
                               Slope slope) {
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
      [ix, iy, reduction, n, slope](const xt::xarray<T>& g, const xt::xarray<T>&) {
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
      });
}

/// Rows of a classification input: [N,C] gives (N, C); [C] is one sample.
struct Rows {
  std::size_t n;
  std::size_t c;
  bool batched;
};

template <class T>
Rows rows_of(const char* op, const char* name, const BasicTensor<T>& x) {
  if (x.dim() == 2) return {x.shape()[0], x.shape()[1], true};
  if (x.dim() == 1) return {1, x.shape()[0], false};
  throw ShapeError(std::string(op) + ": " + name + " must be [N,C] or [C], got " +
                   shape_str(x.shape()));
}

void check_labels(const char* op, const Rows& rows, const Shape& shape, const Labels& labels) {
  if (labels.size() != rows.n) {
    throw ShapeError(std::string(op) + ": " + std::to_string(labels.size()) + " labels for input " +
                     shape_str(shape) + " (expected " + std::to_string(rows.n) + ")");
  }
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] >= rows.c) {
      throw IndexError(std::string(op) + ": label " + std::to_string(labels[i]) + " of sample " +
                       std::to_string(i) + " is out of range for " + std::to_string(rows.c) +
                       " classes");
    }
  }
}

void check_smoothing(const char* op, double eps) {
  if (!(eps >= 0.0 && eps <= 1.0)) {
    throw ValueError(std::string(op) + ": label_smoothing must lie in [0, 1], got " + num(eps));
  }
}

/// Per-sample losses of shape [N] (or [] for one unbatched sample).
template <class T>
xt::xarray<T> per_sample(const Rows& rows) {
  return rows.batched ? xt::xarray<T>::from_shape({rows.n}) : xt::xarray<T>::from_shape({});
}

/// Row statistics of a fused log-softmax: log p_c = (x_c - max) - log_sum.
template <class T>
struct LogSoftmaxRows {
  std::vector<T> max;
  std::vector<T> log_sum;  ///< log sum_c exp(x_c - max)
};

template <class T>
LogSoftmaxRows<T> log_softmax_rows(const T* x, const Rows& rows) {
  LogSoftmaxRows<T> s{std::vector<T>(rows.n), std::vector<T>(rows.n)};
  for (std::size_t i = 0; i < rows.n; ++i) {
    const T* xi = x + i * rows.c;
    const T m = rows.c == 0 ? T(0) : *std::max_element(xi, xi + rows.c);
    T sum = 0;
    for (std::size_t c = 0; c < rows.c; ++c) sum += std::exp(xi[c] - m);
    s.max[i] = m;
    s.log_sum[i] = std::log(sum);
  }
  return s;
}

}  // namespace

template <class T>
BasicTensor<T> mse_loss(const BasicTensor<T>& input, const BasicTensor<T>& target,
                        Reduction reduction) {
  return difference_loss<T>(
      "mse_loss", input, target, reduction, [](T d) { return d * d; },
      [](T d) { return T(2) * d; });
}

template <class T>
BasicTensor<T> l1_loss(const BasicTensor<T>& input, const BasicTensor<T>& target,
                       Reduction reduction) {
  return difference_loss<T>(
      "l1_loss", input, target, reduction, [](T d) { return std::abs(d); },
      [](T d) { return sign(d); });
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
      [delta](T d) { return std::clamp(d, -delta, delta); });
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
      [beta](T d) { return std::abs(d) < beta ? d / beta : sign(d); });
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
      [ip, iy, reduction, n, log_p, log_1mp](const xt::xarray<T>& g, const xt::xarray<T>&) {
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
  auto backward = [ix, iy, iw, pw, reduction, n](const xt::xarray<T>& g, const xt::xarray<T>&) {
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
  };
  xt::xarray<T> value = reduce(std::move(per), reduction);
  if (weighted) {
    return make_result<T>(op, std::move(value), {&logits, &target, &pos_weight},
                          std::move(backward));
  }
  return make_result<T>(op, std::move(value), {&logits, &target}, std::move(backward));
}

template <class T>
BasicTensor<T> cross_entropy(const BasicTensor<T>& logits, const Labels& labels,
                             Reduction reduction, std::type_identity_t<T> label_smoothing) {
  const char* op = "cross_entropy";
  const Rows rows = rows_of(op, "logits", logits);
  check_labels(op, rows, logits.shape(), labels);
  check_smoothing(op, label_smoothing);
  const T eps = label_smoothing;
  const T* x = logits.data_ptr();
  LogSoftmaxRows<T> lsm = log_softmax_rows(x, rows);
  // -log p_c = (max - x_c) + log_sum >= 0; with q = (1 - eps) onehot + eps / C (sums to 1):
  // loss = log_sum + (1 - eps) (max - x_label) + eps / C sum_c (max - x_c).
  xt::xarray<T> per = per_sample<T>(rows);
  for (std::size_t i = 0; i < rows.n; ++i) {
    const T* xi = x + i * rows.c;
    T smooth = 0;
    if (eps != T(0)) {
      for (std::size_t c = 0; c < rows.c; ++c) smooth += lsm.max[i] - xi[c];
      smooth *= eps / static_cast<T>(rows.c);
    }
    per.data()[i] = lsm.log_sum[i] + (T(1) - eps) * (lsm.max[i] - xi[labels[i]]) + smooth;
  }
  auto ix = logits.impl_ptr();
  return make_result<T>(op, reduce(std::move(per), reduction), {&logits},
                        [ix, rows, labels, eps, lsm = std::move(lsm), reduction](
                            const xt::xarray<T>& g, const xt::xarray<T>&) {
                          // d/dx_ic = up_i (softmax_ic - q_ic)   [N,C]
                          const Upstream<T> up(g, reduction, rows.n);
                          const T* px = ix->value.data();
                          const T uniform = eps / static_cast<T>(rows.c);
                          xt::xarray<T> d = xt::xarray<T>::from_shape(ix->value.shape());
                          for (std::size_t i = 0; i < rows.n; ++i) {
                            const T u = up(i);
                            const T* xi = px + i * rows.c;
                            T* di = d.data() + i * rows.c;
                            for (std::size_t c = 0; c < rows.c; ++c) {
                              di[c] =
                                  u * (std::exp((xi[c] - lsm.max[i]) - lsm.log_sum[i]) - uniform);
                            }
                            di[labels[i]] -= u * (T(1) - eps);
                          }
                          autograd::accumulate_grad(*ix, std::move(d));
                        });
}

template <class T>
BasicTensor<T> cross_entropy(const BasicTensor<T>& logits, const BasicTensor<T>& target,
                             Reduction reduction, std::type_identity_t<T> label_smoothing) {
  const char* op = "cross_entropy";
  const Rows rows = rows_of(op, "logits", logits);
  check_same_shape(op, "logits", logits.shape(), "target", target.shape());
  check_smoothing(op, label_smoothing);
  const T eps = label_smoothing;
  const T uniform = eps / static_cast<T>(rows.c);
  const T* x = logits.data_ptr();
  const T* t = target.data_ptr();
  LogSoftmaxRows<T> lsm = log_softmax_rows(x, rows);
  // loss_i = sum_c q_c (-log p_c),  q = (1 - eps) t + eps / C
  xt::xarray<T> per = per_sample<T>(rows);
  for (std::size_t i = 0; i < rows.n; ++i) {
    T total = 0;
    for (std::size_t c = 0; c < rows.c; ++c) {
      const std::size_t k = i * rows.c + c;
      total += ((T(1) - eps) * t[k] + uniform) * ((lsm.max[i] - x[k]) + lsm.log_sum[i]);
    }
    per.data()[i] = total;
  }
  auto ix = logits.impl_ptr();
  auto it = target.impl_ptr();
  return make_result<T>(
      op, reduce(std::move(per), reduction), {&logits, &target},
      [ix, it, rows, eps, uniform, lsm = std::move(lsm), reduction](const xt::xarray<T>& g,
                                                                    const xt::xarray<T>&) {
        const Upstream<T> up(g, reduction, rows.n);
        const T* px = ix->value.data();
        const T* pt = it->value.data();
        if (ix->requires_grad) {
          // d/dx_ic = up_i (softmax_ic sum_k q_ik - q_ic)   [N,C]
          xt::xarray<T> d = xt::xarray<T>::from_shape(ix->value.shape());
          for (std::size_t i = 0; i < rows.n; ++i) {
            const std::size_t row = i * rows.c;
            T q_sum = 0;
            for (std::size_t c = 0; c < rows.c; ++c) q_sum += (T(1) - eps) * pt[row + c] + uniform;
            for (std::size_t c = 0; c < rows.c; ++c) {
              const std::size_t k = row + c;
              const T p = std::exp((px[k] - lsm.max[i]) - lsm.log_sum[i]);
              d.data()[k] = up(i) * (p * q_sum - ((T(1) - eps) * pt[k] + uniform));
            }
          }
          autograd::accumulate_grad(*ix, std::move(d));
        }
        if (it->requires_grad) {
          // d/dt_ic = up_i (1 - eps) (-log p_ic)
          xt::xarray<T> d = xt::xarray<T>::from_shape(it->value.shape());
          for (std::size_t i = 0; i < rows.n; ++i) {
            for (std::size_t c = 0; c < rows.c; ++c) {
              const std::size_t k = i * rows.c + c;
              d.data()[k] = up(i) * (T(1) - eps) * ((lsm.max[i] - px[k]) + lsm.log_sum[i]);
            }
          }
          autograd::accumulate_grad(*it, std::move(d));
        }
      });
}

template <class T>
BasicTensor<T> nll_loss(const BasicTensor<T>& log_probs, const Labels& labels,
                        Reduction reduction) {
  const char* op = "nll_loss";
  const Rows rows = rows_of(op, "log_probs", log_probs);
  check_labels(op, rows, log_probs.shape(), labels);
  const T* lp = log_probs.data_ptr();
  xt::xarray<T> per = per_sample<T>(rows);
  for (std::size_t i = 0; i < rows.n; ++i) per.data()[i] = -lp[i * rows.c + labels[i]];
  auto il = log_probs.impl_ptr();
  return make_result<T>(
      op, reduce(std::move(per), reduction), {&log_probs},
      [il, rows, labels, reduction](const xt::xarray<T>& g, const xt::xarray<T>&) {
        // d/dlp_ic = -up_i at c = label_i, 0 elsewhere   [N,C]
        const Upstream<T> up(g, reduction, rows.n);
        xt::xarray<T> d = xt::zeros<T>(il->value.shape());
        for (std::size_t i = 0; i < rows.n; ++i) {
          d.data()[i * rows.c + labels[i]] = -up(i);
        }
        autograd::accumulate_grad(*il, std::move(d));
      });
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
      const BasicTensor<T>&, const BasicTensor<T>&, Reduction, const BasicTensor<T>&);           \
  template BasicTensor<T> cross_entropy<T>(const BasicTensor<T>&, const Labels&, Reduction,      \
                                           std::type_identity_t<T>);                             \
  template BasicTensor<T> cross_entropy<T>(const BasicTensor<T>&, const BasicTensor<T>&,         \
                                           Reduction, std::type_identity_t<T>);                  \
  template BasicTensor<T> nll_loss<T>(const BasicTensor<T>&, const Labels&, Reduction);

AXON_INSTANTIATE(float)
AXON_INSTANTIATE(double)

}  // namespace axon::nn
