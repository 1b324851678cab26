// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "axon/autograd/kernels.hpp"
#include "axon/autograd/shape.hpp"

/// Internal to ops/reductions.cpp: how a reduction over some axes reads its input (the plan), and
/// the block kernels every reduction is written with: sums in a fixed order, extremes with NaN
/// propagation, and the gradient scattered back to the input's shape.
namespace axon::autograd::reduction_plan {

/// How a reduction reads its input: as a row-major block [outer, reduced, inner], each result
/// j = o * inner + i reducing the elements (o, 0..reduced-1, i). When the reduced axes are
/// adjacent once size-1 axes are ignored, the block is the input itself (`direct`), e.g. the last
/// axis of [N,F] is [N,F,1] and the first is [1,N,F]. Otherwise the input is gathered into
/// [results, reduced, 1] through two offset tables (a transpose by index arithmetic).
struct Reduction {
  Shape out_shape;   ///< the result's shape, keepdims applied
  Shape keep_shape;  ///< the result's shape with keepdims (reduced axes of extent 1)
  ///@{
  /// The block's extents [outer, reduced, inner] (see above).
  std::size_t outer = 1, reduced = 1, inner = 1;
  ///@}
  bool direct = true;             ///< whether the block is the input itself (no gather)
  std::vector<std::size_t> base;  ///< gathered only: input offset of result o's first element
  std::vector<std::size_t> step;  ///< gathered only: offset of reduced element r from that base
};

/// "op: input shape [2,3], axes [1]: " for error messages.
std::string context(const char* op, const Shape& shape, const std::vector<int>& axes);

/// The plan for reducing `axes` of `shape` (empty: all axes); ValueError naming `op` for a bad or
/// repeated axis.
Reduction plan(const char* op, const Shape& shape, const std::vector<int>& axes, bool keepdims);

/// ValueError naming `op`, the shape and the axes when the plan reduces zero elements (max, min
/// and argmax have no identity).
void require_elements(const char* op, const Reduction& p, const Shape& shape,
                      const std::vector<int>& axes);

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
      out[o] = kernels::ordered_sum<T>(n, [&](std::size_t r) { return f(row[r], o); });
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

}  // namespace axon::autograd::reduction_plan
