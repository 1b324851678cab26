// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <vector>

#include "axon/autograd/tensor.hpp"

/// Indexing ops: entries picked along an axis by index (ops/shape.hpp includes this header, so
/// one include brings both families). Like the shape ops, each produces a new contiguous result;
/// backward scatter-adds the gradient back to the positions read, so repeated indices accumulate.
/// Axes may be negative (counted from the end). Errors, thrown at forward time and naming the op
/// and the shapes: ValueError for an axis out of range, ShapeError for an index of the wrong shape,
/// IndexError for an index out of range.
namespace axon::autograd {

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
}  // namespace axon::autograd
