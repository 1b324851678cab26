// SPDX-License-Identifier: MIT
// Lookup ops on integer indices: embedding (rows of a weight matrix, with the gradient scattered
// back into the rows used) and one_hot (not differentiable).
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "axon/autograd/tensor.hpp"

namespace axon::autograd {

/// Rows of weight [V,D] picked by `indices` (any shape, whole numbers in [0, V) stored as T, as a
/// DataLoader hands them out): out[..., :] = weight[indices[...], :], shape indices.shape + [D].
/// dweight[v] = sum of g[i] over the positions i with indices[i] = v (repeated indices
/// accumulate); the row padding_idx gets no gradient. Indices get no gradient.
/// ShapeError when weight is not 2-D; ValueError for an index that is not a whole number >= 0 or
/// padding_idx >= V; IndexError naming the index, its position and V when an index is >= V.
template <class T>
BasicTensor<T> embedding(const BasicTensor<T>& indices, const BasicTensor<T>& weight,
                         std::optional<std::size_t> padding_idx = std::nullopt);

/// The same with the indices given as integers: `indices` holds prod(shape) values, row-major;
/// the result has shape shape + [D]. ShapeError when the counts differ.
template <class T>
BasicTensor<T> embedding(const std::vector<std::size_t>& indices, const Shape& shape,
                         const BasicTensor<T>& weight,
                         std::optional<std::size_t> padding_idx = std::nullopt);

/// One-hot rows: [labels.size(), num_classes] with a 1 at (i, labels[i]). Not differentiable.
/// IndexError naming the label and its position when a label is >= num_classes.
template <class T = float>
BasicTensor<T> one_hot(const std::vector<std::size_t>& labels, std::size_t num_classes);

/// One-hot over a tensor of whole-number labels: shape labels.shape + [num_classes]. Not
/// differentiable. ValueError for a label that is not a whole number >= 0, IndexError for one
/// >= num_classes.
template <class T>
BasicTensor<T> one_hot(const BasicTensor<T>& labels, std::size_t num_classes);

}  // namespace axon::autograd
