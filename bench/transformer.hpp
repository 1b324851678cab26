// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "harness.hpp"

/// Settings shared by both frameworks' `transformer` workloads: a sequence classifier on synthetic
/// token sequences. Tokens [B, 64] from a vocabulary of 64 -> Embedding(64, 128) + the sinusoidal
/// position table -> 2 post-norm TransformerEncoderLayers (d_model 128, 4 heads, feed-forward 512,
/// ReLU, dropout 0: libtorch 1.13's C++ TransformerEncoderLayer has neither norm_first nor GELU by
/// name nor batch_first, so its defaults are the shared choice) -> mean over the positions ->
/// Linear(128, 4) -> softmax cross-entropy, Adam lr 1e-3, batch 32, one pass over 1,024 sequences
/// in a fresh random order. The sequences and labels come from `make_data` (a fixed seed), so both
/// frameworks train on the same data.
namespace bench::transformer {

inline constexpr std::size_t kBatch = 32;
inline constexpr double kLearningRate = 1e-3;
inline constexpr std::size_t kSequences = 1024;  ///< samples per timed pass
inline constexpr std::size_t kVocab = 64, kSeq = 64, kModel = 128, kHeads = 4, kFeedForward = 512;
inline constexpr std::size_t kLayers = 2, kClasses = 4;
/// Training FLOPs per sample: forward per position and layer 2 x (in_proj 3E^2 + out_proj E^2 +
/// scores T E + weighted values T E + feed-forward 2 E F), plus the head 2 E C; training is
/// counted as 3 x forward (the input gradients run through every layer down to the embedding).
inline constexpr double kFlopsPerSample =
    3.0 * (2.0 * kSeq * kLayers *
               (4.0 * kModel * kModel + 2.0 * kSeq * kModel + 2.0 * kModel * kFeedForward) +
           2.0 * kModel * kClasses);

/// The synthetic data set: `tokens` row-major [n, kSeq] in [0, kVocab), one label per row.
struct Data {
  std::vector<std::uint8_t> tokens;
  std::vector<std::size_t> labels;
};

/// `n` sequences of uniform tokens (splitmix64 from seed 0, so the same on every machine and for
/// both frameworks). The label says in which halves of the sequence the "low" tokens (< kVocab/2)
/// are the majority: 2 x [first half] + [second half], four classes that need the positions.
inline Data make_data(std::size_t n) {
  std::uint64_t state = 0;
  const auto next = [&state] {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  Data d;
  d.tokens.resize(n * kSeq);
  d.labels.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t low[2] = {0, 0};
    for (std::size_t t = 0; t < kSeq; ++t) {
      const auto token = static_cast<std::uint8_t>(next() % kVocab);
      d.tokens[i * kSeq + t] = token;
      if (token < kVocab / 2) ++low[t < kSeq / 2 ? 0 : 1];
    }
    d.labels[i] = 2 * (low[0] > kSeq / 4 ? 1 : 0) + (low[1] > kSeq / 4 ? 1 : 0);
  }
  return d;
}

}  // namespace bench::transformer
