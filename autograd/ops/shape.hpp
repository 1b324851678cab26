// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "axon/autograd/tensor.hpp"

/// Shape ops. Tensors always own contiguous row-major storage, so each op here produces a new
/// contiguous result (a copy); backward routes the gradient back to the source layout.
/// Axes may be negative (counted from the end); index arguments follow Python's rules.
/// Errors, thrown at forward time and naming the op and the shapes: ValueError for an axis out
/// of range or a bad argument, ShapeError for extents that do not fit, IndexError for an index
/// out of range.
namespace axon::autograd {

/// Same data, new shape; one extent may be -1 (inferred).  dx = reshape(g, x.shape)
/// ShapeError when the element counts differ; ValueError for two -1s or another negative.
template <class T>
BasicTensor<T> reshape(const BasicTensor<T>& x, const std::vector<long>& shape);
/// Alias of reshape (tensors are always contiguous here).
template <class T>
BasicTensor<T> view(const BasicTensor<T>& x, const std::vector<long>& shape);
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
/// Picks entries `indices` along `axis` (repeats allowed; IndexError for one >= the extent).
/// dx = g scatter-added back (repeated indices accumulate)
template <class T>
BasicTensor<T> index_select(const BasicTensor<T>& x, int axis,
                            const std::vector<std::size_t>& indices);
/// out[i][j][k] = x[index[i][j][k]][j][k] for axis 0 (and so on), as torch.gather: `index` has
/// x's rank and, on every other axis, extents no larger than x's (ShapeError otherwise); an
/// index value >= x's extent along `axis` is an IndexError.  dx = g scatter-added back
template <class T>
BasicTensor<T> gather(const BasicTensor<T>& x, int axis, const xt::xarray<std::size_t>& index);
/// Joins tensors along an existing axis; all other extents must agree (ShapeError); an empty
/// list is a ValueError.  dx = slices of g
template <class T>
BasicTensor<T> concat(const std::vector<BasicTensor<T>>& xs, int axis = 0);
/// Joins equal-shaped tensors along a new axis.  dx = slices of g
template <class T>
BasicTensor<T> stack(const std::vector<BasicTensor<T>>& xs, int axis = 0);
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
