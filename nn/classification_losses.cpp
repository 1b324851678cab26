// SPDX-License-Identifier: MIT
// The classification losses of nn/losses.hpp: cross_entropy (labels or probabilities) and
// nll_loss, each with a fused log-softmax.
#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "axon/autograd/operators.hpp"
#include "axon/autograd/ops/reductions.hpp"
#include "axon/autograd/ops/softmax.hpp"
#include "axon/nn/loss_kernels.hpp"
#include "axon/nn/losses.hpp"

namespace axon::nn {

namespace {

using namespace loss_detail;
using autograd::make_result;
using autograd::detail::add_grad;

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

/// The constant target distribution q = (1 - eps) onehot(labels) + eps / C, of `shape` ([N,C] or
/// [C]): what the recorded backwards of cross_entropy and nll_loss subtract.
template <class T>
BasicTensor<T> smoothed_onehot(const Shape& shape, const Rows& rows, const Labels& labels, T eps) {
  xt::xarray<T> q = xt::xarray<T>::from_shape(shape);
  std::fill_n(q.data(), q.size(), eps / static_cast<T>(rows.c));
  for (std::size_t i = 0; i < rows.n; ++i) q.data()[i * rows.c + labels[i]] += T(1) - eps;
  return BasicTensor<T>(std::move(q));
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
  return make_result<T>(
      op, reduce(std::move(per), reduction), {&logits},
      [ix, rows, labels, eps, lsm = std::move(lsm), reduction](const auto& g, const auto&) -> void {
        // d/dx_ic = up_i (softmax_ic - q_ic)   [N,C]
        if constexpr (recording_v<decltype(g)>) {
          add_grad(ix, upstream(g, reduction, rows.n, rows.n) *
                           (autograd::softmax(BasicTensor<T>(ix), -1) -
                            smoothed_onehot<T>(ix->value.shape(), rows, labels, eps)));
          return;
        } else {
          const Upstream<T> up(g, reduction, rows.n);
          const T* px = ix->value.data();
          const T uniform = eps / static_cast<T>(rows.c);
          xt::xarray<T> d = xt::xarray<T>::from_shape(ix->value.shape());
          for (std::size_t i = 0; i < rows.n; ++i) {
            const T u = up(i);
            const T* xi = px + i * rows.c;
            T* di = d.data() + i * rows.c;
            for (std::size_t c = 0; c < rows.c; ++c) {
              di[c] = u * (std::exp((xi[c] - lsm.max[i]) - lsm.log_sum[i]) - uniform);
            }
            di[labels[i]] -= u * (T(1) - eps);
          }
          autograd::accumulate_grad(*ix, std::move(d));
        }
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
      [ix, it, rows, eps, uniform, lsm = std::move(lsm), reduction](const auto& g,
                                                                    const auto&) -> void {
        if constexpr (recording_v<decltype(g)>) {
          const BasicTensor<T> up = upstream(g, reduction, rows.n, rows.n), x(ix);
          if (ix->requires_grad) {
            const BasicTensor<T> q = BasicTensor<T>(it) * (T(1) - eps) + uniform;
            add_grad(ix, up * (autograd::softmax(x, -1) * autograd::sum(q, {-1}, true) - q));
          }
          if (it->requires_grad) add_grad(it, up * autograd::log_softmax(x, -1) * (eps - T(1)));
          return;
        } else {
          const Upstream<T> up(g, reduction, rows.n);
          const T* px = ix->value.data();
          const T* pt = it->value.data();
          if (ix->requires_grad) {
            // d/dx_ic = up_i (softmax_ic sum_k q_ik - q_ic)   [N,C]
            xt::xarray<T> d = xt::xarray<T>::from_shape(ix->value.shape());
            for (std::size_t i = 0; i < rows.n; ++i) {
              const std::size_t row = i * rows.c;
              T q_sum = 0;
              for (std::size_t c = 0; c < rows.c; ++c)
                q_sum += (T(1) - eps) * pt[row + c] + uniform;
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
  return make_result<T>(op, reduce(std::move(per), reduction), {&log_probs},
                        [il, rows, labels, reduction](const auto& g, const auto&) -> void {
                          // d/dlp_ic = -up_i at c = label_i, 0 elsewhere   [N,C]
                          if constexpr (recording_v<decltype(g)>) {
                            add_grad(il,
                                     -(upstream(g, reduction, rows.n, rows.n) *
                                       smoothed_onehot<T>(il->value.shape(), rows, labels, T(0))));
                            return;
                          } else {
                            const Upstream<T> up(g, reduction, rows.n);
                            xt::xarray<T> d = xt::zeros<T>(il->value.shape());
                            for (std::size_t i = 0; i < rows.n; ++i) {
                              d.data()[i * rows.c + labels[i]] = -up(i);
                            }
                            autograd::accumulate_grad(*il, std::move(d));
                          }
                        });
}

#define AXON_INSTANTIATE(T)                                                                 \
  template BasicTensor<T> cross_entropy<T>(const BasicTensor<T>&, const Labels&, Reduction, \
                                           std::type_identity_t<T>);                        \
  template BasicTensor<T> cross_entropy<T>(const BasicTensor<T>&, const BasicTensor<T>&,    \
                                           Reduction, std::type_identity_t<T>);             \
  template BasicTensor<T> nll_loss<T>(const BasicTensor<T>&, const Labels&, Reduction);

AXON_INSTANTIATE(float)
AXON_INSTANTIATE(double)

}  // namespace axon::nn
