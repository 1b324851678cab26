// SPDX-License-Identifier: MIT
// Embedding: a lookup table of learnt vectors indexed by integers, as torch.nn.Embedding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "axon/autograd/arg.hpp"
#include "axon/autograd/random.hpp"
#include "axon/nn/module.hpp"

namespace axon::nn {

/// Options of Embedding: `Embedding(EmbeddingOptions(vocab, 64).padding_idx(0))`.
class EmbeddingOptions {
 public:
  /// A table of `num_embeddings` vectors of `embedding_dim` values.
  EmbeddingOptions(std::size_t num_embeddings, std::size_t embedding_dim)
      : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}

  /// Rows of the table (the vocabulary size).
  AXON_ARG(std::size_t, num_embeddings);
  /// Values per row.
  AXON_ARG(std::size_t, embedding_dim);
  /// A row kept at 0 with no gradient (default none).
  AXON_ARG(std::optional<std::size_t>, padding_idx);
};

/// Looks up rows of "weight" [num_embeddings, embedding_dim] (autograd::embedding): indices of
/// any shape S give [S..., embedding_dim]. Init as PyTorch: weight ~ N(0, 1), the padding_idx row
/// zeroed; that row receives no gradient, so it stays 0 under training (unless weight decay or a
/// direct write changes it).
///
/// Module::forward takes a tensor, so forward(indices) takes a float tensor of whole numbers,
/// which is what a DataLoader batch holds (e.g. datasets::text_sequences' inputs [B, T]); a value
/// that is not a whole number >= 0 is a ValueError, one >= num_embeddings an IndexError naming
/// it. forward(indices, shape) takes integer indices directly.
template <class T>
class BasicEmbedding : public BasicModule<T> {
 public:
  using Tensor = BasicTensor<T>;  ///< the tensor type of inputs, outputs and parameters

  using Options = EmbeddingOptions;  ///< the options class this is built from
  /// Initialised from `gen` (which advances).
  BasicEmbedding(const EmbeddingOptions& options, autograd::Generator& gen);

  Tensor forward(const Tensor& indices) override;
  /// The rows at integer `indices` (prod(shape) values, row-major): [shape..., embedding_dim].
  Tensor forward(const std::vector<std::size_t>& indices, const autograd::Shape& shape);
  std::string name() const override { return "Embedding"; }
  std::string extra_repr() const override;

  /// Re-draws the weight from N(0, 1) and zeroes the padding row.
  void reset_parameters(autograd::Generator& gen);

  /// The options the layer was built with.
  const EmbeddingOptions& options() const { return options_; }
  /// The table [num_embeddings, embedding_dim].
  Tensor& weight() { return *weight_; }
  /// The table, read-only.
  const Tensor& weight() const { return *weight_; }

 private:
  void build(autograd::Generator& gen);

  EmbeddingOptions options_;
  Tensor* weight_ = nullptr;  // stored in the module's registry
};

using Embedding = BasicEmbedding<float>;    ///< float32 elements
using EmbeddingD = BasicEmbedding<double>;  ///< float64 elements (gradient checks)

}  // namespace axon::nn
