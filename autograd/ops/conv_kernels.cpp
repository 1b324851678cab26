// SPDX-License-Identifier: MIT
#include "axon/autograd/ops/conv_kernels.hpp"

#include <algorithm>
#include <cstddef>
#include <memory>

#include "axon/autograd/blas.hpp"
#include "axon/autograd/parallel_for.hpp"

namespace axon::autograd::conv_kernels {

namespace {

using blas::gemm;
using blas::Op;

Span span(const Axis& a, std::size_t tap) {
  Span s;
  s.off = static_cast<std::ptrdiff_t>(tap * a.dil) - static_cast<std::ptrdiff_t>(a.pad);
  const auto stride = static_cast<std::ptrdiff_t>(a.stride);
  const auto in = static_cast<std::ptrdiff_t>(a.in);
  const auto out = static_cast<std::ptrdiff_t>(a.out);
  // ceil(v / stride) for v > 0, without forming v + stride - 1 (stride may be near LONG_MAX).
  const auto ceil_div = [stride](std::ptrdiff_t v) { return v / stride + (v % stride != 0); };
  const std::ptrdiff_t lo = s.off >= 0 ? 0 : ceil_div(-s.off);
  const std::ptrdiff_t hi = in - s.off <= 0 ? 0 : ceil_div(in - s.off);
  const std::ptrdiff_t lo_clamped = std::min(lo, out);
  s.lo = static_cast<std::size_t>(lo_clamped);
  s.hi = static_cast<std::size_t>(std::clamp(hi, lo_clamped, out));
  return s;
}

/// The input index o * stride + off of output o (inside the input for o in the axis' span).
inline std::size_t input_index(std::size_t o, std::size_t stride, std::ptrdiff_t off) {
  return static_cast<std::size_t>(static_cast<std::ptrdiff_t>(o * stride) + off);
}

// GCC turns the short copy and fill loops below into memcpy/memset calls, which cost more than
// the loops themselves for rows of a few dozen elements (they were 10% of a CNN's training
// time); this keeps them inline, where they vectorise.
#if defined(__GNUC__) && !defined(__clang__)
#define AXON_INLINE_LOOPS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define AXON_INLINE_LOOPS
#endif

/// Unfolds x [cg, h.in, w.in] (one sample, one group) into col [cg * h.k * w.k, h.out * w.out]:
/// row (c, i, j) holds, for every output position, the input element under kernel tap (i, j) of
/// channel c, or 0 in the padding. Every row is written with contiguous copies (or a strided
/// gather when the width stride is above 1) and fills.
template <class T>
AXON_INLINE_LOOPS void im2col(const T* x, const ConvGeom& g, T* col) {
  const std::size_t ow = g.w.out, p = g.positions(), iw = g.w.in;
  for (std::size_t c = 0; c < g.cg(); ++c) {
    const T* plane = x + c * g.plane();
    for (std::size_t i = 0; i < g.h.k; ++i) {
      const Span sh = span(g.h, i);
      for (std::size_t j = 0; j < g.w.k; ++j) {
        const Span sw = span(g.w, j);
        T* row = col + ((c * g.h.k + i) * g.w.k + j) * p;
        for (std::size_t t = 0; t < sh.lo * ow; ++t) row[t] = T(0);
        const std::size_t lo = sw.lo, hi = sw.hi;
        for (std::size_t y = sh.lo; y < sh.hi; ++y) {
          // Input row y * stride + off (inside [0, h.in) for y in the span).
          const T* src = plane + input_index(y, g.h.stride, sh.off) * iw;
          T* dst = row + y * ow;
          for (std::size_t xo = 0; xo < lo; ++xo) dst[xo] = T(0);
          if (g.w.stride == 1) {
            const T* s = src + input_index(lo, 1, sw.off);  // the input of output lo
            T* d = dst + lo;
            for (std::size_t t = 0; t < hi - lo; ++t) d[t] = s[t];
          } else {
            const std::size_t st = g.w.stride, first = input_index(lo, st, sw.off);
            for (std::size_t xo = lo; xo < hi; ++xo) dst[xo] = src[first + (xo - lo) * st];
          }
          for (std::size_t xo = hi; xo < ow; ++xo) dst[xo] = T(0);
        }
        for (std::size_t t = sh.hi * ow; t < p; ++t) row[t] = T(0);
      }
    }
  }
}

/// The adjoint of im2col: adds every entry of col [cg * h.k * w.k, h.out * w.out] onto the input
/// element it was read from in dx [cg, h.in, w.in] (padding entries are dropped). The order of
/// the additions is fixed (rows in order, positions in order).
template <class T>
void col2im(const T* col, const ConvGeom& g, T* dx) {
  const std::size_t ow = g.w.out, p = g.positions(), iw = g.w.in;
  for (std::size_t c = 0; c < g.cg(); ++c) {
    T* plane = dx + c * g.plane();
    for (std::size_t i = 0; i < g.h.k; ++i) {
      const Span sh = span(g.h, i);
      for (std::size_t j = 0; j < g.w.k; ++j) {
        const Span sw = span(g.w, j);
        const T* row = col + ((c * g.h.k + i) * g.w.k + j) * p;
        for (std::size_t y = sh.lo; y < sh.hi; ++y) {
          T* dst = plane + input_index(y, g.h.stride, sh.off) * iw;
          const T* src = row + y * ow;
          if (g.w.stride == 1) {
            T* d = dst + input_index(sw.lo, 1, sw.off);
            const std::size_t count = sw.hi - sw.lo;
            for (std::size_t t = 0; t < count; ++t) d[t] += src[sw.lo + t];
          } else {
            const std::size_t s = g.w.stride, first = input_index(sw.lo, s, sw.off);
            for (std::size_t xo = sw.lo; xo < sw.hi; ++xo) dst[first + (xo - sw.lo) * s] += src[xo];
          }
        }
      }
    }
  }
}

template <class T>
std::unique_ptr<T[]> scratch(std::size_t n) {
  return std::unique_ptr<T[]>(new T[n == 0 ? 1 : n]);  // uninitialised: always overwritten
}

}  // namespace

std::size_t sample_grain(const ConvGeom& g) {
  const std::size_t flops = 2 * g.o * g.rows() * g.positions();
  return chunks::grain_for(flops, std::size_t{1} << 21);
}

template <class T>
xt::xarray<T> forward(const ConvGeom& g, std::size_t grain, std::size_t nchunks, const T* px,
                      const T* pw, const T* pb, T* saved, const Shape& out_shape) {
  const std::size_t p = g.positions(), k = g.rows(), og = g.og(), cg = g.cg();
  const bool has_bias = pb != nullptr;
  const bool direct = g.direct();
  const std::size_t col_block = k * p;
  xt::xarray<T> out = xt::xarray<T>::from_shape(out_shape);
  {
    T* po = out.data();
    chunks::for_each_chunk(nchunks, [&](std::size_t chunk) {
      const std::size_t begin = chunk * grain, end = std::min(g.n, begin + grain);
      auto col = direct || saved ? nullptr : scratch<T>(col_block);
      for (std::size_t s = begin; s < end; ++s) {
        for (std::size_t grp = 0; grp < g.groups; ++grp) {
          const T* xg = px + (s * g.c + grp * cg) * g.plane();
          const T* cols = xg;
          if (!direct) {
            T* target = saved ? saved + (s * g.groups + grp) * col_block : col.get();
            im2col(xg, g, target);
            cols = target;
          }
          T* yg = po + (s * g.o + grp * og) * p;
          if (has_bias) {
            for (std::size_t oc = 0; oc < og; ++oc) {
              std::fill(yg + oc * p, yg + (oc + 1) * p, pb[grp * og + oc]);
            }
          }
          // y_g = W_g . col (+ b)   [og,k]x[k,p] -> [og,p]
          gemm(Op::none, Op::none, og, p, k, T(1), pw + grp * og * k, cols, has_bias ? T(1) : T(0),
               yg);
        }
      }
    });
  }
  return out;
}

template <class T>
xt::xarray<T> weight_grad(const ConvGeom& g, std::size_t grain, std::size_t nchunks, const T* px,
                          const T* saved, const T* pg, const Shape& w_shape) {
  const std::size_t p = g.positions(), k = g.rows(), og = g.og(), cg = g.cg();
  const bool direct = g.direct();
  // dW_g = sum_s g_{s,g} . col_{s,g}^T   [og,p]x[p,k] -> [og,k], accumulated by the GEMM
  // within a chunk of samples; the chunks' partial sums are then added in chunk order.
  const std::size_t wsize = g.o * k;
  xt::xarray<T> dw = xt::xarray<T>::from_shape(w_shape);
  std::unique_ptr<T[]> partials = nchunks > 1 ? scratch<T>((nchunks - 1) * wsize) : nullptr;
  if (nchunks == 0) std::fill(dw.data(), dw.data() + wsize, T(0));
  chunks::for_each_chunk(nchunks, [&](std::size_t chunk) {
    const std::size_t begin = chunk * grain, end = std::min(g.n, begin + grain);
    T* target = chunk == 0 ? dw.data() : partials.get() + (chunk - 1) * wsize;
    auto col = direct || saved ? nullptr : scratch<T>(k * p);
    for (std::size_t s = begin; s < end; ++s) {
      for (std::size_t grp = 0; grp < g.groups; ++grp) {
        const T* xg = px + (s * g.c + grp * cg) * g.plane();
        const T* cols = xg;
        if (saved) {
          cols = saved + (s * g.groups + grp) * k * p;
        } else if (!direct) {
          im2col(xg, g, col.get());
          cols = col.get();
        }
        gemm(Op::none, Op::trans, og, k, p, T(1), pg + (s * g.o + grp * og) * p, cols,
             s == begin ? T(0) : T(1), target + grp * og * k);
      }
    }
  });
  T* pd = dw.data();
  for (std::size_t chunk = 1; chunk < nchunks; ++chunk) {
    const T* part = partials.get() + (chunk - 1) * wsize;
    for (std::size_t i = 0; i < wsize; ++i) pd[i] += part[i];
  }
  return dw;
}

template <class T>
xt::xarray<T> input_grad(const ConvGeom& g, std::size_t grain, std::size_t nchunks, const T* pw,
                         const T* pg, const Shape& x_shape) {
  const std::size_t p = g.positions(), k = g.rows(), og = g.og(), cg = g.cg();
  const bool direct = g.direct();
  // dcol_{s,g} = W_g^T . g_{s,g}   [k,og]x[og,p] -> [k,p], then col2im onto dx.
  xt::xarray<T> dx = xt::xarray<T>::from_shape(x_shape);
  T* pdx = dx.data();
  if (!direct) std::fill(pdx, pdx + dx.size(), T(0));
  chunks::for_each_chunk(nchunks, [&](std::size_t chunk) {
    const std::size_t begin = chunk * grain, end = std::min(g.n, begin + grain);
    auto dcol = direct ? nullptr : scratch<T>(k * p);
    for (std::size_t s = begin; s < end; ++s) {
      for (std::size_t grp = 0; grp < g.groups; ++grp) {
        T* dxg = pdx + (s * g.c + grp * cg) * g.plane();
        const T* gg = pg + (s * g.o + grp * og) * p;
        const T* wg = pw + grp * og * k;
        if (direct) {
          gemm(Op::trans, Op::none, k, p, og, T(1), wg, gg, T(0), dxg);
        } else {
          gemm(Op::trans, Op::none, k, p, og, T(1), wg, gg, T(0), dcol.get());
          col2im(dcol.get(), g, dxg);
        }
      }
    }
  });
  return dx;
}

#define AXON_CONV_KERNELS(T)                                                                       \
  template xt::xarray<T> forward(const ConvGeom&, std::size_t, std::size_t, const T*, const T*,    \
                                 const T*, T*, const Shape&);                                      \
  template xt::xarray<T> weight_grad(const ConvGeom&, std::size_t, std::size_t, const T*,          \
                                     const T*, const T*, const Shape&);                            \
  template xt::xarray<T> input_grad(const ConvGeom&, std::size_t, std::size_t, const T*, const T*, \
                                    const Shape&);
AXON_CONV_KERNELS(float)
AXON_CONV_KERNELS(double)
#undef AXON_CONV_KERNELS

}  // namespace axon::autograd::conv_kernels
