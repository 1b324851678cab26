// SPDX-License-Identifier: MIT
// Embedding: the N(0, 1) table with its zeroed padding row, and lookups through
// autograd::embedding from index tensors or index vectors.
#include "axon/nn/embedding.hpp"

#include "axon/autograd/error.hpp"
#include "axon/autograd/ops/embedding.hpp"
#include "axon/nn/init.hpp"

namespace axon::nn {

template <class T>
BasicEmbedding<T>::BasicEmbedding(const EmbeddingOptions& options, autograd::Generator& gen)
    : options_(options) {
  build(gen);
}

template <class T>
void BasicEmbedding<T>::build(autograd::Generator& gen) {
  if (options_.num_embeddings() == 0 || options_.embedding_dim() == 0) {
    throw ValueError("Embedding: num_embeddings and embedding_dim must be at least 1 (got " +
                     std::to_string(options_.num_embeddings()) + " and " +
                     std::to_string(options_.embedding_dim()) + ")");
  }
  if (options_.padding_idx() && *options_.padding_idx() >= options_.num_embeddings()) {
    throw ValueError("Embedding(" + extra_repr() + "): padding_idx must be below num_embeddings");
  }
  weight_ = &this->register_parameter(
      "weight", autograd::zeros<T>({options_.num_embeddings(), options_.embedding_dim()}));
  reset_parameters(gen);
}

template <class T>
void BasicEmbedding<T>::reset_parameters(autograd::Generator& gen) {
  init::normal_(*weight_, gen, 0.0, 1.0);
  if (options_.padding_idx()) {
    const std::size_t d = options_.embedding_dim();
    T* row = weight_->mutable_data_ptr() + *options_.padding_idx() * d;
    for (std::size_t j = 0; j < d; ++j) row[j] = T(0);
  }
}

template <class T>
auto BasicEmbedding<T>::forward(const Tensor& indices) -> Tensor {
  return autograd::embedding(indices, *weight_, options_.padding_idx());
}

template <class T>
auto BasicEmbedding<T>::forward(const std::vector<std::size_t>& indices,
                                const autograd::Shape& shape) -> Tensor {
  return autograd::embedding(indices, shape, *weight_, options_.padding_idx());
}

template <class T>
std::string BasicEmbedding<T>::extra_repr() const {
  std::string s =
      std::to_string(options_.num_embeddings()) + ", " + std::to_string(options_.embedding_dim());
  if (options_.padding_idx()) s += ", padding_idx=" + std::to_string(*options_.padding_idx());
  return s;
}

template class BasicEmbedding<float>;
template class BasicEmbedding<double>;

}  // namespace axon::nn
