// SPDX-License-Identifier: MIT
#include "autograd/ops/reductions.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "autograd/kernels.hpp"

namespace axon::autograd {

namespace {

using kernels::ordered_sum;

/// How a reduction reads its input: as a row-major block [outer, reduced, inner], each result
/// j = o * inner + i reducing the elements (o, 0..reduced-1, i). When the reduced axes are
/// adjacent once size-1 axes are ignored, the block is the input itself (`direct`), e.g. the last
/// axis of [N,F] is [N,F,1] and the first is [1,N,F]. Otherwise the input is gathered into
/// [results, reduced, 1] through two offset tables (a transpose by index arithmetic).
struct Reduction {
  Shape out_shape;  // the result's shape, keepdims applied
  std::size_t outer = 1, reduced = 1, inner = 1;
  bool direct = true;
  std::vector<std::size_t> base;  // gathered only: input offset of result o's first element
  std::vector<std::size_t> step;  // gathered only: offset of reduced element r from that base
};

std::string axes_str(const std::vector<int>& axes) {
  std::string s = "[";
  for (std::size_t i = 0; i < axes.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(axes[i]);
  }
  return s + "]";
}

/// "op: input shape [2,3], axes [1]: " for error messages.
std::string context(const char* op, const Shape& shape, const std::vector<int>& axes) {
  return std::string(op) + ": input shape " + shape_str(shape) + ", axes " +
         (axes.empty() ? std::string("all") : axes_str(axes)) + ": ";
}

/// Offsets of every index combination of the axes where `select[d] == want`, in row-major order.
std::vector<std::size_t> offsets(const Shape& shape, const std::vector<bool>& select, bool want) {
  const Shape strides = contiguous_strides(shape);
  std::vector<std::size_t> out{0};
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (select[d] != want) continue;
    std::vector<std::size_t> next;
    next.reserve(out.size() * shape[d]);
    for (std::size_t o : out) {
      for (std::size_t k = 0; k < shape[d]; ++k) next.push_back(o + k * strides[d]);
    }
    out.swap(next);
  }
  return out;
}

Reduction plan(const char* op, const Shape& shape, const std::vector<int>& axes, bool keepdims) {
  std::vector<std::size_t> normalized;
  try {
    normalized = normalize_axes(axes, shape.size(), op);
  } catch (const ValueError& e) {
    throw ValueError(std::string(e.what()) + " (input shape " + shape_str(shape) + ", axes " +
                     axes_str(axes) + ")");
  }
  const std::size_t rank = shape.size();
  std::vector<bool> reduced(rank, false);
  for (std::size_t a : normalized) reduced[a] = true;

  Reduction p;
  for (std::size_t d = 0; d < rank; ++d) {
    if (!reduced[d]) {
      p.out_shape.push_back(shape[d]);
    } else if (keepdims) {
      p.out_shape.push_back(1);
    }
  }
  // Adjacent when the axes of extent != 1 read kept*, reduced*, kept*.
  int phase = 0;
  for (std::size_t d = 0; d < rank && p.direct; ++d) {
    if (shape[d] == 1) continue;
    if (reduced[d]) {
      p.direct = phase < 2;
      phase = 1;
    } else if (phase == 1) {
      phase = 2;
    }
  }
  if (p.direct) {
    bool after = false;  // past the first reduced axis of extent != 1
    for (std::size_t d = 0; d < rank; ++d) {
      if (reduced[d]) {
        p.reduced *= shape[d];
        after = after || shape[d] != 1;
      } else {
        (after ? p.inner : p.outer) *= shape[d];
      }
    }
  } else {
    p.base = offsets(shape, reduced, false);
    p.step = offsets(shape, reduced, true);
    p.outer = p.base.size();
    p.reduced = p.step.size();
  }
  return p;
}

/// The input as the [outer, reduced, inner] block (gathered into `buffer` when not direct).
template <class T>
const T* block(const Reduction& p, const xt::xarray<T>& x, std::vector<T>& buffer) {
  if (p.direct) return x.data();
  buffer.resize(p.outer * p.reduced);
  const T* px = x.data();
  for (std::size_t o = 0; o < p.outer; ++o) {
    for (std::size_t r = 0; r < p.reduced; ++r)
      buffer[o * p.reduced + r] = px[p.base[o] + p.step[r]];
  }
  return buffer.data();
}

/// The input's gradient: `fill(d)` writes it in block layout, scattered back when not direct.
template <class T, class Fill>
xt::xarray<T> input_grad(const Reduction& p, const Shape& shape, Fill&& fill) {
  xt::xarray<T> dx = xt::xarray<T>::from_shape(shape);
  if (p.direct) {
    fill(dx.data());
    return dx;
  }
  std::vector<T> d(dx.size());
  fill(d.data());
  T* pdx = dx.data();
  for (std::size_t o = 0; o < p.outer; ++o) {
    for (std::size_t r = 0; r < p.reduced; ++r) pdx[p.base[o] + p.step[r]] = d[o * p.reduced + r];
  }
  return dx;
}

/// Calls f(k, j) for each block element k, with j its result.
template <class F>
void for_each_element(const Reduction& p, F&& f) {
  const std::size_t n = p.reduced, m = p.inner;
  if (m == 1) {
    for (std::size_t o = 0; o < p.outer; ++o) {
      for (std::size_t r = 0; r < n; ++r) f(o * n + r, o);
    }
    return;
  }
  for (std::size_t o = 0; o < p.outer; ++o) {
    for (std::size_t r = 0; r < n; ++r) {
      const std::size_t k = (o * n + r) * m, j = o * m;
      for (std::size_t i = 0; i < m; ++i) f(k + i, j + i);
    }
  }
}

/// The input's gradient with d[k] = f(k, j) for each block element k of result j.
template <class T, class F>
xt::xarray<T> elementwise_grad(const Reduction& p, const Shape& shape, F&& f) {
  return input_grad<T>(p, shape, [&](T* d) {
    for_each_element(p, [&](std::size_t k, std::size_t j) { d[k] = f(k, j); });
  });
}

/// out[j] = sum over r of f(x[o,r,i], j), in ascending r (rows of inner == 1: ordered_sum).
template <class T, class F>
void block_sum(const Reduction& p, const T* x, T* out, F&& f) {
  const std::size_t n = p.reduced, m = p.inner;
  if (m == 1) {
    for (std::size_t o = 0; o < p.outer; ++o) {
      const T* row = x + o * n;
      out[o] = ordered_sum<T>(n, [&](std::size_t r) { return f(row[r], o); });
    }
    return;
  }
  std::fill(out, out + p.outer * m, T(0));
  for (std::size_t o = 0; o < p.outer; ++o) {
    T* acc = out + o * m;
    for (std::size_t r = 0; r < n; ++r) {
      const T* row = x + (o * n + r) * m;
      for (std::size_t i = 0; i < m; ++i) acc[i] += f(row[i], o * m + i);
    }
  }
}

/// v when it beats b under the strict order `cmp` or is NaN, else b: an extreme in which a NaN
/// beats everything and then stays (NaN propagates, as NumPy).
template <class T, class Cmp>
T pick(T v, T b, Cmp cmp) {
  return (cmp(v, b) || v != v) ? v : b;
}

// GCC vectorises the column scan only when it is compiled on its own with restrict pointers.
#if defined(__GNUC__) && !defined(__clang__)
#define AXON_OUT_OF_LINE [[gnu::noipa]]
#else
#define AXON_OUT_OF_LINE
#endif

/// best[i] = the extreme of column i of a row-major [rows, m] block, rows >= 1.
template <class T, class Cmp>
AXON_OUT_OF_LINE void column_extreme(const T* __restrict x, std::size_t rows, std::size_t m,
                                     T* __restrict best, Cmp cmp) {
  std::copy(x, x + m, best);
  for (std::size_t r = 1; r < rows; ++r) {
    const T* row = x + r * m;
    for (std::size_t i = 0; i < m; ++i) best[i] = pick(row[i], best[i], cmp);
  }
}

/// The extreme of row[0..n), n >= 1: eight interleaved running extremes (the row read as
/// [n/8, 8] columns), then the tail.
template <class T, class Cmp>
T row_extreme(const T* row, std::size_t n, Cmp cmp) {
  constexpr std::size_t lanes = 8;
  const std::size_t full = n / lanes * lanes;
  T winner = row[0];
  std::size_t k = 1;
  if (full > 0) {
    T lane[lanes];
    column_extreme(row, full / lanes, lanes, lane, cmp);
    for (std::size_t l = 1; l < lanes; ++l) lane[0] = pick(lane[l], lane[0], cmp);
    winner = lane[0];
    k = full;
  }
  for (; k < n; ++k) winner = pick(row[k], winner, cmp);
  return winner;
}

/// Whether v is the element that produced the extreme w (the NaN when w is NaN).
template <class T>
bool is_winner(T v, T w) {
  return w != w ? v != v : v == w;
}

/// column_extreme with arg[i] = the first row holding column i's extreme, in one pass. (The
/// branch is cheap: a later row rarely beats the running extreme.)
template <class T, class Cmp>
void column_arg_extreme(const T* x, std::size_t rows, std::size_t m, T* best, std::size_t* arg,
                        Cmp cmp) {
  std::copy(x, x + m, best);
  std::fill(arg, arg + m, std::size_t{0});
  for (std::size_t r = 1; r < rows; ++r) {
    const T* row = x + r * m;
    for (std::size_t i = 0; i < m; ++i) {
      const T v = row[i], b = best[i];
      if (cmp(v, b) || (v != v && b == b)) {
        best[i] = v;
        arg[i] = r;
      }
    }
  }
}

/// best[j] = the extreme of each result under the strict order `cmp` (NaN wins); when `arg` is
/// given, arg[j] = the first position r holding it. Needs reduced >= 1.
template <class T, class Cmp>
void block_extreme(const Reduction& p, const T* x, T* best, std::size_t* arg, Cmp cmp) {
  const std::size_t n = p.reduced, m = p.inner;
  for (std::size_t o = 0; o < p.outer; ++o) {
    const T* rows = x + o * n * m;
    if (m != 1) {  // columns; none when a kept axis after the reduced ones has extent 0
      if (arg) {
        column_arg_extreme(rows, n, m, best + o * m, arg + o * m, cmp);
      } else {
        column_extreme(rows, n, m, best + o * m, cmp);
      }
      continue;
    }
    best[o] = row_extreme(rows, n, cmp);
    if (!arg) continue;
    std::size_t r = 0;
    while (!is_winner(rows[r], best[o])) ++r;  // ends: the extreme is an element of the row
    arg[o] = r;
    best[o] = rows[r];  // of -0 and +0, the first one
  }
}

void require_elements(const char* op, const Reduction& p, const Shape& shape,
                      const std::vector<int>& axes) {
  if (p.reduced == 0) {
    throw ValueError(context(op, shape, axes) +
                     "cannot reduce zero elements (the operation has no identity)");
  }
}

/// max and min: the result and, for backward, the arg index of each result in block layout.
template <class T, class Cmp>
BasicTensor<T> extreme(const char* op, const BasicTensor<T>& x, const std::vector<int>& axes,
                       bool keepdims, Cmp cmp) {
  Reduction p = plan(op, x.shape(), axes, keepdims);
  require_elements(op, p, x.shape(), axes);
  std::vector<T> buffer;
  xt::xarray<T> out = xt::xarray<T>::from_shape(p.out_shape);
  std::vector<std::size_t> arg(out.size());
  block_extreme(p, block(p, x.data(), buffer), out.data(), arg.data(), cmp);
  auto ix = x.impl_ptr();
  return make_result<T>(
      op, std::move(out), {&x},
      [ix, p = std::move(p), arg = std::move(arg)](const xt::xarray<T>& g, const xt::xarray<T>&) {
        // dx is g at each result's (first) arg element, 0 elsewhere.
        const T* pg = g.data();
        accumulate_grad(*ix, input_grad<T>(p, ix->value.shape(), [&](T* d) {
          std::fill(d, d + ix->value.size(), T(0));
          for (std::size_t o = 0; o < p.outer; ++o) {
            for (std::size_t i = 0; i < p.inner; ++i) {
              const std::size_t j = o * p.inner + i;
              d[(o * p.reduced + arg[j]) * p.inner + i] = pg[j];
            }
          }
        }));
      });
}

/// sum (average false) and mean (average true).
template <class T>
BasicTensor<T> total(const char* op, const BasicTensor<T>& x, const std::vector<int>& axes,
                     bool keepdims, bool average) {
  Reduction p = plan(op, x.shape(), axes, keepdims);
  std::vector<T> buffer;
  xt::xarray<T> out = xt::xarray<T>::from_shape(p.out_shape);
  block_sum(p, block(p, x.data(), buffer), out.data(), [](T v, std::size_t) { return v; });
  const T n = average ? static_cast<T>(p.reduced) : T(1);  // mean over 0 elements: NaN, as NumPy
  if (average) {
    for (std::size_t j = 0; j < out.size(); ++j) out.data()[j] /= n;
  }
  auto ix = x.impl_ptr();
  return make_result<T>(op, std::move(out), {&x},
                        [ix, n, p = std::move(p)](const xt::xarray<T>& g, const xt::xarray<T>&) {
                          // dx[o,r,i] = g[o,i] / n  (n = 1 for sum)
                          const T* pg = g.data();
                          accumulate_grad(*ix, elementwise_grad<T>(p, ix->value.shape(),
                                                                   [&](std::size_t, std::size_t j) {
                                                                     return pg[j] / n;
                                                                   }));
                        });
}

/// var (root false) and std (root true): sum((x - mean)^2) / (n - correction), two passes so
/// there is no cancellation as in E[x^2] - E[x]^2.
template <class T>
BasicTensor<T> spread(const char* op, const BasicTensor<T>& x, const std::vector<int>& axes,
                      bool keepdims, int correction, bool root) {
  Reduction p = plan(op, x.shape(), axes, keepdims);
  const long dof = static_cast<long>(p.reduced) - correction;
  if (dof <= 0) {
    throw ValueError(context(op, x.shape(), axes) +
                     "n - correction = " + std::to_string(p.reduced) + " - " +
                     std::to_string(correction) + " must be positive");
  }
  std::vector<T> buffer;
  const T* px = block(p, x.data(), buffer);
  xt::xarray<T> out = xt::xarray<T>::from_shape(p.out_shape);
  std::vector<T> mean(out.size());
  block_sum(p, px, mean.data(), [](T v, std::size_t) { return v; });
  for (T& m : mean) m /= static_cast<T>(p.reduced);
  const T* pm = mean.data();
  block_sum(p, px, out.data(), [pm](T v, std::size_t j) { return (v - pm[j]) * (v - pm[j]); });
  T* po = out.data();
  for (std::size_t j = 0; j < out.size(); ++j) {
    po[j] /= static_cast<T>(dof);
    if (root) po[j] = std::sqrt(po[j]);
  }
  auto ix = x.impl_ptr();
  return make_result<T>(
      op, std::move(out), {&x},
      [ix, root, dof = static_cast<T>(dof), p = std::move(p), mean = std::move(mean)](
          const xt::xarray<T>& g, const xt::xarray<T>& o) {
        // var: dx[o,r,i] = g 2 (x - mean) / dof.  std: dx = g (x - mean) / (dof std), taken as
        // 0 where std is 0 (all elements equal: sqrt is not differentiable there, x - mean is 0).
        std::vector<T> scale(o.size());
        for (std::size_t j = 0; j < o.size(); ++j) {
          const T gj = g.data()[j], sj = o.data()[j];
          scale[j] = !root ? T(2) * gj / dof : (sj == T(0) ? T(0) : gj / (dof * sj));
        }
        std::vector<T> buffer;
        const T* px = block(p, ix->value, buffer);
        accumulate_grad(
            *ix, elementwise_grad<T>(p, ix->value.shape(), [&](std::size_t k, std::size_t j) {
              return scale[j] * (px[k] - mean[j]);
            }));
      });
}

}  // namespace

template <class T>
BasicTensor<T> sum(const BasicTensor<T>& x, const std::vector<int>& axes, bool keepdims) {
  return total("sum", x, axes, keepdims, false);
}

template <class T>
BasicTensor<T> mean(const BasicTensor<T>& x, const std::vector<int>& axes, bool keepdims) {
  return total("mean", x, axes, keepdims, true);
}

template <class T>
BasicTensor<T> max(const BasicTensor<T>& x, const std::vector<int>& axes, bool keepdims) {
  return extreme("max", x, axes, keepdims, std::greater<T>());
}

template <class T>
BasicTensor<T> min(const BasicTensor<T>& x, const std::vector<int>& axes, bool keepdims) {
  return extreme("min", x, axes, keepdims, std::less<T>());
}

template <class T>
BasicTensor<T> var(const BasicTensor<T>& x, const std::vector<int>& axes, bool keepdims,
                   int correction) {
  return spread("var", x, axes, keepdims, correction, false);
}

template <class T>
BasicTensor<T> std(const BasicTensor<T>& x, const std::vector<int>& axes, bool keepdims,
                   int correction) {
  return spread("std", x, axes, keepdims, correction, true);
}

template <class T>
BasicTensor<T> logsumexp(const BasicTensor<T>& x, const std::vector<int>& axes, bool keepdims) {
  Reduction p = plan("logsumexp", x.shape(), axes, keepdims);
  std::vector<T> buffer;
  const T* px = block(p, x.data(), buffer);
  xt::xarray<T> out = xt::xarray<T>::from_shape(p.out_shape);
  // Shift by the max so no exp overflows. A result whose max is infinite (all -inf, or a +inf)
  // uses shift 0, so it comes out as -inf or +inf instead of NaN from inf - inf.
  std::vector<T> shift(out.size(), T(0));
  if (p.reduced > 0) block_extreme(p, px, shift.data(), nullptr, std::greater<T>());
  for (T& s : shift) s = std::isfinite(s) ? s : T(0);
  const T* ps = shift.data();
  block_sum(p, px, out.data(), [ps](T v, std::size_t j) { return std::exp(v - ps[j]); });
  for (std::size_t j = 0; j < out.size(); ++j) out.data()[j] = ps[j] + std::log(out.data()[j]);
  auto ix = x.impl_ptr();
  return make_result<T>(
      "logsumexp", std::move(out), {&x},
      [ix, p = std::move(p)](const xt::xarray<T>& g, const xt::xarray<T>& o) {
        // dx[o,r,i] = g[o,i] softmax(x)[o,r,i] = g exp(x - out); 0 for an all -inf result.
        std::vector<T> buffer;
        const T* px = block(p, ix->value, buffer);
        const T* pg = g.data();
        const T* po = o.data();
        const T neg_inf = -std::numeric_limits<T>::infinity();
        accumulate_grad(
            *ix, elementwise_grad<T>(p, ix->value.shape(), [&](std::size_t k, std::size_t j) {
              return po[j] == neg_inf ? T(0) : pg[j] * std::exp(px[k] - po[j]);
            }));
      });
}

template <class T>
BasicTensor<T> argmax(const BasicTensor<T>& x, int axis, bool keepdims) {
  const std::vector<int> axes{axis};
  const Reduction p = plan("argmax", x.shape(), axes, keepdims);
  require_elements("argmax", p, x.shape(), axes);
  std::vector<T> buffer;
  std::vector<T> best(shape_numel(p.out_shape));
  std::vector<std::size_t> arg(best.size());
  block_extreme(p, block(p, x.data(), buffer), best.data(), arg.data(), std::greater<T>());
  xt::xarray<T> out = xt::xarray<T>::from_shape(p.out_shape);
  for (std::size_t j = 0; j < arg.size(); ++j) out.data()[j] = static_cast<T>(arg[j]);
  return BasicTensor<T>(std::move(out));  // indices: never recorded
}

#define AXON_REDUCTION(T, NAME) \
  template BasicTensor<T> NAME<T>(const BasicTensor<T>&, const std::vector<int>&, bool);
#define AXON_INSTANTIATE(T)                                                                  \
  AXON_REDUCTION(T, sum)                                                                     \
  AXON_REDUCTION(T, mean)                                                                    \
  AXON_REDUCTION(T, max)                                                                     \
  AXON_REDUCTION(T, min)                                                                     \
  AXON_REDUCTION(T, logsumexp)                                                               \
  template BasicTensor<T> var<T>(const BasicTensor<T>&, const std::vector<int>&, bool, int); \
  template BasicTensor<T> std<T>(const BasicTensor<T>&, const std::vector<int>&, bool, int); \
  template BasicTensor<T> argmax<T>(const BasicTensor<T>&, int, bool);

AXON_INSTANTIATE(float)
AXON_INSTANTIATE(double)

}  // namespace axon::autograd
