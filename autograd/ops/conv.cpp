// SPDX-License-Identifier: MIT
#include "axon/autograd/ops/conv.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "axon/autograd/kernels.hpp"
#include "axon/autograd/ops/conv_kernels.hpp"
#include "axon/autograd/ops/instantiate.hpp"
#include "axon/autograd/ops/reductions.hpp"
#include "axon/autograd/parallel_for.hpp"

namespace axon::autograd {

namespace {

using conv_kernels::Axis;
using conv_kernels::ConvGeom;
using conv_kernels::kMaxSavedColumns;
using conv_kernels::sample_grain;

/// The recorded ops of the family (defined below the backward).
template <class T>
BasicTensor<T> conv_input_grad(const BasicTensor<T>& g, const BasicTensor<T>& w,
                               const ConvGeom& geom, const Shape& x_shape);
template <class T>
BasicTensor<T> conv_weight_grad(const BasicTensor<T>& x, const BasicTensor<T>& g,
                                const ConvGeom& geom, const Shape& w_shape);

/// The backward of conv1d and conv2d: the inputs, the geometry, the sample chunking of the
/// forward and (when kept) its column matrices; one named part per gradient.
template <class T>
struct ConvBackward {
  std::shared_ptr<TensorImpl<T>> x, weight, bias;  // bias null without one
  ConvGeom g;
  std::size_t grain, nchunks;
  std::shared_ptr<T[]> saved;  // the forward's column matrices, or null
  void operator()(const xt::xarray<T>& grad, const xt::xarray<T>& out) const;
  /// The recorded backward (create_graph): db = sum of g, dW = conv_weight_grad(x, g) and
  /// dx = conv_input_grad(g, W), each a recorded op of the closed family below.
  void operator()(const BasicTensor<T>& grad, const BasicTensor<T>& out) const;
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
  const std::size_t grain = sample_grain(g);
  const std::size_t nchunks = chunks::chunk_count(g.n, grain);
  const bool has_bias = bias.defined();
  const bool direct = g.direct();
  // The column matrices are kept for the weight gradient when it will be needed and they are
  // not too large (then backward unfolds the input again instead).
  const std::size_t col_block = g.rows() * g.positions(), col_total = g.n * g.groups * col_block;
  std::shared_ptr<T[]> saved;
  if (!direct && grad_enabled() && weight.requires_grad() && col_total <= kMaxSavedColumns) {
    saved = std::shared_ptr<T[]>(new T[col_total == 0 ? 1 : col_total]);
  }

  xt::xarray<T> out =
      conv_kernels::forward(g, grain, nchunks, x.data_ptr(), weight.data_ptr(),
                            has_bias ? bias.data_ptr() : nullptr, saved.get(), out_shape);

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
  accumulate_grad(*weight, conv_kernels::weight_grad(g, grain, nchunks, x->value.data(),
                                                     saved.get(), pg, weight->value.shape()));
}

template <class T>
void ConvBackward<T>::input_grad(const T* pg) const {
  accumulate_grad(
      *x, conv_kernels::input_grad(g, grain, nchunks, weight->value.data(), pg, x->value.shape()));
}

// ---- the recorded backward: a closed family of ops -------------------------------------------
// With y = A_W x the convolution (linear in x and in W), dx = A_W^T g (conv_input_grad, linear
// in g and in W) and dW = conv_weight_grad(x, g) (linear in x and in g). Differentiating any of
// the three gives the other two, so the family differentiates to any order. The array branches
// serve a first-order backward through a graph that a create_graph pass recorded.

template <class T>
void ConvBackward<T>::operator()(const BasicTensor<T>& grad, const BasicTensor<T>&) const {
  if (bias && bias->requires_grad) {
    std::vector<int> axes{0};  // db = sum of g over N and the spatial axes
    for (int d = 2; d < static_cast<int>(grad.dim()); ++d) axes.push_back(d);
    detail::add_grad(bias, sum(grad, axes, false));
  }
  if (weight->requires_grad) {
    detail::add_grad(weight, conv_weight_grad(BasicTensor<T>(x), grad, g, weight->value.shape()));
  }
  if (x->requires_grad) {
    detail::add_grad(x, conv_input_grad(grad, BasicTensor<T>(weight), g, x->value.shape()));
  }
}

/// conv(x, w) without bias as a recorded op of x and w (of any output shape the geometry gives).
template <class T>
BasicTensor<T> conv_no_bias(const BasicTensor<T>& x, const BasicTensor<T>& w, const ConvGeom& geom,
                            const Shape& out_shape) {
  return convolution("conv", x, w, BasicTensor<T>(), geom, out_shape);
}

template <class T>
BasicTensor<T> conv_input_grad(const BasicTensor<T>& g, const BasicTensor<T>& w,
                               const ConvGeom& geom, const Shape& x_shape) {
  const std::size_t grain = sample_grain(geom), nchunks = chunks::chunk_count(geom.n, grain);
  xt::xarray<T> dx =
      conv_kernels::input_grad(geom, grain, nchunks, w.data_ptr(), g.data_ptr(), x_shape);
  return make_result<T>(
      "conv_input_grad", std::move(dx), {&g, &w},
      [ig = g.impl_ptr(), iw = w.impl_ptr(), geom, grain, nchunks](const auto& d,
                                                                   const auto&) -> void {
        // <d, A_W^T g> = <A_W d, g>: dg = conv(d, W), dW = conv_weight_grad(d, g)
        const Shape& gs = ig->value.shape();
        if constexpr (detail::is_tensor_v<std::decay_t<decltype(d)>>) {
          if (ig->requires_grad) {
            detail::add_grad(ig, conv_no_bias(d, BasicTensor<T>(iw), geom, gs));
          }
          if (iw->requires_grad) {
            detail::add_grad(iw, conv_weight_grad(d, BasicTensor<T>(ig), geom, iw->value.shape()));
          }
        } else {
          if (ig->requires_grad) {
            accumulate_grad(*ig, conv_kernels::forward<T>(geom, grain, nchunks, d.data(),
                                                          iw->value.data(), nullptr, nullptr, gs));
          }
          if (iw->requires_grad) {
            accumulate_grad(*iw,
                            conv_kernels::weight_grad<T>(geom, grain, nchunks, d.data(), nullptr,
                                                         ig->value.data(), iw->value.shape()));
          }
        }
      });
}

template <class T>
BasicTensor<T> conv_weight_grad(const BasicTensor<T>& x, const BasicTensor<T>& g,
                                const ConvGeom& geom, const Shape& w_shape) {
  const std::size_t grain = sample_grain(geom), nchunks = chunks::chunk_count(geom.n, grain);
  xt::xarray<T> dw = conv_kernels::weight_grad<T>(geom, grain, nchunks, x.data_ptr(), nullptr,
                                                  g.data_ptr(), w_shape);
  return make_result<T>(
      "conv_weight_grad", std::move(dw), {&x, &g},
      [ix = x.impl_ptr(), ig = g.impl_ptr(), geom, grain, nchunks](const auto& d,
                                                                   const auto&) -> void {
        // <d, dW(x, g)> = <A_d x, g>: dg = conv(x, d), dx = conv_input_grad(g, d)
        const Shape& gs = ig->value.shape();
        if constexpr (detail::is_tensor_v<std::decay_t<decltype(d)>>) {
          if (ig->requires_grad) {
            detail::add_grad(ig, conv_no_bias(BasicTensor<T>(ix), d, geom, gs));
          }
          if (ix->requires_grad) {
            detail::add_grad(ix, conv_input_grad(BasicTensor<T>(ig), d, geom, ix->value.shape()));
          }
        } else {
          if (ig->requires_grad) {
            accumulate_grad(*ig, conv_kernels::forward<T>(geom, grain, nchunks, ix->value.data(),
                                                          d.data(), nullptr, nullptr, gs));
          }
          if (ix->requires_grad) {
            accumulate_grad(*ix, conv_kernels::input_grad<T>(geom, grain, nchunks, d.data(),
                                                             ig->value.data(), ix->value.shape()));
          }
        }
      });
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
