// SPDX-License-Identifier: MIT
#include "axon/autograd/ops/conv.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "axon/autograd/blas.hpp"
#include "axon/autograd/kernels.hpp"
#include "axon/autograd/ops/instantiate.hpp"
#include "axon/autograd/parallel_for.hpp"

namespace axon::autograd {

namespace {

using blas::gemm;
using blas::Op;

/// One spatial axis of a convolution: input length, kernel extent, stride, padding, dilation and
/// the output length they give.
struct Axis {
  std::size_t in = 1, k = 1, stride = 1, pad = 0, dil = 1, out = 1;
};

/// The outputs o in [lo, hi) whose input index o * stride + off lies inside [0, in); the others
/// read padding. `off` = kernel tap * dilation - padding.
struct Span {
  std::size_t lo = 0, hi = 0;
  std::ptrdiff_t off = 0;
};

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

/// The whole problem: x [n, c, h.in, w.in], weight [o, c/groups, h.k, w.k] -> [n, o, h.out, w.out].
/// A 1-D convolution is the 2-D one with a height axis of length 1.
struct ConvGeom {
  std::size_t n = 0, c = 0, o = 0, groups = 1;
  Axis h, w;
  std::size_t cg() const { return c / groups; }            // input channels per group
  std::size_t og() const { return o / groups; }            // output channels per group
  std::size_t rows() const { return cg() * h.k * w.k; }    // rows of a column matrix (GEMM's K)
  std::size_t positions() const { return h.out * w.out; }  // output positions (GEMM's N)
  std::size_t plane() const { return h.in * w.in; }
  /// A 1x1 kernel with stride 1 and no padding reads every input element once, in place: the
  /// input block of a group already is its column matrix.
  bool direct() const {
    return h.k == 1 && w.k == 1 && h.stride == 1 && w.stride == 1 && h.pad == 0 && w.pad == 0;
  }
};

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

/// Samples per parallel chunk: enough that a chunk is worth a task (about 2 MFLOP of GEMM work).
/// Fixed by the shapes alone, so the chunking (and the order of the weight-gradient sums) is the
/// same on every machine and thread count.
std::size_t sample_grain(const ConvGeom& g) {
  const std::size_t flops = 2 * g.o * g.rows() * g.positions();
  return chunks::grain_for(flops, std::size_t{1} << 21);
}

/// Column matrices up to this many elements (64 MB of floats) are kept from forward to backward.
constexpr std::size_t kMaxSavedColumns = std::size_t{1} << 24;

template <class T>
std::unique_ptr<T[]> scratch(std::size_t n) {
  return std::unique_ptr<T[]>(new T[n == 0 ? 1 : n]);  // uninitialised: always overwritten
}

/// The backward of conv1d and conv2d: the inputs, the geometry, the sample chunking of the
/// forward and (when kept) its column matrices; one named part per gradient.
template <class T>
struct ConvBackward {
  std::shared_ptr<TensorImpl<T>> x, weight, bias;  // bias null without one
  ConvGeom g;
  std::size_t grain, nchunks;
  std::shared_ptr<T[]> saved;  // the forward's column matrices, or null
  void operator()(const xt::xarray<T>& grad, const xt::xarray<T>& out) const;
  /// db[o] = sum over samples (in order) of the sum over positions (fixed order).
  void bias_grad(const T* pg) const;
  /// dW_g = sum_s g_{s,g} . col_{s,g}^T, summed per chunk of samples, then over chunks in order.
  void weight_grad(const T* pg) const;
  /// dcol_{s,g} = W_g^T . g_{s,g}, then col2im onto dx.
  void input_grad(const T* pg) const;
};

template <class T>
BasicTensor<T> convolution(const char* op, const BasicTensor<T>& x, const BasicTensor<T>& weight,
                           const BasicTensor<T>& bias, const ConvGeom& g, const Shape& out_shape) {
  const std::size_t p = g.positions(), k = g.rows(), og = g.og(), cg = g.cg();
  const std::size_t grain = sample_grain(g);
  const std::size_t nchunks = chunks::chunk_count(g.n, grain);
  const bool has_bias = bias.defined();
  const bool direct = g.direct();
  // The column matrices are kept for the weight gradient when it will be needed and they are
  // not too large (then backward unfolds the input again instead).
  const std::size_t col_block = k * p, col_total = g.n * g.groups * col_block;
  std::shared_ptr<T[]> saved;
  if (!direct && grad_enabled() && weight.requires_grad() && col_total <= kMaxSavedColumns) {
    saved = std::shared_ptr<T[]>(new T[col_total == 0 ? 1 : col_total]);
  }

  xt::xarray<T> out = xt::xarray<T>::from_shape(out_shape);
  {
    const T* px = x.data_ptr();
    const T* pw = weight.data_ptr();
    const T* pb = has_bias ? bias.data_ptr() : nullptr;
    T* po = out.data();
    chunks::for_each_chunk(nchunks, [&](std::size_t chunk) {
      const std::size_t begin = chunk * grain, end = std::min(g.n, begin + grain);
      auto col = direct || saved ? nullptr : scratch<T>(col_block);
      for (std::size_t s = begin; s < end; ++s) {
        for (std::size_t grp = 0; grp < g.groups; ++grp) {
          const T* xg = px + (s * g.c + grp * cg) * g.plane();
          const T* cols = xg;
          if (!direct) {
            T* target = saved ? saved.get() + (s * g.groups + grp) * col_block : col.get();
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

  ConvBackward<T> backward{x.impl_ptr(), weight.impl_ptr(), bias.impl_ptr(), g,
                           grain,        nchunks,           std::move(saved)};
  if (has_bias) {
    return make_result<T>(op, std::move(out), {&x, &weight, &bias}, std::move(backward));
  }
  return make_result<T>(op, std::move(out), {&x, &weight}, std::move(backward));
}

template <class T>
void ConvBackward<T>::operator()(const xt::xarray<T>& grad, const xt::xarray<T>&) const {
  if (bias && bias->requires_grad) bias_grad(grad.data());
  if (weight->requires_grad) weight_grad(grad.data());
  if (x->requires_grad) input_grad(grad.data());
}

template <class T>
void ConvBackward<T>::bias_grad(const T* pg) const {
  const std::size_t p = g.positions();
  // db[o] = sum over samples (in order) of the sum over positions (fixed order).
  xt::xarray<T> db = xt::zeros<T>({g.o});
  T* pd = db.data();
  for (std::size_t s = 0; s < g.n; ++s) {
    for (std::size_t oc = 0; oc < g.o; ++oc) {
      const T* row = pg + (s * g.o + oc) * p;
      pd[oc] += kernels::ordered_sum<T>(p, [row](std::size_t i) { return row[i]; });
    }
  }
  accumulate_grad(*bias, std::move(db));
}

template <class T>
void ConvBackward<T>::weight_grad(const T* pg) const {
  const std::size_t p = g.positions(), k = g.rows(), og = g.og(), cg = g.cg();
  const bool direct = g.direct();
  const T* px = x->value.data();
  // dW_g = sum_s g_{s,g} . col_{s,g}^T   [og,p]x[p,k] -> [og,k], accumulated by the GEMM
  // within a chunk of samples; the chunks' partial sums are then added in chunk order.
  const std::size_t wsize = g.o * k;
  xt::xarray<T> dw = xt::xarray<T>::from_shape(weight->value.shape());
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
          cols = saved.get() + (s * g.groups + grp) * k * p;
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
  accumulate_grad(*weight, std::move(dw));
}

template <class T>
void ConvBackward<T>::input_grad(const T* pg) const {
  const std::size_t p = g.positions(), k = g.rows(), og = g.og(), cg = g.cg();
  const bool direct = g.direct();
  const T* pw = weight->value.data();
  // dcol_{s,g} = W_g^T . g_{s,g}   [k,og]x[og,p] -> [k,p], then col2im onto dx.
  xt::xarray<T> dx = xt::xarray<T>::from_shape(x->value.shape());
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
  accumulate_grad(*x, std::move(dx));
}

// ---- argument checks -------------------------------------------------------------------------

void check_arguments(const char* op, const std::string& stride, bool stride_ok,
                     const std::string& padding, bool padding_ok, const std::string& dilation,
                     bool dilation_ok, long groups) {
  const std::string o(op);
  if (!stride_ok) throw ValueError(o + ": stride must be >= 1, got " + stride);
  if (!padding_ok) throw ValueError(o + ": padding must be >= 0, got " + padding);
  if (!dilation_ok) throw ValueError(o + ": dilation must be >= 1, got " + dilation);
  if (groups < 1) throw ValueError(o + ": groups must be >= 1, got " + std::to_string(groups));
}

/// Checks ranks, channels, groups and bias; fills n, c, o, groups and the kernel extents.
template <class T>
ConvGeom check_shapes(const char* op, std::size_t spatial, const BasicTensor<T>& x,
                      const BasicTensor<T>& weight, const BasicTensor<T>& bias, long groups) {
  const Shape& sx = x.shape();
  const Shape& sw = weight.shape();
  const std::string where =
      std::string(op) + ": input " + shape_str(sx) + ", weight " + shape_str(sw) + ": ";
  const std::string axes = spatial == 1 ? "L" : "H, W";
  const std::string kaxes = spatial == 1 ? "kL" : "kH, kW";
  if (sx.size() != spatial + 2) {
    throw ShapeError(where + "input must be " + std::to_string(spatial + 2) + "-D [N, C, " + axes +
                     "]");
  }
  if (sw.size() != spatial + 2) {
    throw ShapeError(where + "weight must be " + std::to_string(spatial + 2) +
                     "-D [out_channels, in_channels/groups, " + kaxes + "]");
  }
  ConvGeom g;
  g.n = sx[0];
  g.c = sx[1];
  g.o = sw[0];
  g.groups = static_cast<std::size_t>(groups);
  if (g.c % g.groups != 0) {
    throw ShapeError(where + "groups=" + std::to_string(groups) + " does not divide the " +
                     std::to_string(g.c) + " input channels");
  }
  if (g.o % g.groups != 0) {
    throw ShapeError(where + "groups=" + std::to_string(groups) + " does not divide the " +
                     std::to_string(g.o) + " output channels");
  }
  if (sw[1] * g.groups != g.c) {
    throw ShapeError(where + "input has " + std::to_string(g.c) + " channels, weight expects " +
                     std::to_string(sw[1] * g.groups) + " (" + std::to_string(sw[1]) +
                     " per group x " + std::to_string(groups) + " groups)");
  }
  if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != g.o)) {
    throw ShapeError(std::string(op) + ": weight " + shape_str(sw) + ", bias " +
                     shape_str(bias.shape()) + ": bias must be [" + std::to_string(g.o) + "]");
  }
  return g;
}

/// Fills the output length of one axis, or throws when the dilated kernel does not fit.
void fit_axis(const char* op, const Shape& sx, const Shape& sw, const char* axis_name, Axis& a) {
  const std::string where =
      std::string(op) + ": input " + shape_str(sx) + ", weight " + shape_str(sw) + ": ";
  // A huge padding or dilation must not wrap these sizes around: the kernel would then be taken
  // to fit and read outside the input. The bound keeps span()'s signed arithmetic in range.
  constexpr auto max_padded = static_cast<std::size_t>(PTRDIFF_MAX / 2);
  std::size_t padded = 0;
  if (__builtin_mul_overflow(a.pad, std::size_t{2}, &padded) ||
      __builtin_add_overflow(padded, a.in, &padded) || padded > max_padded) {
    throw ValueError(where + "padding " + std::to_string(a.pad) + " is too large");
  }
  // The dilated extent dil (k - 1) + 1 fits when dil (k - 1) <= padded - 1.
  const bool fits = a.k > 0 && padded > 0 && (a.k == 1 || a.dil <= (padded - 1) / (a.k - 1));
  if (!fits) {
    std::size_t extent = 0;
    const bool huge = a.k > 0 && __builtin_mul_overflow(a.dil, a.k - 1, &extent);
    throw ShapeError(where + "kernel " + axis_name + " " + std::to_string(a.k) + " (dilated " +
                     (a.k == 0 ? std::string("0")
                      : huge   ? std::string("beyond 2^64")
                               : std::to_string(extent + 1)) +
                     ") does not fit the padded input " + axis_name + " " + std::to_string(padded));
  }
  const std::size_t extent = a.dil * (a.k - 1) + 1;
  a.out = (padded - extent) / a.stride + 1;
}

}  // namespace

template <class T>
BasicTensor<T> conv1d(const BasicTensor<T>& x, const BasicTensor<T>& weight,
                      const BasicTensor<T>& bias, long stride, long padding, long dilation,
                      long groups) {
  const char* op = "conv1d";
  check_arguments(op, std::to_string(stride), stride >= 1, std::to_string(padding), padding >= 0,
                  std::to_string(dilation), dilation >= 1, groups);
  ConvGeom g = check_shapes(op, 1, x, weight, bias, groups);
  const Shape& sx = x.shape();
  const Shape& sw = weight.shape();
  g.w = Axis{sx[2],
             sw[2],
             static_cast<std::size_t>(stride),
             static_cast<std::size_t>(padding),
             static_cast<std::size_t>(dilation),
             0};
  fit_axis(op, sx, sw, "length", g.w);
  const Shape out_shape{g.n, g.o, g.w.out};
  checked_numel(out_shape, op);
  return convolution(op, x, weight, bias, g, out_shape);
}

template <class T>
BasicTensor<T> conv2d(const BasicTensor<T>& x, const BasicTensor<T>& weight,
                      const BasicTensor<T>& bias, Size2 stride, Size2 padding, Size2 dilation,
                      long groups) {
  const char* op = "conv2d";
  check_arguments(op, stride.str(), stride.h >= 1 && stride.w >= 1, padding.str(),
                  padding.h >= 0 && padding.w >= 0, dilation.str(),
                  dilation.h >= 1 && dilation.w >= 1, groups);
  ConvGeom g = check_shapes(op, 2, x, weight, bias, groups);
  const Shape& sx = x.shape();
  const Shape& sw = weight.shape();
  const auto u = [](long v) { return static_cast<std::size_t>(v); };
  g.h = Axis{sx[2], sw[2], u(stride.h), u(padding.h), u(dilation.h), 0};
  g.w = Axis{sx[3], sw[3], u(stride.w), u(padding.w), u(dilation.w), 0};
  fit_axis(op, sx, sw, "height", g.h);
  fit_axis(op, sx, sw, "width", g.w);
  const Shape out_shape{g.n, g.o, g.h.out, g.w.out};
  checked_numel(out_shape, op);
  return convolution(op, x, weight, bias, g, out_shape);
}

AXON_INSTANTIATE_OPS(conv1d, conv2d)

}  // namespace axon::autograd
