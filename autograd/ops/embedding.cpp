// SPDX-License-Identifier: MIT
// embedding (a row gather with a scatter-add backward) and one_hot. Indices are checked once, up
// front, so a bad index never reaches memory.
#include "axon/autograd/ops/embedding.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>

#include "axon/autograd/error.hpp"
#include "axon/autograd/ops/flat_index.hpp"
#include "axon/autograd/ops/instantiate.hpp"

namespace axon::autograd {

namespace {

/// The whole-number values of an index tensor; ValueError naming `op` for any other value, and
/// IndexError for a value too large to be any table's index (>= 2^63, infinity).
template <class T>
std::vector<std::size_t> whole_numbers(const BasicTensor<T>& t, const char* op) {
  const T* p = t.data_ptr();
  std::vector<std::size_t> out(t.numel());
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!(p[i] >= T(0)) || p[i] != std::floor(p[i])) {
      throw ValueError(std::string(op) + ": index " + std::to_string(p[i]) + " at position " +
                       std::to_string(i) + " of " + shape_str(t.shape()) +
                       " is not a whole number >= 0");
    }
    // Converting a value beyond std::size_t (1e30, inf) is undefined behaviour and gave row 0:
    // no table has 2^63 rows, so such an index is out of range for any.
    if (!(p[i] < T(9223372036854775808.0))) {
      throw IndexError(std::string(op) + ": index " + std::to_string(p[i]) + " at position " +
                       std::to_string(i) + " of " + shape_str(t.shape()) + " is out of range");
    }
    out[i] = static_cast<std::size_t>(p[i]);
  }
  return out;
}

/// IndexError naming `op`, the first index >= limit, its position and the limit.
void check_below(const std::vector<std::size_t>& indices, std::size_t limit, const char* op,
                 const char* what) {
  for (std::size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] >= limit) {
      throw IndexError(std::string(op) + ": index " + std::to_string(indices[i]) + " at position " +
                       std::to_string(i) + " is out of range for " + std::to_string(limit) + " " +
                       what);
    }
  }
}

template <class T>
BasicTensor<T> embedding_impl(std::vector<std::size_t> indices, const Shape& shape,
                              const BasicTensor<T>& weight,
                              std::optional<std::size_t> padding_idx) {
  if (weight.dim() != 2) {
    throw ShapeError("embedding: weight " + shape_str(weight.shape()) +
                     ": expected [num_embeddings, embedding_dim]");
  }
  const std::size_t v = weight.shape()[0], d = weight.shape()[1];
  if (padding_idx && *padding_idx >= v) {
    throw ValueError("embedding: padding_idx " + std::to_string(*padding_idx) +
                     " is out of range for weight " + shape_str(weight.shape()));
  }
  check_below(indices, v, "embedding",
              ("embeddings (weight " + shape_str(weight.shape()) + ")").c_str());

  Shape out_shape = shape;
  out_shape.push_back(d);
  xt::xarray<T> out = xt::xarray<T>::from_shape(out_shape);
  const T* pw = weight.data_ptr();
  for (std::size_t i = 0; i < indices.size(); ++i) {
    std::memcpy(out.data() + i * d, pw + indices[i] * d, d * sizeof(T));
  }

  // dW[idx[i], :] += g[i, :] in index order (deterministic).
  auto backward = [iw = weight.impl_ptr(),
                   saved = std::make_shared<const std::vector<std::size_t>>(std::move(indices)),
                   padding_idx, d](const auto& g, const auto&) -> void {
    const std::vector<std::size_t>& idx = *saved;
    if constexpr (detail::is_tensor_v<std::decay_t<decltype(g)>>) {
      // Recorded: the same scatter as a put_flat (whose own gradient is the row gather again).
      auto at = std::make_shared<std::vector<std::size_t>>(idx.size() * d, detail::kNoElement);
      for (std::size_t i = 0; i < idx.size(); ++i) {
        if (padding_idx && idx[i] == *padding_idx) continue;
        for (std::size_t j = 0; j < d; ++j) (*at)[i * d + j] = idx[i] * d + j;
      }
      detail::add_grad(iw, detail::put_flat(g, at, iw->value.shape()));
    } else {
      xt::xarray<T> dw = xt::zeros<T>(iw->value.shape());
      const T* pg = g.data();
      T* pd = dw.data();
      for (std::size_t i = 0; i < idx.size(); ++i) {
        if (padding_idx && idx[i] == *padding_idx) continue;
        T* row = pd + idx[i] * d;
        const T* gr = pg + i * d;
        for (std::size_t j = 0; j < d; ++j) row[j] += gr[j];
      }
      accumulate_grad(*iw, std::move(dw));
    }
  };
  return make_result<T>("embedding", std::move(out), {&weight}, std::move(backward));
}

template <class T>
BasicTensor<T> one_hot_impl(const std::vector<std::size_t>& labels, Shape shape,
                            std::size_t num_classes) {
  check_below(labels, num_classes, "one_hot", "classes");
  shape.push_back(num_classes);
  xt::xarray<T> out = xt::zeros<T>(shape);
  for (std::size_t i = 0; i < labels.size(); ++i) out.data()[i * num_classes + labels[i]] = T(1);
  return BasicTensor<T>(std::move(out));
}

}  // namespace

template <class T>
BasicTensor<T> embedding(const BasicTensor<T>& indices, const BasicTensor<T>& weight,
                         std::optional<std::size_t> padding_idx) {
  return embedding_impl(whole_numbers(indices, "embedding"), indices.shape(), weight, padding_idx);
}

template <class T>
BasicTensor<T> embedding(const std::vector<std::size_t>& indices, const Shape& shape,
                         const BasicTensor<T>& weight, std::optional<std::size_t> padding_idx) {
  if (indices.size() != shape_numel(shape)) {
    throw ShapeError("embedding: " + std::to_string(indices.size()) + " indices for shape " +
                     shape_str(shape) + " (" + std::to_string(shape_numel(shape)) + " values)");
  }
  return embedding_impl(indices, shape, weight, padding_idx);
}

template <class T>
BasicTensor<T> one_hot(const std::vector<std::size_t>& labels, std::size_t num_classes) {
  return one_hot_impl<T>(labels, Shape{labels.size()}, num_classes);
}

template <class T>
BasicTensor<T> one_hot(const BasicTensor<T>& labels, std::size_t num_classes) {
  return one_hot_impl<T>(whole_numbers(labels, "one_hot"), labels.shape(), num_classes);
}

template <class T>
using EmbeddingOfTensor = BasicTensor<T>(const BasicTensor<T>&, const BasicTensor<T>&,
                                         std::optional<std::size_t>);
template <class T>
using EmbeddingOfList = BasicTensor<T>(const std::vector<std::size_t>&, const Shape&,
                                       const BasicTensor<T>&, std::optional<std::size_t>);
template <class T>
using OneHotOfList = BasicTensor<T>(const std::vector<std::size_t>&, std::size_t);
template <class T>
using OneHotOfTensor = BasicTensor<T>(const BasicTensor<T>&, std::size_t);
AXON_INSTANTIATE_SIGNATURE(EmbeddingOfTensor, embedding)
AXON_INSTANTIATE_SIGNATURE(EmbeddingOfList, embedding)
AXON_INSTANTIATE_SIGNATURE(OneHotOfList, one_hot)
AXON_INSTANTIATE_SIGNATURE(OneHotOfTensor, one_hot)

}  // namespace axon::autograd
