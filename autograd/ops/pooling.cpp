// SPDX-License-Identifier: MIT
#include "axon/autograd/ops/pooling.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "axon/autograd/operators.hpp"
#include "axon/autograd/ops/flat_index.hpp"
#include "axon/autograd/ops/instantiate.hpp"
#include "axon/autograd/ops/max_pool_kernels.hpp"
#include "axon/autograd/parallel_for.hpp"

namespace axon::autograd {

namespace {

using pooling_kernels::max_pool_2x2;
using pooling_kernels::takes_over;

/// The input range [lo, hi) that one output position reads along one axis, and `full`, the
/// extent of its window counting the padding (the count_include_pad divisor).
struct Bin {
  std::size_t lo = 0, hi = 0, full = 0;
};

/// Bins of a sliding window: output o covers [o s - p, o s - p + k), clipped to the input.
std::vector<Bin> window_bins(std::size_t in, std::size_t k, std::size_t s, std::size_t p,
                             std::size_t out) {
  std::vector<Bin> bins(out);
  for (std::size_t o = 0; o < out; ++o) {
    const auto start = static_cast<std::ptrdiff_t>(o * s) - static_cast<std::ptrdiff_t>(p);
    const auto end = start + static_cast<std::ptrdiff_t>(k);
    const auto padded_end = std::min(end, static_cast<std::ptrdiff_t>(in + p));
    bins[o].lo = static_cast<std::size_t>(std::max<std::ptrdiff_t>(start, 0));
    bins[o].hi = static_cast<std::size_t>(std::min(end, static_cast<std::ptrdiff_t>(in)));
    bins[o].full = static_cast<std::size_t>(padded_end - start);
  }
  return bins;
}

/// PyTorch's adaptive bins: output i covers [floor(i in / out), ceil((i + 1) in / out)).
std::vector<Bin> adaptive_bins(std::size_t in, std::size_t out) {
  std::vector<Bin> bins(out);
  for (std::size_t o = 0; o < out; ++o) {
    bins[o].lo = o * in / out;
    bins[o].hi = ((o + 1) * in + out - 1) / out;
    bins[o].full = bins[o].hi - bins[o].lo;
  }
  return bins;
}

/// A pooling problem: planes = N * C independent [h, w] planes, each output (y, x) reading the
/// input rectangle rows[y] x cols[x].
struct PoolGeom {
  std::size_t planes = 0, h = 1, w = 1;
  std::vector<Bin> rows, cols;
  bool two_by_two = false;  // a 2x2 window with stride 2 and no padding (the fast path)
  std::size_t out_plane() const { return rows.size() * cols.size(); }
  std::size_t in_plane() const { return h * w; }
};

/// Planes per parallel chunk: about 64K window reads per chunk. Shapes alone decide it.
std::size_t plane_grain(const PoolGeom& g) {
  std::size_t reads = 0;
  for (const Bin& r : g.rows) {
    for (const Bin& c : g.cols) reads += (r.hi - r.lo) * (c.hi - c.lo);
  }
  return chunks::grain_for(reads, std::size_t{1} << 16);
}

/// Calls body(first_plane, end_plane) over chunks of planes, in parallel.
template <class F>
void for_plane_chunks(const PoolGeom& g, F&& body) {
  const std::size_t grain = plane_grain(g);
  chunks::for_each_chunk(chunks::chunk_count(g.planes, grain), [&](std::size_t chunk) {
    const std::size_t begin = chunk * grain;
    body(begin, std::min(g.planes, begin + grain));
  });
}

template <class T>
BasicTensor<T> max_pool(const char* op, const BasicTensor<T>& x, PoolGeom g,
                        const Shape& out_shape) {
  const std::size_t out_plane = g.out_plane(), in_plane = g.in_plane();
  if (in_plane > std::numeric_limits<std::uint32_t>::max()) {
    throw ShapeError(std::string(op) + ": input " + shape_str(x.shape()) +
                     ": planes above 2^32 elements are not supported");
  }
  const bool record = grad_enabled() && x.requires_grad();
  xt::xarray<T> out = xt::xarray<T>::from_shape(out_shape);
  // Arg-max of each output, as an offset inside its input plane (only when recording).
  std::vector<std::uint32_t> argmax(record ? g.planes * out_plane : 0);
  const T* px = x.data_ptr();
  T* po = out.data();
  std::uint32_t* pa = argmax.data();
  for_plane_chunks(g, [&](std::size_t begin, std::size_t end) {
    for (std::size_t pl = begin; pl < end; ++pl) {
      const T* plane = px + pl * in_plane;
      T* y = po + pl * out_plane;
      if (g.two_by_two) {
        max_pool_2x2(plane, g.w, g.rows.size(), g.cols.size(), y,
                     record ? pa + pl * out_plane : nullptr);
        continue;
      }
      std::size_t o = 0;
      for (const Bin& r : g.rows) {
        for (const Bin& c : g.cols) {
          std::size_t best_at = r.lo * g.w + c.lo;
          T best = plane[best_at];
          for (std::size_t i = r.lo; i < r.hi; ++i) {
            for (std::size_t j = c.lo; j < c.hi; ++j) {
              const T v = plane[i * g.w + j];
              if (takes_over(v, best)) {
                best = v;
                best_at = i * g.w + j;
              }
            }
          }
          y[o] = best;
          if (record) pa[pl * out_plane + o] = static_cast<std::uint32_t>(best_at);
          ++o;
        }
      }
    }
  });
  // dx: each output's gradient goes to its window's (first) arg max, plane by plane.
  auto backward = [ix = x.impl_ptr(), planes = g.planes, in_plane, out_plane,
                   argmax = std::move(argmax)](const auto& grad, const auto&) -> void {
    if constexpr (detail::is_tensor_v<std::decay_t<decltype(grad)>>) {
      // Recorded: the same scatter as a put_flat (its gradient gathers at the arg maxes).
      auto at = std::make_shared<std::vector<std::size_t>>(planes * out_plane);
      for (std::size_t pl = 0; pl < planes; ++pl) {
        for (std::size_t o = 0; o < out_plane; ++o) {
          (*at)[pl * out_plane + o] = pl * in_plane + argmax[pl * out_plane + o];
        }
      }
      detail::add_grad(ix, detail::put_flat(grad, at, ix->value.shape()));
    } else {
      xt::xarray<T> dx = xt::zeros<T>(ix->value.shape());
      T* pd = dx.data();
      const T* pg = grad.data();
      for (std::size_t pl = 0; pl < planes; ++pl) {
        T* plane = pd + pl * in_plane;
        const std::uint32_t* at = argmax.data() + pl * out_plane;
        const T* gp = pg + pl * out_plane;
        for (std::size_t o = 0; o < out_plane; ++o) plane[at[o]] += gp[o];
      }
      accumulate_grad(*ix, std::move(dx));
    }
  };
  return make_result<T>(op, std::move(out), {&x}, std::move(backward));
}

/// Divisor of output (row bin r, column bin c).
std::size_t divisor(const Bin& r, const Bin& c, bool count_include_pad) {
  return count_include_pad ? r.full * c.full : (r.hi - r.lo) * (c.hi - c.lo);
}

/// The gradient of an average pool, recorded: one (output, input) pair per element a window
/// reads, dx = put_flat(take_flat(g, outputs) * (1 / divisor), inputs). Linear in g, and its own
/// gradient is the same pairs read the other way (take_flat and put_flat swap).
template <class T>
BasicTensor<T> avg_pool_recorded_grad(const BasicTensor<T>& grad, const PoolGeom& g,
                                      bool count_include_pad, const Shape& x_shape) {
  auto outputs = std::make_shared<std::vector<std::size_t>>();
  auto inputs = std::make_shared<std::vector<std::size_t>>();
  std::vector<T> weights;
  for (std::size_t pl = 0; pl < g.planes; ++pl) {
    std::size_t o = pl * g.out_plane();
    for (const Bin& r : g.rows) {
      for (const Bin& c : g.cols) {
        const T w = T(1) / static_cast<T>(divisor(r, c, count_include_pad));
        for (std::size_t i = r.lo; i < r.hi; ++i) {
          for (std::size_t j = c.lo; j < c.hi; ++j) {
            outputs->push_back(o);
            inputs->push_back(pl * g.in_plane() + i * g.w + j);
            weights.push_back(w);
          }
        }
        ++o;
      }
    }
  }
  const Shape pairs{weights.size()};
  xt::xarray<T> wa = xt::xarray<T>::from_shape(pairs);
  std::copy(weights.begin(), weights.end(), wa.data());
  const BasicTensor<T> shares =
      detail::take_flat(grad, outputs, pairs) * BasicTensor<T>(std::move(wa));
  return detail::put_flat(shares, inputs, x_shape);
}

template <class T>
BasicTensor<T> avg_pool(const char* op, const BasicTensor<T>& x, PoolGeom g, const Shape& out_shape,
                        bool count_include_pad) {
  const std::size_t out_plane = g.out_plane(), in_plane = g.in_plane();
  xt::xarray<T> out = xt::xarray<T>::from_shape(out_shape);
  const T* px = x.data_ptr();
  T* po = out.data();
  for_plane_chunks(g, [&](std::size_t begin, std::size_t end) {
    for (std::size_t pl = begin; pl < end; ++pl) {
      const T* plane = px + pl * in_plane;
      T* y = po + pl * out_plane;
      std::size_t o = 0;
      for (const Bin& r : g.rows) {
        for (const Bin& c : g.cols) {
          T sum = 0;
          for (std::size_t i = r.lo; i < r.hi; ++i) {
            const T* row = plane + i * g.w;
            for (std::size_t j = c.lo; j < c.hi; ++j) sum += row[j];
          }
          y[o++] = sum / static_cast<T>(divisor(r, c, count_include_pad));
        }
      }
    }
  });
  auto ix = x.impl_ptr();
  return make_result<T>(
      op, std::move(out), {&x},
      [ix, g = std::move(g), count_include_pad](const auto& grad, const auto&) -> void {
        if constexpr (detail::is_tensor_v<std::decay_t<decltype(grad)>>) {
          detail::add_grad(ix,
                           avg_pool_recorded_grad(grad, g, count_include_pad, ix->value.shape()));
        } else {
          const std::size_t out_plane = g.out_plane(), in_plane = g.in_plane();
          xt::xarray<T> dx = xt::zeros<T>(ix->value.shape());
          T* pd = dx.data();
          const T* pg = grad.data();
          for_plane_chunks(g, [&](std::size_t begin, std::size_t end) {
            for (std::size_t pl = begin; pl < end; ++pl) {
              T* plane = pd + pl * in_plane;
              const T* gp = pg + pl * out_plane;
              std::size_t o = 0;
              for (const Bin& r : g.rows) {
                for (const Bin& c : g.cols) {
                  const T share = gp[o++] / static_cast<T>(divisor(r, c, count_include_pad));
                  for (std::size_t i = r.lo; i < r.hi; ++i) {
                    T* row = plane + i * g.w;
                    for (std::size_t j = c.lo; j < c.hi; ++j) row[j] += share;
                  }
                }
              }
            }
          });
          accumulate_grad(*ix, std::move(dx));
        }
      });
}

// ---- argument checks -------------------------------------------------------------------------

std::string where(const char* op, const Shape& s) {
  return std::string(op) + ": input " + shape_str(s) + ": ";
}

void check_rank(const char* op, const Shape& s, std::size_t spatial) {
  if (s.size() != spatial + 2) {
    throw ShapeError(where(op, s) + "input must be " + std::to_string(spatial + 2) + "-D " +
                     (spatial == 1 ? "[N, C, L]" : "[N, C, H, W]"));
  }
}

/// Every window must cover at least one input element: no spatial extent may be 0.
void check_spatial(const char* op, const Shape& s) {
  for (std::size_t d = 2; d < s.size(); ++d) {
    if (s[d] == 0) throw ShapeError(where(op, s) + "the spatial extents must be non-zero");
  }
}

/// Checks one axis of a sliding window and returns its output length.
std::size_t fit_window(const char* op, const Shape& s, const char* axis_name, std::size_t in,
                       long kernel, long stride, long padding) {
  const auto k = static_cast<std::size_t>(kernel), st = static_cast<std::size_t>(stride),
             p = static_cast<std::size_t>(padding);
  if (k > in + 2 * p) {
    throw ShapeError(where(op, s) + "kernel " + axis_name + " " + std::to_string(k) +
                     " does not fit the padded input " + axis_name + " " +
                     std::to_string(in + 2 * p));
  }
  return (in + 2 * p - k) / st + 1;
}

/// An argument as the caller wrote it: one number for the 1-D ops (whose height entries are
/// fixed), the pair for the 2-D ones.
std::string show(const Size2& v, std::size_t spatial) {
  return spatial == 1 ? std::to_string(v.w) : v.str();
}

void check_window_args(const char* op, std::size_t spatial, const Size2& kernel,
                       const Size2& stride, const Size2& padding) {
  const std::string o(op);
  if (kernel.h < 1 || kernel.w < 1) {
    throw ValueError(o + ": kernel size must be >= 1, got " + show(kernel, spatial));
  }
  if (stride.h < 1 || stride.w < 1) {
    throw ValueError(o + ": stride must be >= 1, got " + show(stride, spatial));
  }
  if (padding.h < 0 || padding.w < 0) {
    throw ValueError(o + ": padding must be >= 0, got " + show(padding, spatial));
  }
  if (padding.h > kernel.h / 2 || padding.w > kernel.w / 2) {  // 2 * padding could overflow
    throw ValueError(o + ": padding " + show(padding, spatial) +
                     " must be at most half the kernel size " + show(kernel, spatial));
  }
}

/// The geometry of a sliding-window pool over x's last one (spatial = 1) or two axes.
PoolGeom window_geom(const char* op, const Shape& s, std::size_t spatial, Size2 kernel,
                     Size2 stride, Size2 padding, Shape& out_shape) {
  check_window_args(op, spatial, kernel, stride, padding);
  check_rank(op, s, spatial);
  check_spatial(op, s);
  PoolGeom g;
  g.planes = s[0] * s[1];
  out_shape = Shape{s[0], s[1]};
  const auto u = [](long v) { return static_cast<std::size_t>(v); };
  if (spatial == 2) {
    g.h = s[2];
    const std::size_t oh = fit_window(op, s, "height", g.h, kernel.h, stride.h, padding.h);
    g.rows = window_bins(g.h, u(kernel.h), u(stride.h), u(padding.h), oh);
    out_shape.push_back(oh);
  } else {
    g.rows = {Bin{0, 1, 1}};
  }
  g.w = s[spatial + 1];
  const char* wname = spatial == 2 ? "width" : "length";
  const std::size_t ow = fit_window(op, s, wname, g.w, kernel.w, stride.w, padding.w);
  g.cols = window_bins(g.w, u(kernel.w), u(stride.w), u(padding.w), ow);
  out_shape.push_back(ow);
  g.two_by_two = spatial == 2 && kernel == Size2{2} && stride == Size2{2} && padding == Size2{0};
  return g;
}

PoolGeom adaptive_geom(const char* op, const Shape& s, std::size_t spatial, Size2 output_size,
                       Shape& out_shape) {
  if (output_size.h < 1 || output_size.w < 1) {
    throw ValueError(std::string(op) + ": output size must be >= 1, got " +
                     show(output_size, spatial));
  }
  check_rank(op, s, spatial);
  check_spatial(op, s);
  const auto u = [](long v) { return static_cast<std::size_t>(v); };
  checked_numel(spatial == 2 ? Shape{s[0], s[1], u(output_size.h), u(output_size.w)}
                             : Shape{s[0], s[1], u(output_size.w)},
                op);
  PoolGeom g;
  g.planes = s[0] * s[1];
  out_shape = Shape{s[0], s[1]};
  if (spatial == 2) {
    g.h = s[2];
    g.rows = adaptive_bins(g.h, u(output_size.h));
    out_shape.push_back(u(output_size.h));
  } else {
    g.rows = {Bin{0, 1, 1}};
  }
  g.w = s[spatial + 1];
  g.cols = adaptive_bins(g.w, u(output_size.w));
  out_shape.push_back(u(output_size.w));
  return g;
}

Size2 stride_or_kernel(const std::optional<Size2>& stride, Size2 kernel) {
  return stride ? *stride : kernel;
}

}  // namespace

template <class T>
BasicTensor<T> max_pool1d(const BasicTensor<T>& x, long kernel, std::optional<long> stride,
                          long padding) {
  Shape out_shape;
  PoolGeom g = window_geom("max_pool1d", x.shape(), 1, Size2{1, kernel},
                           Size2{1, stride ? *stride : kernel}, Size2{0, padding}, out_shape);
  return max_pool("max_pool1d", x, std::move(g), out_shape);
}

template <class T>
BasicTensor<T> max_pool2d(const BasicTensor<T>& x, Size2 kernel, std::optional<Size2> stride,
                          Size2 padding) {
  Shape out_shape;
  PoolGeom g = window_geom("max_pool2d", x.shape(), 2, kernel, stride_or_kernel(stride, kernel),
                           padding, out_shape);
  return max_pool("max_pool2d", x, std::move(g), out_shape);
}

template <class T>
BasicTensor<T> avg_pool1d(const BasicTensor<T>& x, long kernel, std::optional<long> stride,
                          long padding, bool count_include_pad) {
  Shape out_shape;
  PoolGeom g = window_geom("avg_pool1d", x.shape(), 1, Size2{1, kernel},
                           Size2{1, stride ? *stride : kernel}, Size2{0, padding}, out_shape);
  return avg_pool("avg_pool1d", x, std::move(g), out_shape, count_include_pad);
}

template <class T>
BasicTensor<T> avg_pool2d(const BasicTensor<T>& x, Size2 kernel, std::optional<Size2> stride,
                          Size2 padding, bool count_include_pad) {
  Shape out_shape;
  PoolGeom g = window_geom("avg_pool2d", x.shape(), 2, kernel, stride_or_kernel(stride, kernel),
                           padding, out_shape);
  return avg_pool("avg_pool2d", x, std::move(g), out_shape, count_include_pad);
}

template <class T>
BasicTensor<T> adaptive_avg_pool1d(const BasicTensor<T>& x, long output_size) {
  Shape out_shape;
  PoolGeom g = adaptive_geom("adaptive_avg_pool1d", x.shape(), 1, Size2{1, output_size}, out_shape);
  return avg_pool("adaptive_avg_pool1d", x, std::move(g), out_shape, false);
}

template <class T>
BasicTensor<T> adaptive_avg_pool2d(const BasicTensor<T>& x, Size2 output_size) {
  Shape out_shape;
  PoolGeom g = adaptive_geom("adaptive_avg_pool2d", x.shape(), 2, output_size, out_shape);
  return avg_pool("adaptive_avg_pool2d", x, std::move(g), out_shape, false);
}

template <class T>
BasicTensor<T> global_avg_pool2d(const BasicTensor<T>& x) {
  Shape out_shape;
  PoolGeom g = adaptive_geom("global_avg_pool2d", x.shape(), 2, Size2{1, 1}, out_shape);
  out_shape.resize(2);  // [N, C, 1, 1] -> [N, C]
  return avg_pool("global_avg_pool2d", x, std::move(g), out_shape, false);
}

AXON_INSTANTIATE_OPS(max_pool1d, max_pool2d, avg_pool1d, avg_pool2d, adaptive_avg_pool1d,
                     adaptive_avg_pool2d, global_avg_pool2d)

}  // namespace axon::autograd
