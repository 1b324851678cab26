// SPDX-License-Identifier: MIT
#include "axon/autograd/ops/shape.hpp"

#include <algorithm>
#include <string>

#include "axon/autograd/kernels.hpp"
#include "axon/autograd/ops/flat_index.hpp"
#include "axon/autograd/ops/instantiate.hpp"
#include "axon/autograd/ops/reductions.hpp"
#include "axon/autograd/strided_copy.hpp"

namespace axon::autograd {

namespace {

/// "[2,3], [2,4]": the shapes of a list of tensors.
template <class T>
std::string shapes_str(const std::vector<BasicTensor<T>>& xs) {
  std::string s;
  for (std::size_t i = 0; i < xs.size(); ++i) s += (i ? ", " : "") + shape_str(xs[i].shape());
  return s;
}

/// `shape` with a new axis of `extent` inserted at position `ax` (push_back rather than
/// svector::insert, which trips GCC 12's -Warray-bounds).
Shape with_new_axis(const Shape& shape, std::size_t ax, std::size_t extent) {
  Shape out;
  for (std::size_t i = 0; i <= shape.size(); ++i) {
    if (i == ax) out.push_back(extent);
    if (i < shape.size()) out.push_back(shape[i]);
  }
  return out;
}

/// Product of the extents of axes [begin, end).
std::size_t extent_product(const Shape& shape, std::size_t begin, std::size_t end) {
  std::size_t n = 1;
  for (std::size_t i = begin; i < end; ++i) n *= shape[i];
  return n;
}

/// The shape `shape` (one extent may be -1) resolves to for `in`'s element count.
Shape target_shape(const char* op, const Shape& in, const std::vector<long>& shape) {
  const std::size_t n = shape_numel(in);
  Shape given;                          // the extents other than the -1
  std::size_t inferred = shape.size();  // position of the -1, if any
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1 && inferred == shape.size()) {
      inferred = i;
    } else if (shape[i] < 0) {
      throw ValueError(std::string(op) + ": bad target shape " + list_str(shape) + " for " +
                       shape_str(in) + " (only one extent may be -1, none negative)");
    } else {
      given.push_back(static_cast<std::size_t>(shape[i]));
    }
  }
  const std::size_t known = checked_numel(given, op);  // no wrap-around to n
  const bool fits = inferred < shape.size() ? (known != 0 && n % known == 0) : known == n;
  if (!fits) {
    throw ShapeError(std::string(op) + ": cannot reshape " + shape_str(in) + " (" +
                     std::to_string(n) + " elements) into " + list_str(shape));
  }
  Shape out(shape.size());
  for (std::size_t i = 0; i < shape.size(); ++i) {
    out[i] = i == inferred ? n / known : static_cast<std::size_t>(shape[i]);
  }
  return out;
}

using kernels::permuted;
using kernels::reshaped;
using kernels::strided_copy;

// ---- shared op bodies ----------------------------------------------------------------------

template <class T>
BasicTensor<T> reshape_op(const char* name, const BasicTensor<T>& x, const Shape& shape) {
  auto ix = x.impl_ptr();
  return make_result<T>(
      name, reshaped(x.data(), shape), {&x}, [ix](const auto& g, const auto&) -> void {
        const Shape& shape = ix->value.shape();
        if constexpr (detail::is_tensor_v<std::decay_t<decltype(g)>>) {
          detail::add_grad(ix, reshape(g, std::vector<long>(shape.begin(), shape.end())));
        } else {
          accumulate_grad(*ix, reshaped(g, shape));
        }
      });
}

template <class T>
BasicTensor<T> permute_op(const char* name, const BasicTensor<T>& x,
                          const std::vector<std::size_t>& axes) {
  std::vector<std::size_t> inverse(axes.size());
  for (std::size_t i = 0; i < axes.size(); ++i) inverse[axes[i]] = i;
  auto ix = x.impl_ptr();
  return make_result<T>(
      name, permuted(x.data(), axes), {&x}, [ix, inverse](const auto& g, const auto&) -> void {
        // dx = permute(g, axes^-1)
        if constexpr (detail::is_tensor_v<std::decay_t<decltype(g)>>) {
          detail::add_grad(ix, permute(g, std::vector<int>(inverse.begin(), inverse.end())));
        } else {
          accumulate_grad(*ix, permuted(g, inverse));
        }
      });
}

/// Elements begin, begin+step, ... (count of them) along axis `ax`.
template <class T>
BasicTensor<T> slice_op(const char* name, const BasicTensor<T>& x, std::size_t ax,
                        std::size_t begin, std::size_t count, std::size_t step) {
  Shape out_shape = x.shape();
  out_shape[ax] = count;
  Shape src_strides = contiguous_strides(x.shape());
  const std::size_t offset = begin * src_strides[ax];
  src_strides[ax] *= step;
  xt::xarray<T> out = xt::xarray<T>::from_shape(out_shape);
  strided_copy(x.data_ptr(), src_strides, offset, out.data(), contiguous_strides(out_shape), 0,
               out_shape);
  auto ix = x.impl_ptr();
  return make_result<T>(name, std::move(out), {&x},
                        [ix, src_strides, offset](const auto& g, const auto&) -> void {
                          // dx: zeros with g written back at the sliced positions.
                          if constexpr (detail::is_tensor_v<std::decay_t<decltype(g)>>) {
                            auto at = std::make_shared<const std::vector<std::size_t>>(
                                detail::strided_positions(g.shape(), src_strides, offset));
                            detail::add_grad(ix, detail::put_flat(g, at, ix->value.shape()));
                          } else {
                            xt::xarray<T> dx = xt::zeros<T>(ix->value.shape());
                            strided_copy(g.data(), contiguous_strides(g.shape()), 0, dx.data(),
                                         src_strides, offset, g.shape());
                            accumulate_grad(*ix, std::move(dx));
                          }
                        });
}

/// Joins inputs along an axis: row o of the output (of `outer` rows) is row o of input 0
/// (inner[0] elements), then row o of input 1, ... Serves concat and stack.
template <class T>
BasicTensor<T> join_op(const char* name, const std::vector<BasicTensor<T>>& xs, std::size_t outer,
                       const std::vector<std::size_t>& inner, const Shape& out_shape) {
  std::size_t row = 0;
  for (auto n : inner) row += n;
  xt::xarray<T> out = xt::xarray<T>::from_shape(out_shape);
  T* po = out.data();
  for (std::size_t o = 0; o < outer; ++o) {
    for (std::size_t i = 0, pos = 0; i < xs.size(); pos += inner[i], ++i) {
      std::copy_n(xs[i].data_ptr() + o * inner[i], inner[i], po + o * row + pos);
    }
  }
  std::vector<std::shared_ptr<TensorImpl<T>>> impls;
  impls.reserve(xs.size());
  for (const auto& x : xs) impls.push_back(x.impl_ptr());
  return make_result<T>(
      name, std::move(out), xs,
      [impls = std::move(impls), inner, outer, row](const auto& g, const auto&) -> void {
        // dx_i = the columns of g that input i filled.
        for (std::size_t i = 0, pos = 0; i < impls.size(); pos += inner[i], ++i) {
          if (!impls[i]->requires_grad) continue;
          if constexpr (detail::is_tensor_v<std::decay_t<decltype(g)>>) {
            auto at = std::make_shared<std::vector<std::size_t>>(outer * inner[i]);
            for (std::size_t o = 0; o < outer; ++o) {
              for (std::size_t e = 0; e < inner[i]; ++e)
                (*at)[o * inner[i] + e] = o * row + pos + e;
            }
            detail::add_grad(impls[i], detail::take_flat(g, at, impls[i]->value.shape()));
          } else {
            xt::xarray<T> dx = xt::xarray<T>::from_shape(impls[i]->value.shape());
            for (std::size_t o = 0; o < outer; ++o) {
              std::copy_n(g.data() + o * row + pos, inner[i], dx.data() + o * inner[i]);
            }
            accumulate_grad(*impls[i], std::move(dx));
          }
        }
      });
}

}  // namespace

template <class T>
BasicTensor<T> reshape(const BasicTensor<T>& x, const ShapeArg& shape) {
  return reshape_op("reshape", x, target_shape("reshape", x.shape(), shape.extents()));
}

template <class T>
BasicTensor<T> view(const BasicTensor<T>& x, const ShapeArg& shape) {
  return reshape_op("view", x, target_shape("view", x.shape(), shape.extents()));
}

template <class T>
BasicTensor<T> flatten(const BasicTensor<T>& x, int start_axis, int end_axis) {
  const Shape& in = x.shape();
  if (in.empty()) {  // a 0-d tensor flattens to [1], as in PyTorch
    normalize_axis(start_axis, Shape{1}, "flatten");
    normalize_axis(end_axis, Shape{1}, "flatten");
    return reshape_op("flatten", x, Shape{1});
  }
  const std::size_t s = normalize_axis(start_axis, in, "flatten");
  const std::size_t e = normalize_axis(end_axis, in, "flatten");
  if (s > e) {
    throw ValueError("flatten: start_axis " + std::to_string(start_axis) +
                     " comes after end_axis " + std::to_string(end_axis) + " for shape " +
                     shape_str(in));
  }
  Shape out;
  for (std::size_t i = 0; i < s; ++i) out.push_back(in[i]);
  out.push_back(extent_product(in, s, e + 1));
  for (std::size_t i = e + 1; i < in.size(); ++i) out.push_back(in[i]);
  return reshape_op("flatten", x, out);
}

template <class T>
BasicTensor<T> transpose(const BasicTensor<T>& x, int axis0, int axis1) {
  const std::size_t a = normalize_axis(axis0, x.shape(), "transpose");
  const std::size_t b = normalize_axis(axis1, x.shape(), "transpose");
  std::vector<std::size_t> axes(x.dim());
  for (std::size_t i = 0; i < axes.size(); ++i) axes[i] = i;
  std::swap(axes[a], axes[b]);
  return permute_op("transpose", x, axes);
}

template <class T>
BasicTensor<T> permute(const BasicTensor<T>& x, const std::vector<int>& axes) {
  const std::size_t rank = x.dim();
  const auto fail = [&] {
    throw ValueError("permute: axes " + list_str(axes) + " are not a permutation of the " +
                     std::to_string(rank) + " axes of shape " + shape_str(x.shape()));
  };
  if (axes.size() != rank) fail();
  std::vector<std::size_t> norm;
  std::vector<bool> seen(rank, false);
  for (int a : axes) {
    const long v = a < 0 ? a + static_cast<long>(rank) : a;
    if (v < 0 || v >= static_cast<long>(rank) || seen[static_cast<std::size_t>(v)]) fail();
    seen[static_cast<std::size_t>(v)] = true;
    norm.push_back(static_cast<std::size_t>(v));
  }
  return permute_op("permute", x, norm);
}

template <class T>
BasicTensor<T> squeeze(const BasicTensor<T>& x, const std::vector<int>& axes) {
  const Shape& in = x.shape();
  std::vector<bool> drop(in.size(), false);
  if (axes.empty()) {
    for (std::size_t i = 0; i < in.size(); ++i) drop[i] = in[i] == 1;
  }
  for (std::size_t k = 0; k < axes.size(); ++k) {
    const std::size_t a = normalize_axis(axes[k], in, "squeeze");
    if (drop[a]) {
      throw ValueError("squeeze: axis " + std::to_string(axes[k]) + " is repeated in " +
                       list_str(axes) + " for shape " + shape_str(in));
    }
    if (in[a] != 1) {
      throw ShapeError("squeeze: axis " + std::to_string(axes[k]) + " of shape " + shape_str(in) +
                       " has extent " + std::to_string(in[a]) + ", not 1");
    }
    drop[a] = true;
  }
  Shape out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (!drop[i]) out.push_back(in[i]);
  }
  return reshape_op("squeeze", x, out);
}

template <class T>
BasicTensor<T> unsqueeze(const BasicTensor<T>& x, int axis) {
  const Shape& in = x.shape();
  const std::size_t a = normalize_axis(axis, in, "unsqueeze", /*new_axis=*/true);
  return reshape_op("unsqueeze", x, with_new_axis(in, a, 1));
}

template <class T>
BasicTensor<T> broadcast_to(const BasicTensor<T>& x, const Shape& shape) {
  const Shape& in = x.shape();
  bool ok = in.size() <= shape.size();
  for (std::size_t i = 0; ok && i < in.size(); ++i) {
    const std::size_t target = shape[shape.size() - in.size() + i];
    ok = in[i] == target || in[i] == 1;
  }
  if (!ok) {
    throw ShapeError("broadcast_to: cannot broadcast " + shape_str(in) + " to " + shape_str(shape));
  }
  checked_numel(shape, "broadcast_to");
  xt::xarray<T> out = xt::xarray<T>::from_shape(shape);
  strided_copy(x.data_ptr(), broadcast_strides(in, shape), 0, out.data(), contiguous_strides(shape),
               0, shape);
  auto ix = x.impl_ptr();
  return make_result<T>("broadcast_to", std::move(out), {&x},
                        [ix](const auto& g, const auto&) -> void {
                          if constexpr (detail::is_tensor_v<std::decay_t<decltype(g)>>) {
                            detail::add_grad(ix, sum_to(g, ix->value.shape()));
                          } else {
                            accumulate_grad(*ix, kernels::sum_to_shape(g, ix->value.shape()));
                          }
                        });
}

template <class T>
BasicTensor<T> slice(const BasicTensor<T>& x, int axis, long start, long stop, long step) {
  const std::size_t ax = normalize_axis(axis, x.shape(), "slice");
  if (step < 1) {
    throw ValueError("slice: step must be >= 1, got " + std::to_string(step) + " (shape " +
                     shape_str(x.shape()) + ", axis " + std::to_string(axis) + ")");
  }
  // Python's rules: negative bounds count from the end, then both are clamped to [0, n].
  const auto n = static_cast<long>(x.shape()[ax]);
  const auto bound = [n](long i) { return std::clamp(i < 0 ? i + n : i, 0L, n); };
  const long begin = bound(start);
  const long end = bound(stop);
  const long count = end > begin ? (end - begin - 1) / step + 1 : 0;
  return slice_op("slice", x, ax, static_cast<std::size_t>(begin), static_cast<std::size_t>(count),
                  static_cast<std::size_t>(step));
}

template <class T>
BasicTensor<T> concat(const std::vector<BasicTensor<T>>& xs, int axis) {
  if (xs.empty()) throw ValueError("concat: needs at least one tensor, got an empty list");
  const Shape& first = xs[0].shape();
  const std::size_t ax = normalize_axis(axis, first, "concat");
  Shape out_shape = first;
  out_shape[ax] = 0;
  for (const auto& x : xs) {
    bool same = x.dim() == first.size();
    for (std::size_t d = 0; same && d < first.size(); ++d)
      same = d == ax || x.shape()[d] == first[d];
    if (!same) {
      throw ShapeError("concat: shapes " + shapes_str(xs) + " differ off axis " +
                       std::to_string(axis));
    }
    out_shape[ax] += x.shape()[ax];
  }
  const std::size_t after = extent_product(first, ax + 1, first.size());
  std::vector<std::size_t> inner;
  for (const auto& x : xs) inner.push_back(x.shape()[ax] * after);
  return join_op("concat", xs, extent_product(first, 0, ax), inner, out_shape);
}

template <class T>
BasicTensor<T> stack(const std::vector<BasicTensor<T>>& xs, int axis) {
  if (xs.empty()) throw ValueError("stack: needs at least one tensor, got an empty list");
  const Shape& first = xs[0].shape();
  for (const auto& x : xs) {
    if (x.shape() != first) throw ShapeError("stack: shapes " + shapes_str(xs) + " differ");
  }
  const std::size_t ax = normalize_axis(axis, first, "stack", /*new_axis=*/true);
  const Shape out_shape = with_new_axis(first, ax, xs.size());
  const std::vector<std::size_t> inner(xs.size(), extent_product(first, ax, first.size()));
  return join_op("stack", xs, extent_product(first, 0, ax), inner, out_shape);
}

template <class T>
std::vector<BasicTensor<T>> split(const BasicTensor<T>& x, const std::vector<std::size_t>& sizes,
                                  int axis) {
  const std::size_t ax = normalize_axis(axis, x.shape(), "split");
  std::size_t total = 0;
  for (auto s : sizes) total += s;
  if (total != x.shape()[ax]) {
    throw ShapeError("split: sizes " + list_str(sizes) + " add up to " + std::to_string(total) +
                     " but axis " + std::to_string(axis) + " of shape " + shape_str(x.shape()) +
                     " has extent " + std::to_string(x.shape()[ax]));
  }
  std::vector<BasicTensor<T>> pieces;
  pieces.reserve(sizes.size());
  std::size_t begin = 0;
  for (auto s : sizes) {
    pieces.push_back(slice_op("split", x, ax, begin, s, 1));
    begin += s;
  }
  return pieces;
}

template <class T>
BasicTensor<T> pad(const BasicTensor<T>& x,
                   const std::vector<std::pair<std::size_t, std::size_t>>& widths, T value) {
  const Shape& in = x.shape();
  if (widths.size() != in.size()) {
    throw ShapeError("pad: " + std::to_string(widths.size()) +
                     " {before, after} pairs given for shape " + shape_str(in) + " of rank " +
                     std::to_string(in.size()));
  }
  Shape out_shape = in;
  for (std::size_t i = 0; i < in.size(); ++i) {
    // A width that wraps the extent around (e.g. -1 converted to size_t) would write out of range.
    if (__builtin_add_overflow(out_shape[i], widths[i].first, &out_shape[i]) ||
        __builtin_add_overflow(out_shape[i], widths[i].second, &out_shape[i])) {
      throw ValueError("pad: widths {" + std::to_string(widths[i].first) + ", " +
                       std::to_string(widths[i].second) + "} on axis " + std::to_string(i) +
                       " of shape " + shape_str(in) + " overflow the extent");
    }
  }
  checked_numel(out_shape, "pad");
  const Shape out_strides = contiguous_strides(out_shape);
  std::size_t offset = 0;  // where x[0,...,0] lands in the result
  for (std::size_t i = 0; i < in.size(); ++i) offset += widths[i].first * out_strides[i];
  xt::xarray<T> out = xt::xarray<T>::from_shape(out_shape);
  out.fill(value);
  strided_copy(x.data_ptr(), contiguous_strides(in), 0, out.data(), out_strides, offset, in);
  auto ix = x.impl_ptr();
  return make_result<T>(
      "pad", std::move(out), {&x}, [ix, offset](const auto& g, const auto&) -> void {
        // dx = the interior of g
        const Shape& xs = ix->value.shape();
        if constexpr (detail::is_tensor_v<std::decay_t<decltype(g)>>) {
          auto at = std::make_shared<const std::vector<std::size_t>>(
              detail::strided_positions(xs, contiguous_strides(g.shape()), offset));
          detail::add_grad(ix, detail::take_flat(g, at, xs));
        } else {
          xt::xarray<T> dx = xt::xarray<T>::from_shape(xs);
          strided_copy(g.data(), contiguous_strides(g.shape()), offset, dx.data(),
                       contiguous_strides(xs), 0, xs);
          accumulate_grad(*ix, std::move(dx));
        }
      });
}

AXON_INSTANTIATE_OPS(reshape, view, flatten, transpose, permute, squeeze, unsqueeze, broadcast_to,
                     slice, split, pad)
// concat and stack also have a braced-list overload (inline in the header).
template <class T>
using JoinOp = BasicTensor<T>(const std::vector<BasicTensor<T>>&, int);
AXON_INSTANTIATE_SIGNATURE(JoinOp, concat, stack)

}  // namespace axon::autograd
