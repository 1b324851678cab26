// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

/// Shapes, axes and NumPy broadcasting: the helpers every op shares.
namespace axon::autograd {

/// The shape of a tensor: a small vector of extents, stored inline up to rank 4.
using Shape = xt::xarray<double>::shape_type;

/// "[3,4]" for error messages; "[]" for a 0-d scalar.
std::string shape_str(const Shape& shape);

/// "[2,-1]" for error messages: any list of integers (axes, a requested shape, split sizes), with
/// `separator` between the values.
template <class Values>
std::string list_str(const Values& values, const char* separator = ",") {
  std::string s = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) s += separator;
    s += std::to_string(values[i]);
  }
  return s + "]";
}

/// Product of the extents (1 for a 0-d scalar).
std::size_t shape_numel(const Shape& shape);

/// The same for a shape given by the user (a factory, a reshape target, a padded shape): throws
/// ValueError naming `op` and the shape when the element count does not fit in memory's address
/// range (an unchecked product wraps around and the tensor would own too little storage), or when
/// the non-zero extents alone do (a [0, 2^62, 2^62] shape: its strides overflow).
std::size_t checked_numel(const Shape& shape, const char* op);

/// Maps a possibly negative axis into [0, rank). Throws ValueError naming `op` when out of range.
std::size_t normalize_axis(int axis, std::size_t rank, const char* op);
/// The same for an axis of `shape`, or with `new_axis` for a position where an axis is inserted
/// (range [0, rank]); the ValueError names `op` and the shape.
std::size_t normalize_axis(int axis, const Shape& shape, const char* op, bool new_axis = false);

/// Normalises, sorts and de-duplicates a list of axes; empty means "all axes".
std::vector<std::size_t> normalize_axes(const std::vector<int>& axes, std::size_t rank,
                                        const char* op);

/// NumPy broadcasting of two shapes. Throws ShapeError naming `op` and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

/// Row-major strides (in elements) of a contiguous array of `shape`.
Shape contiguous_strides(const Shape& shape);

/// Strides of an operand of shape `in` read as if broadcast to `out` (0 on broadcast axes).
/// `in` must be broadcastable to `out`.
Shape broadcast_strides(const Shape& in, const Shape& out);

}  // namespace axon::autograd
