// SPDX-License-Identifier: MIT
// Tests nn/embedding.cpp: N(0,1) init with a zero padding row, lookups and the scattered gradient
// against PyTorch (tests/nn/golden_norm.hpp), index tensors from datasets::text_sequences,
// gradcheck_module in double, errors.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "axon/autograd/autograd.hpp"
#include "axon/datasets/dataloader.hpp"
#include "axon/datasets/text.hpp"
#include "axon/nn/embedding.hpp"
#include "axon/nn/gradcheck.hpp"
#include "tests/nn/golden_norm.hpp"

namespace axon::test {

using namespace axon::autograd;

namespace {

template <std::size_t N>
TensorD golden_tensor(const double (&values)[N], const Shape& shape) {
  return from_vector<double>(std::vector<double>(values, values + N), shape);
}

/// Largest |got - want| over all elements.
template <std::size_t N>
double max_diff(const TensorD& got, const double (&want)[N]) {
  REQUIRE(got.numel() == N);
  double worst = 0;
  for (std::size_t i = 0; i < N; ++i)
    worst = std::max(worst, std::abs(got.data_ptr()[i] - want[i]));
  return worst;
}

}  // namespace

TEST_CASE("nn: Embedding init N(0,1) with a zero padding row, lookups match PyTorch") {
  Generator gen(0);
  nn::EmbeddingD big(nn::EmbeddingOptions(400, 50).padding_idx(3), gen);
  double s = 0, sq = 0;
  for (double w : big.weight().data()) s += w, sq += w * w;
  const double n = 400 * 50 - 50;
  CHECK(s / n == doctest::Approx(0.0).epsilon(0.02));
  CHECK(sq / n == doctest::Approx(1.0).epsilon(0.03));
  for (std::size_t j = 0; j < 50; ++j) CHECK(big.weight().data()(3, j) == 0.0);
  CHECK(big.repr() == "Embedding(400, 50, padding_idx=3)  # 20000 parameters");

  namespace g = golden_norm;
  nn::EmbeddingD emb(nn::EmbeddingOptions(5, 3).padding_idx(1), gen);
  emb.weight().mutable_data() = golden_tensor(g::emb_weight, {5, 3}).data();
  const auto idx = golden_tensor(g::emb_indices, {2, 3});
  auto y = emb.forward(idx);
  CHECK(max_diff(y, g::emb_y) < 1e-12);
  sum(y * golden_tensor(g::emb_r, {2, 3, 3})).backward();
  CHECK(max_diff(emb.weight().grad(), g::emb_grad_weight) < 1e-12);
  // The integer overload gives the same rows.
  CHECK(emb.forward({4, 1, 0, 1, 4, 2}, {2, 3}).data() == y.data());
}

TEST_CASE("nn: Embedding takes the [B, T] index batches of datasets::text_sequences") {
  Generator gen(0);
  const std::string text = "the cat sat on the mat; the rat ate the hat.";
  const datasets::CharVocab vocab(text);
  datasets::DataLoader loader(datasets::text_sequences(text, vocab, 8), 2);
  nn::Embedding emb(nn::EmbeddingOptions(vocab.size(), 4), gen);
  datasets::Batch batch = *loader.begin();
  const auto e = emb.forward(batch.inputs);
  REQUIRE(e.shape() == Shape{2, 8, 4});
  // Position (1, 3) holds the row of its character.
  const auto k = static_cast<std::size_t>(batch.inputs.data()(1, 3));
  CHECK(k == vocab.index_of(text[8 + 3]));
  for (std::size_t j = 0; j < 4; ++j) CHECK(e.data()(1, 3, j) == emb.weight().data()(k, j));
}

TEST_CASE("nn: Embedding passes gradcheck_module in double; bad indices are typed errors") {
  Generator gen(0);
  nn::EmbeddingD emb(nn::EmbeddingOptions(6, 3).padding_idx(0), gen);
  // Indices are not differentiable: only the weight is checked. Row 0 (padding) is not used.
  auto r = nn::gradcheck_module(emb, from_vector<double>({5, 2, 2, 1, 5}, {5}));
  INFO(r.message);
  CHECK(r.ok);
  CHECK_THROWS_WITH_AS(
      nn::Embedding(nn::EmbeddingOptions(5, 2), gen).forward(full<float>({2}, 5.0f)),
      doctest::Contains("index 5 at position 0 is out of range for 5"), IndexError);
  CHECK_THROWS_AS(nn::Embedding(nn::EmbeddingOptions(5, 2).padding_idx(5), gen), ValueError);
  CHECK_THROWS_AS(nn::Embedding(nn::EmbeddingOptions(5, 2), gen).forward(full<float>({1}, 0.5f)),
                  ValueError);
}

}  // namespace axon::test
