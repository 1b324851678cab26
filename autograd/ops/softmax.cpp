// SPDX-License-Identifier: MIT
#include "axon/autograd/ops/softmax.hpp"

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "axon/autograd/kernels.hpp"
#include "axon/autograd/operators.hpp"
#include "axon/autograd/ops/elementwise.hpp"
#include "axon/autograd/ops/instantiate.hpp"
#include "axon/autograd/ops/reductions.hpp"
#include "axon/autograd/ops/shape.hpp"

namespace axon::autograd {

namespace {

using kernels::ordered_sum;

/// The input read as a row-major block [outer, n, inner] with the softmax axis in the middle;
/// row j = o * inner + i holds the elements (o, 0..n-1, i).
struct Rows {
  std::size_t outer = 1, n = 1, inner = 1;
  std::size_t count() const { return outer * inner; }
};

Rows rows_of(const char* op, const Shape& shape, int axis) {
  std::size_t a = 0;
  try {
    a = normalize_axis(axis, shape.size(), op);
  } catch (const ValueError& e) {
    throw ValueError(std::string(e.what()) + " (input shape " + shape_str(shape) + ")");
  }
  Rows b;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    (d < a ? b.outer : d == a ? b.n : b.inner) *= shape[d];
  }
  return b;
}

/// Calls f(k, j) for each element k, with j its row.
template <class F>
void for_each_element(const Rows& b, F&& f) {
  if (b.inner == 1) {
    for (std::size_t o = 0; o < b.outer; ++o) {
      for (std::size_t r = 0; r < b.n; ++r) f(o * b.n + r, o);
    }
    return;
  }
  for (std::size_t o = 0; o < b.outer; ++o) {
    for (std::size_t r = 0; r < b.n; ++r) {
      const std::size_t k = (o * b.n + r) * b.inner, j = o * b.inner;
      for (std::size_t i = 0; i < b.inner; ++i) f(k + i, j + i);
    }
  }
}

/// s[j] = sum over row j of f(k, j), in a fixed order (rows of inner == 1: ordered_sum).
template <class T, class F>
std::vector<T> row_sums(const Rows& b, F&& f) {
  std::vector<T> s(b.count(), T(0));
  if (b.inner == 1) {
    for (std::size_t o = 0; o < b.outer; ++o) {
      s[o] = ordered_sum<T>(b.n, [&](std::size_t r) { return f(o * b.n + r, o); });
    }
  } else {
    for_each_element(b, [&](std::size_t k, std::size_t j) { s[j] += f(k, j); });
  }
  return s;
}

/// The max of each row (-inf for an empty or all -inf row; NaN is left to propagate via exp).
template <class T>
std::vector<T> row_max(const Rows& b, const T* x) {
  std::vector<T> m(b.count(), -std::numeric_limits<T>::infinity());
  for_each_element(b, [&](std::size_t k, std::size_t j) { m[j] = x[k] > m[j] ? x[k] : m[j]; });
  return m;
}

/// Per row: the max (kept -inf to mark all -inf rows) and the shift actually subtracted before
/// exp (the max when finite, else 0, so a +inf never meets inf - inf here).
template <class T>
struct Shifted {
  std::vector<T> max;
  std::vector<T> shift;
};

template <class T>
Shifted<T> shifts(const Rows& b, const T* x) {
  Shifted<T> s{row_max(b, x), {}};
  s.shift = s.max;
  for (T& v : s.shift) v = std::isfinite(v) ? v : T(0);
  return s;
}

/// A tensor of the input's shape seen as the [outer, n, inner] block (a recorded reshape).
template <class T>
BasicTensor<T> as_block(const BasicTensor<T>& t, const Rows& b) {
  return reshape(t, std::vector<long>{static_cast<long>(b.outer), static_cast<long>(b.n),
                                      static_cast<long>(b.inner)});
}

/// A block-shaped tensor back in the shape of the input `ix`.
template <class T>
BasicTensor<T> reshape_like(const BasicTensor<T>& t, const std::shared_ptr<TensorImpl<T>>& ix) {
  const Shape& shape = ix->value.shape();
  return reshape(t, std::vector<long>(shape.begin(), shape.end()));
}

}  // namespace

template <class T>
BasicTensor<T> softmax(const BasicTensor<T>& x, int axis) {
  const Rows b = rows_of("softmax", x.shape(), axis);
  const T* px = x.data_ptr();
  const Shifted<T> s = shifts(b, px);
  xt::xarray<T> out = xt::xarray<T>::from_shape(x.shape());
  T* y = out.data();
  for_each_element(b, [&](std::size_t k, std::size_t j) { y[k] = std::exp(px[k] - s.shift[j]); });
  const std::vector<T> total = row_sums<T>(b, [y](std::size_t k, std::size_t) { return y[k]; });
  // An all -inf row (everything masked) gives zeros rather than 0/0.
  const T neg_inf = -std::numeric_limits<T>::infinity();
  for_each_element(b, [&](std::size_t k, std::size_t j) {
    y[k] = s.max[j] == neg_inf ? T(0) : y[k] / total[j];
  });
  auto ix = x.impl_ptr();
  return make_result<T>(
      "softmax", std::move(out), {&x}, [ix, b](const auto& g, const auto& o) -> void {
        // dx = s * (g - sum_row(g * s))
        if constexpr (detail::is_tensor_v<std::decay_t<decltype(g)>>) {
          // Recorded, on the [outer, n, inner] view (s is the output: its own backward is this).
          const BasicTensor<T> gb = as_block(g, b), sb = as_block(o, b);
          detail::add_grad(ix, reshape_like(sb * (gb - sum(gb * sb, {1}, true)), ix));
          return;
        } else {
          const T* pg = g.data();
          const T* po = o.data();
          const std::vector<T> dot =
              row_sums<T>(b, [&](std::size_t k, std::size_t) { return pg[k] * po[k]; });
          xt::xarray<T> dx = xt::xarray<T>::from_shape(o.shape());
          T* d = dx.data();
          for_each_element(b,
                           [&](std::size_t k, std::size_t j) { d[k] = po[k] * (pg[k] - dot[j]); });
          accumulate_grad(*ix, std::move(dx));
        }
      });
}

template <class T>
BasicTensor<T> log_softmax(const BasicTensor<T>& x, int axis) {
  const Rows b = rows_of("log_softmax", x.shape(), axis);
  const T* px = x.data_ptr();
  const Shifted<T> s = shifts(b, px);
  std::vector<T> log_total =
      row_sums<T>(b, [&](std::size_t k, std::size_t j) { return std::exp(px[k] - s.shift[j]); });
  for (T& v : log_total) v = std::log(v);
  xt::xarray<T> out = xt::xarray<T>::from_shape(x.shape());
  T* y = out.data();
  // (x - shift) - log(sum exp(x - shift)): the subtraction of the max comes first, so logits of
  // 1e4 keep their differences exactly. An all -inf row stays -inf rather than -inf - -inf.
  const T neg_inf = -std::numeric_limits<T>::infinity();
  for_each_element(b, [&](std::size_t k, std::size_t j) {
    y[k] = s.max[j] == neg_inf ? neg_inf : (px[k] - s.shift[j]) - log_total[j];
  });
  auto ix = x.impl_ptr();
  return make_result<T>(
      "log_softmax", std::move(out), {&x}, [ix, b](const auto& g, const auto& o) -> void {
        // dx = g - exp(out) * sum_row(g)
        if constexpr (detail::is_tensor_v<std::decay_t<decltype(g)>>) {
          const BasicTensor<T> gb = as_block(g, b);
          detail::add_grad(ix, reshape_like(gb - exp(as_block(o, b)) * sum(gb, {1}, true), ix));
          return;
        } else {
          const T* pg = g.data();
          const T* po = o.data();
          const std::vector<T> gsum =
              row_sums<T>(b, [pg](std::size_t k, std::size_t) { return pg[k]; });
          xt::xarray<T> dx = xt::xarray<T>::from_shape(o.shape());
          T* d = dx.data();
          for_each_element(
              b, [&](std::size_t k, std::size_t j) { d[k] = pg[k] - std::exp(po[k]) * gsum[j]; });
          accumulate_grad(*ix, std::move(dx));
        }
      });
}

AXON_INSTANTIATE_OPS(softmax, log_softmax)

}  // namespace axon::autograd
