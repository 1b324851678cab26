// SPDX-License-Identifier: MIT
// batch_norm and layer_norm: one fused forward pass each (two-pass mean and variance accumulated
// in double) and a closed-form backward that reuses the saved normalised input xh and 1/std.
#include "axon/autograd/ops/normalization.hpp"

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/autograd/operators.hpp"
#include "axon/autograd/ops/elementwise.hpp"
#include "axon/autograd/ops/instantiate.hpp"
#include "axon/autograd/ops/reductions.hpp"
#include "axon/autograd/ops/shape.hpp"

namespace axon::autograd {

namespace {

/// x seen as [N, C, S]: S = 1 for [N,C], L for [N,C,L], H*W for [N,C,H,W].
struct ChannelLayout {
  std::size_t n = 0, c = 0, s = 1;
  std::size_t per_channel() const { return n * s; }
};

/// sum of f(j) for j in [0, n), in double, with eight interleaved partial sums so that the loop
/// vectorises (a fixed order: the result does not depend on anything but the data).
template <class F>
double lane_sum(std::size_t n, F f) {
  double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    for (std::size_t k = 0; k < 8; ++k) lanes[k] += f(j + k);
  }
  double tail = 0.0;
  for (; j < n; ++j) tail += f(j);
  return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
         ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7])) + tail;
}

/// acc[c] += f(i) for every element i of channel c. Inner loops run over contiguous memory:
/// across channels when S = 1, along S otherwise.
template <class F>
void channel_sums(const ChannelLayout& L, double* acc, F f) {
  if (L.s == 1) {
    for (std::size_t n = 0; n < L.n; ++n) {
      const std::size_t row = n * L.c;
      for (std::size_t c = 0; c < L.c; ++c) acc[c] += f(row + c, c);
    }
    return;
  }
  for (std::size_t n = 0; n < L.n; ++n) {
    for (std::size_t c = 0; c < L.c; ++c) {
      const std::size_t base = (n * L.c + c) * L.s;
      acc[c] += lane_sum(L.s, [&f, base, c](std::size_t j) { return f(base + j, c); });
    }
  }
}

/// out[i] = a[c] * u[i] + b[c] * v[i] + k[c] for every element i of channel c (v may be null).
template <class T>
void channel_affine(const ChannelLayout& L, const T* u, const T* v, const T* a, const T* b,
                    const T* k, T* out) {
  if (L.s == 1) {
    for (std::size_t n = 0; n < L.n; ++n) {
      const std::size_t row = n * L.c;
      if (v) {
        for (std::size_t c = 0; c < L.c; ++c) {
          out[row + c] = a[c] * u[row + c] + b[c] * v[row + c] + k[c];
        }
      } else {
        for (std::size_t c = 0; c < L.c; ++c) out[row + c] = a[c] * u[row + c] + k[c];
      }
    }
    return;
  }
  for (std::size_t n = 0; n < L.n; ++n) {
    for (std::size_t c = 0; c < L.c; ++c) {
      const std::size_t base = (n * L.c + c) * L.s;
      const T ac = a[c], bc = b ? b[c] : T(0), kc = k[c];
      if (v) {
        for (std::size_t j = 0; j < L.s; ++j) {
          out[base + j] = ac * u[base + j] + bc * v[base + j] + kc;
        }
      } else {
        for (std::size_t j = 0; j < L.s; ++j) out[base + j] = ac * u[base + j] + kc;
      }
    }
  }
}

/// Checks that a [C] argument of batch_norm is absent or has C values.
template <class T>
void check_channel_vector(const BasicTensor<T>& t, const char* name, const Shape& x_shape,
                          std::size_t channels) {
  if (t.defined() && (t.dim() != 1 || t.numel() != channels)) {
    throw ShapeError("batch_norm: " + std::string(name) + " " + shape_str(t.shape()) +
                     " for input " + shape_str(x_shape) + ": expected [" +
                     std::to_string(channels) + "] (one value per channel)");
  }
}

/// The inputs that are present, for make_result.
template <class T>
std::vector<BasicTensor<T>> present(std::initializer_list<const BasicTensor<T>*> tensors) {
  std::vector<BasicTensor<T>> out;
  for (const BasicTensor<T>* t : tensors) {
    if (t->defined()) out.push_back(*t);
  }
  return out;
}

}  // namespace

/// batch_norm's backward: the inputs, the normalised input and the statistics it reads, and its
/// rule.
template <class T>
struct BatchNormBackward {
  std::shared_ptr<TensorImpl<T>> x, weight, bias;  // weight and bias null when absent
  std::shared_ptr<xt::xarray<T>> xh;               // the normalised input
  xt::xarray<T> invstd;                            // [C]
  ChannelLayout L;
  std::size_t m;  // elements per channel
  bool training;
  double eps;  // read by the recorded backward only, which recomputes the statistics
  void operator()(const xt::xarray<T>& g, const xt::xarray<T>& out) const;
  void operator()(const BasicTensor<T>& g, const BasicTensor<T>& out) const;
};

template <class T>
BasicTensor<T> batch_norm(const BasicTensor<T>& x, const BasicTensor<T>& weight,
                          const BasicTensor<T>& bias, const BasicTensor<T>& running_mean,
                          const BasicTensor<T>& running_var, bool training, double momentum,
                          double eps) {
  const Shape& shape = x.shape();
  if (shape.size() < 2 || shape.size() > 4) {
    throw ShapeError("batch_norm: input " + shape_str(shape) +
                     ": expected [N,C], [N,C,L] or [N,C,H,W]");
  }
  ChannelLayout L{shape[0], shape[1], 1};
  for (std::size_t d = 2; d < shape.size(); ++d) L.s *= shape[d];
  check_channel_vector(weight, "weight", shape, L.c);
  check_channel_vector(bias, "bias", shape, L.c);
  check_channel_vector(running_mean, "running_mean", shape, L.c);
  check_channel_vector(running_var, "running_var", shape, L.c);
  if (!(eps > 0.0)) {
    throw ValueError("batch_norm: eps must be > 0 (got " + std::to_string(eps) + ")");
  }
  if (!(momentum >= 0.0 && momentum <= 1.0)) {
    throw ValueError("batch_norm: momentum must be in [0, 1] (got " + std::to_string(momentum) +
                     ")");
  }
  if (running_mean.defined() != running_var.defined()) {
    throw ValueError("batch_norm: give both running_mean and running_var or neither");
  }
  const std::size_t m = L.per_channel();
  if (training && m <= 1) {
    throw ValueError("batch_norm: input " + shape_str(shape) +
                     ": expected more than 1 value per channel when training");
  }
  if (!training && !running_mean.defined()) {
    throw ValueError("batch_norm: input " + shape_str(shape) +
                     ": evaluation mode needs running_mean and running_var");
  }

  // Per-channel mean and 1/std: this batch's (training) or the running ones.
  xt::xarray<T> invstd = xt::xarray<T>::from_shape({L.c});
  xt::xarray<T> shift = xt::xarray<T>::from_shape({L.c});  // -mean * invstd
  const T* px = x.data_ptr();
  if (training) {
    std::vector<double> mean(L.c, 0.0), var(L.c, 0.0);
    channel_sums(L, mean.data(), [px](std::size_t i, std::size_t) { return double(px[i]); });
    for (double& v : mean) v /= double(m);
    channel_sums(L, var.data(), [px, &mean](std::size_t i, std::size_t c) {
      const double d = double(px[i]) - mean[c];
      return d * d;
    });
    for (std::size_t c = 0; c < L.c; ++c) {
      const double biased = var[c] / double(m);
      invstd[c] = T(1.0 / std::sqrt(biased + eps));
      shift[c] = T(-mean[c]) * invstd[c];
    }
    if (running_mean.defined()) {
      // In place on the buffers (they are not recorded): unbiased variance, as PyTorch.
      T* rm = BasicTensor<T>(running_mean).mutable_data_ptr();
      T* rv = BasicTensor<T>(running_var).mutable_data_ptr();
      for (std::size_t c = 0; c < L.c; ++c) {
        const double unbiased = var[c] / double(m - 1);
        rm[c] = T((1 - momentum) * double(rm[c]) + momentum * mean[c]);
        rv[c] = T((1 - momentum) * double(rv[c]) + momentum * unbiased);
      }
    }
  } else {
    const T* rm = running_mean.data_ptr();
    const T* rv = running_var.data_ptr();
    for (std::size_t c = 0; c < L.c; ++c) {
      invstd[c] = T(1.0 / std::sqrt(double(rv[c]) + eps));
      shift[c] = -rm[c] * invstd[c];
    }
  }

  // xh = x * invstd + shift; y = xh * weight + bias = x * (weight invstd) + (shift weight + bias).
  auto xh = std::make_shared<xt::xarray<T>>(xt::xarray<T>::from_shape(shape));
  channel_affine<T>(L, px, nullptr, invstd.data(), nullptr, shift.data(), xh->data());
  xt::xarray<T> scale = invstd, offset = shift;
  for (std::size_t c = 0; c < L.c; ++c) {
    const T w = weight.defined() ? weight.data_ptr()[c] : T(1);
    const T b = bias.defined() ? bias.data_ptr()[c] : T(0);
    scale[c] = w * invstd[c];
    offset[c] = w * shift[c] + b;
  }
  xt::xarray<T> out = xt::xarray<T>::from_shape(shape);
  channel_affine<T>(L, px, nullptr, scale.data(), nullptr, offset.data(), out.data());

  return make_result<T>(
      "batch_norm", std::move(out), present<T>({&x, &weight, &bias}),
      BatchNormBackward<T>{x.impl_ptr(), weight.defined() ? weight.impl_ptr() : nullptr,
                           bias.defined() ? bias.impl_ptr() : nullptr, xh, std::move(invstd), L, m,
                           training, eps});
}

template <class T>
void BatchNormBackward<T>::operator()(const xt::xarray<T>& g, const xt::xarray<T>&) const {
  const T* pg = g.data();
  const T* ph = xh->data();
  // Per channel: sum(g) and sum(g xh), over every axis but 1.
  std::vector<double> sum_g(L.c, 0.0), sum_gh(L.c, 0.0);
  channel_sums(L, sum_g.data(), [pg](std::size_t i, std::size_t) { return double(pg[i]); });
  channel_sums(L, sum_gh.data(),
               [pg, ph](std::size_t i, std::size_t) { return double(pg[i]) * double(ph[i]); });
  if (x->requires_grad) {
    // training: dx = a g - (a/M) sum(g) - (a/M) sum(g xh) xh, a = weight invstd (per channel);
    // eval: the statistics are constants, dx = a g.
    xt::xarray<T> a = xt::xarray<T>::from_shape({L.c});
    xt::xarray<T> b = xt::zeros<T>({L.c});
    xt::xarray<T> k = xt::zeros<T>({L.c});
    for (std::size_t c = 0; c < L.c; ++c) {
      const double w = weight ? double(weight->value.data()[c]) : 1.0;
      const double ac = w * double(invstd[c]);
      a[c] = T(ac);
      if (training) {
        b[c] = T(-ac * sum_gh[c] / double(m));
        k[c] = T(-ac * sum_g[c] / double(m));
      }
    }
    xt::xarray<T> dx = xt::xarray<T>::from_shape(g.shape());
    channel_affine<T>(L, pg, training ? ph : nullptr, a.data(), b.data(), k.data(), dx.data());
    accumulate_grad(*x, std::move(dx));
  }
  if (weight && weight->requires_grad) {
    xt::xarray<T> dw = xt::xarray<T>::from_shape({L.c});
    for (std::size_t c = 0; c < L.c; ++c) dw[c] = T(sum_gh[c]);
    accumulate_grad(*weight, std::move(dw));
  }
  if (bias && bias->requires_grad) {
    xt::xarray<T> db = xt::xarray<T>::from_shape({L.c});
    for (std::size_t c = 0; c < L.c; ++c) db[c] = T(sum_g[c]);
    accumulate_grad(*bias, std::move(db));
  }
}

template <class T>
void BatchNormBackward<T>::operator()(const BasicTensor<T>& g, const BasicTensor<T>&) const {
  // Recorded: the same rule in recorded ops on [N, C, S], with [1, C, 1] per-channel vectors. In
  // training the statistics are recomputed on the tape (they depend on x); in evaluation they
  // are constants and xh = (x - x0) invstd + xh0 (x0, xh0: the saved values, constants) has
  // xh's value and its derivative invstd.
  const long n = static_cast<long>(L.n), c = static_cast<long>(L.c), s = static_cast<long>(L.s);
  const std::vector<long> block{n, c, s}, channel{1, c, 1};
  const Shape& shape = x->value.shape();
  const BasicTensor<T> x3 = reshape(BasicTensor<T>(x), block);
  const BasicTensor<T> g3 = reshape(g, block);
  BasicTensor<T> xh3, is3;
  if (training) {
    const BasicTensor<T> centred = x3 - mean(x3, {0, 2}, true);
    is3 = pow(mean(centred * centred, {0, 2}, true) + T(eps), T(-0.5));
    xh3 = centred * is3;
  } else {
    is3 = reshape(BasicTensor<T>(invstd), channel);
    const BasicTensor<T> x0(x->value), xh0(*xh);
    xh3 = reshape((BasicTensor<T>(x) - x0), block) * is3 + reshape(xh0, block);
  }
  if (x->requires_grad) {
    // dx = a (g - mean(g) - xh mean(g xh)) in training, a g in evaluation; a = weight invstd.
    const BasicTensor<T> a =
        weight ? reshape(BasicTensor<T>(weight), channel) * is3 : BasicTensor<T>(is3);
    const BasicTensor<T> inner =
        training ? g3 - mean(g3, {0, 2}, true) - xh3 * mean(g3 * xh3, {0, 2}, true) : g3;
    detail::add_grad(x, reshape(a * inner, std::vector<long>(shape.begin(), shape.end())));
  }
  if (weight && weight->requires_grad) detail::add_grad(weight, sum(g3 * xh3, {0, 2}));
  if (bias && bias->requires_grad) detail::add_grad(bias, sum(g3, {0, 2}));
}

/// layer_norm's backward: the inputs, the normalised input and the statistics it reads, and its
/// rule.
template <class T>
struct LayerNormBackward {
  std::shared_ptr<TensorImpl<T>> x, weight, bias;  // weight and bias null when absent
  std::shared_ptr<xt::xarray<T>> xh;               // the normalised input
  std::shared_ptr<std::vector<T>> invstd;          // per row
  std::size_t rows, d;
  double eps;  // read by the recorded backward only, which recomputes the statistics
  void operator()(const xt::xarray<T>& g, const xt::xarray<T>& out) const;
  void operator()(const BasicTensor<T>& g, const BasicTensor<T>& out) const;
};

template <class T>
BasicTensor<T> layer_norm(const BasicTensor<T>& x, const std::vector<std::size_t>& normalized_shape,
                          const BasicTensor<T>& weight, const BasicTensor<T>& bias, double eps) {
  const Shape& shape = x.shape();
  const Shape norm(normalized_shape.begin(), normalized_shape.end());
  if (norm.empty()) throw ValueError("layer_norm: normalized_shape is empty");
  bool ends_with = norm.size() <= shape.size();
  for (std::size_t i = 0; ends_with && i < norm.size(); ++i) {
    ends_with = shape[shape.size() - norm.size() + i] == norm[i];
  }
  if (!ends_with) {
    throw ShapeError("layer_norm: input " + shape_str(shape) + " does not end with " +
                     "normalized_shape " + shape_str(norm));
  }
  if (weight.defined() && weight.shape() != norm) {
    throw ShapeError("layer_norm: weight " + shape_str(weight.shape()) + " for normalized_shape " +
                     shape_str(norm) + " (input " + shape_str(shape) + ")");
  }
  if (bias.defined() && bias.shape() != norm) {
    throw ShapeError("layer_norm: bias " + shape_str(bias.shape()) + " for normalized_shape " +
                     shape_str(norm) + " (input " + shape_str(shape) + ")");
  }
  if (!(eps > 0.0)) {
    throw ValueError("layer_norm: eps must be > 0 (got " + std::to_string(eps) + ")");
  }
  const std::size_t d = shape_numel(norm);
  const std::size_t rows = d == 0 ? 0 : x.numel() / d;

  // Per row: xh = (x - mean) * invstd, y = xh * weight + bias.
  auto xh = std::make_shared<xt::xarray<T>>(xt::xarray<T>::from_shape(shape));
  auto invstd = std::make_shared<std::vector<T>>(rows);
  xt::xarray<T> out = xt::xarray<T>::from_shape(shape);
  const T* px = x.data_ptr();
  const T* pw = weight.defined() ? weight.data_ptr() : nullptr;
  const T* pb = bias.defined() ? bias.data_ptr() : nullptr;
  for (std::size_t r = 0; r < rows; ++r) {
    const T* xr = px + r * d;
    const double mean = lane_sum(d, [xr](std::size_t j) { return double(xr[j]); }) / double(d);
    const double var = lane_sum(d, [xr, mean](std::size_t j) {
      const double dev = double(xr[j]) - mean;
      return dev * dev;
    });
    const T is = T(1.0 / std::sqrt(var / double(d) + eps));
    (*invstd)[r] = is;
    const T mu = T(mean);
    T* hr = xh->data() + r * d;
    T* yr = out.data() + r * d;
    for (std::size_t j = 0; j < d; ++j) hr[j] = (xr[j] - mu) * is;
    if (pw && pb) {
      for (std::size_t j = 0; j < d; ++j) yr[j] = hr[j] * pw[j] + pb[j];
    } else if (pw) {
      for (std::size_t j = 0; j < d; ++j) yr[j] = hr[j] * pw[j];
    } else if (pb) {
      for (std::size_t j = 0; j < d; ++j) yr[j] = hr[j] + pb[j];
    } else {
      for (std::size_t j = 0; j < d; ++j) yr[j] = hr[j];
    }
  }

  return make_result<T>(
      "layer_norm", std::move(out), present<T>({&x, &weight, &bias}),
      LayerNormBackward<T>{x.impl_ptr(), weight.defined() ? weight.impl_ptr() : nullptr,
                           bias.defined() ? bias.impl_ptr() : nullptr, xh, invstd, rows, d, eps});
}

template <class T>
void LayerNormBackward<T>::operator()(const xt::xarray<T>& g, const xt::xarray<T>&) const {
  const T* pg = g.data();
  const T* ph = xh->data();
  if (x->requires_grad) {
    xt::xarray<T> dx = xt::xarray<T>::from_shape(g.shape());
    std::vector<T> gw(d);
    const T* w = weight ? weight->value.data() : nullptr;
    for (std::size_t r = 0; r < rows; ++r) {
      const T* gr = pg + r * d;
      const T* hr = ph + r * d;
      // gw = g * weight; dx = invstd / D * (D gw - sum(gw) - xh sum(gw xh)).
      if (w) {
        for (std::size_t j = 0; j < d; ++j) gw[j] = gr[j] * w[j];
      } else {
        for (std::size_t j = 0; j < d; ++j) gw[j] = gr[j];
      }
      const T* pw = gw.data();
      const double s1 = lane_sum(d, [pw](std::size_t j) { return double(pw[j]); });
      const double s2 =
          lane_sum(d, [pw, hr](std::size_t j) { return double(pw[j]) * double(hr[j]); });
      const T is = (*invstd)[r];
      const T mean_gw = T(s1 / double(d)), mean_gwh = T(s2 / double(d));
      T* dr = dx.data() + r * d;
      for (std::size_t j = 0; j < d; ++j) dr[j] = is * (gw[j] - mean_gw - hr[j] * mean_gwh);
    }
    accumulate_grad(*x, std::move(dx));
  }
  if (weight && weight->requires_grad) {
    // dweight = sum over rows of g xh, added row by row in order (deterministic).
    xt::xarray<T> dw = xt::zeros<T>(weight->value.shape());
    T* pd = dw.data();
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t j = 0; j < d; ++j) pd[j] += pg[r * d + j] * ph[r * d + j];
    }
    accumulate_grad(*weight, std::move(dw));
  }
  if (bias && bias->requires_grad) {
    xt::xarray<T> db = xt::zeros<T>(bias->value.shape());
    T* pd = db.data();
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t j = 0; j < d; ++j) pd[j] += pg[r * d + j];
    }
    accumulate_grad(*bias, std::move(db));
  }
}

template <class T>
void LayerNormBackward<T>::operator()(const BasicTensor<T>& g, const BasicTensor<T>&) const {
  // Recorded: the same rule in recorded ops on [rows, D], the statistics recomputed on the tape.
  const std::vector<long> block{static_cast<long>(rows), static_cast<long>(d)};
  const BasicTensor<T> x2 = reshape(BasicTensor<T>(x), block);
  const BasicTensor<T> g2 = reshape(g, block);
  const BasicTensor<T> centred = x2 - mean(x2, {1}, true);
  const BasicTensor<T> is = pow(mean(centred * centred, {1}, true) + T(eps), T(-0.5));
  const BasicTensor<T> h = centred * is;
  if (x->requires_grad) {
    const BasicTensor<T> gw =
        weight ? g2 * reshape(BasicTensor<T>(weight), {static_cast<long>(d)}) : g2;
    const Shape& shape = x->value.shape();
    detail::add_grad(x, reshape(is * (gw - mean(gw, {1}, true) - h * mean(gw * h, {1}, true)),
                                std::vector<long>(shape.begin(), shape.end())));
  }
  const auto param_shape = [](const TensorImpl<T>& p) {
    return std::vector<long>(p.value.shape().begin(), p.value.shape().end());
  };
  if (weight && weight->requires_grad) {
    detail::add_grad(weight, reshape(sum(g2 * h, {0}), param_shape(*weight)));
  }
  if (bias && bias->requires_grad)
    detail::add_grad(bias, reshape(sum(g2, {0}), param_shape(*bias)));
}

AXON_INSTANTIATE_OPS(batch_norm, layer_norm)

}  // namespace axon::autograd
