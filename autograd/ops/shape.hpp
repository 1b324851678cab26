// SPDX-License-Identifier: MIT
#pragma once

#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <limits>
#include <ranges>
#include <string>
#include <utility>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/autograd/ops/indexing.hpp"  // index_select, gather: one include brings both families
#include "axon/autograd/tensor.hpp"

/// Shape ops. Tensors always own contiguous row-major storage, so each op here produces a new
/// contiguous result (a copy); backward routes the gradient back to the source layout.
/// Axes may be negative (counted from the end); index arguments follow Python's rules.
/// Errors, thrown at forward time and naming the op and the shapes: ValueError for an axis out
/// of range or a bad argument, ShapeError for extents that do not fit, IndexError for an index
/// out of range.
namespace axon::autograd {

/// The target shape of reshape and view: a braced list of extents of any integer types, so that
/// `reshape(x, {x.size(0), -1})` needs no cast (size() gives std::size_t, -1 is an int); or any
/// container of integers: a std::vector<long> (the older spelling), a Shape, a
/// std::vector<std::size_t>. An unsigned extent above LONG_MAX is a ValueError.
class ShapeArg {
 public:
  /// One extent, from any integer type (-1: inferred from the element count).
  struct Extent {
    /// Converts `v`; ValueError when it does not fit a long.
    template <std::integral I>
    Extent(I v) : value(to_long(v)) {}  // NOLINT(google-explicit-constructor): braced lists
    long value;                         ///< the extent
  };
  /// `{x.size(0), -1}`, `{2, 3}`.
  ShapeArg(std::initializer_list<Extent> extents) {
    for (const Extent& e : extents) extents_.push_back(e.value);
  }
  /// A container of integers: std::vector<long>, Shape, std::vector<std::size_t>, ...
  template <std::ranges::input_range R>
  requires std::integral<std::ranges::range_value_t<R>> ShapeArg(
      const R& extents) {  // NOLINT(google-explicit-constructor): the old vector spelling
    for (const auto& e : extents) extents_.push_back(to_long(e));
  }
  /// The extents.
  const std::vector<long>& extents() const { return extents_; }

 private:
  template <std::integral I>
  static long to_long(I v) {
    if constexpr (std::is_unsigned_v<I>) {
      if (v > static_cast<std::make_unsigned_t<long>>(std::numeric_limits<long>::max())) {
        throw ValueError("reshape: extent " + std::to_string(v) + " is too large");
      }
    } else if constexpr (sizeof(I) > sizeof(long)) {
      if (v > std::numeric_limits<long>::max() || v < std::numeric_limits<long>::min()) {
        throw ValueError("reshape: extent " + std::to_string(v) + " is too large");
      }
    }
    return static_cast<long>(v);
  }
  std::vector<long> extents_;
};

/// Same data, new shape; one extent may be -1 (inferred).  dx = reshape(g, x.shape)
/// ShapeError when the element counts differ; ValueError for two -1s or another negative.
/// `reshape(x, {x.size(0), -1})`.
template <class T>
BasicTensor<T> reshape(const BasicTensor<T>& x, const ShapeArg& shape);
/// Alias of reshape (tensors are always contiguous here).
template <class T>
BasicTensor<T> view(const BasicTensor<T>& x, const ShapeArg& shape);
/// Merges axes [start_axis, end_axis] into one (a 0-d tensor becomes [1]).
/// dx = reshape(g, x.shape)
template <class T>
BasicTensor<T> flatten(const BasicTensor<T>& x, int start_axis = 0, int end_axis = -1);
/// Swaps two axes.  dx = transpose(g, axis0, axis1)
template <class T>
BasicTensor<T> transpose(const BasicTensor<T>& x, int axis0, int axis1);
/// Reorders all axes: result axis i is input axis axes[i].  dx = permute(g, inverse(axes))
/// ValueError unless `axes` is a permutation of all of x's axes.
template <class T>
BasicTensor<T> permute(const BasicTensor<T>& x, const std::vector<int>& axes);
/// Removes the given size-1 axes (all size-1 axes when `axes` is empty).  dx = reshape(g, x.shape)
/// Naming an axis whose extent is not 1 is a ShapeError (NumPy's rule; PyTorch skips it).
template <class T>
BasicTensor<T> squeeze(const BasicTensor<T>& x, const std::vector<int>& axes = {});
/// Inserts a size-1 axis at `axis` (in [-rank-1, rank]).  dx = reshape(g, x.shape)
template <class T>
BasicTensor<T> unsqueeze(const BasicTensor<T>& x, int axis);
/// Broadcasts to `shape` by NumPy's rules (ShapeError otherwise).  dx = sum_to_shape(g, x.shape)
template <class T>
BasicTensor<T> broadcast_to(const BasicTensor<T>& x, const Shape& shape);
/// Elements start, start+step, ... (< stop) along `axis`; negative start/stop count from the end
/// and are clamped as in Python (so never an IndexError; the result may be empty). step >= 1,
/// else ValueError.  dx = g scattered back, zeros elsewhere
template <class T>
BasicTensor<T> slice(const BasicTensor<T>& x, int axis, long start, long stop, long step = 1);
/// Joins tensors along an existing axis; all other extents must agree (ShapeError); an empty
/// list is a ValueError.  dx = slices of g
template <class T>
BasicTensor<T> concat(const std::vector<BasicTensor<T>>& xs, int axis = 0);
/// concat of a braced list, its element type deduced: `concat({a, b}, 1)`.
template <class T>
BasicTensor<T> concat(std::initializer_list<BasicTensor<T>> xs, int axis = 0) {
  return concat(std::vector<BasicTensor<T>>(xs), axis);
}
/// Joins equal-shaped tensors along a new axis.  dx = slices of g
template <class T>
BasicTensor<T> stack(const std::vector<BasicTensor<T>>& xs, int axis = 0);
/// stack of a braced list, its element type deduced: `stack({a, b})`.
template <class T>
BasicTensor<T> stack(std::initializer_list<BasicTensor<T>> xs, int axis = 0) {
  return stack(std::vector<BasicTensor<T>>(xs), axis);
}
/// Cuts along `axis` into pieces of the given sizes (which must add up to the extent, else
/// ShapeError). Each piece is its own recorded op (a slice), so an unused piece contributes no
/// gradient.  dx = g_piece written at the piece's place, zeros elsewhere, summed over pieces
template <class T>
std::vector<BasicTensor<T>> split(const BasicTensor<T>& x, const std::vector<std::size_t>& sizes,
                                  int axis = 0);
/// Constant padding: widths[i] = {before, after} for axis i, one pair per axis (ShapeError
/// when the count differs from x's rank).
/// dx = the interior slice of g
template <class T>
BasicTensor<T> pad(const BasicTensor<T>& x,
                   const std::vector<std::pair<std::size_t, std::size_t>>& widths, T value = T(0));

}  // namespace axon::autograd
