// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "axon/autograd/tensor.hpp"

/// Internal: the closed pair of recorded ops the recorded backwards of the indexing ops are
/// written with (slice, pad, index_select, gather, concat, stack, embedding, the poolings). Each
/// of those ops reads or scatters elements at fixed flat positions, so its gradient is a scatter
/// (or a gather) at the same positions; a scatter's gradient is the gather and the reverse, so the
/// pair differentiates to any order.
namespace axon::autograd::detail {

/// The flat position that names no element: take_flat reads 0 there, put_flat drops it.
inline constexpr std::size_t kNoElement = static_cast<std::size_t>(-1);

/// Flat positions shared by a take_flat and the put_flat of its backward (and back).
using FlatIndex = std::shared_ptr<const std::vector<std::size_t>>;

/// out.flat[i] = x.flat[index[i]] (0 at kNoElement); `shape` has index->size() elements.
/// Recorded: dx = put_flat(g, index, x.shape).
template <class T>
BasicTensor<T> take_flat(const BasicTensor<T>& x, const FlatIndex& index, const Shape& shape);

/// Zeros of `shape` with g.flat[i] added at index[i], in order of i (repeats accumulate,
/// kNoElement is dropped); g has index->size() elements. Recorded: dg = take_flat(d, index,
/// g.shape).
template <class T>
BasicTensor<T> put_flat(const BasicTensor<T>& g, const FlatIndex& index, const Shape& shape);

/// The flat positions offset + sum_d coord_d * strides[d] of the elements of `shape`, in
/// row-major order (the positions a strided view of `shape` reads).
std::vector<std::size_t> strided_positions(const Shape& shape, const Shape& strides,
                                           std::size_t offset);

}  // namespace axon::autograd::detail
