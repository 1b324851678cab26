// SPDX-License-Identifier: MIT
// Character-level text data for language models: reading a text file, a byte vocabulary,
// encoding and decoding, fixed-length (input, next-character target) sequences as a Dataset,
// and the unigram entropy a character model has to beat.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "axon/datasets/bundled.hpp"
#include "axon/datasets/dataset.hpp"

namespace axon::datasets {

/// Reads a whole file as bytes (UTF-8 is kept as its bytes, nothing is decoded). IOError naming
/// the file when it is missing, is not a regular file (a directory, a FIFO, /dev/zero: the open
/// never blocks), cannot be read or allocated, or is empty.
std::string read_text_file(const std::string& path);

/// Path of the bundled text: Jane Austen's "Persuasion", Volume I (215,526 ASCII bytes, public
/// domain; see datasets/data/README.md).
std::string austen_text_path(const std::string& data_dir = default_data_dir());

/// The distinct bytes of a text, sorted, each with its index: index i is the i-th smallest byte.
/// Works on bytes, so a UTF-8 character outside ASCII counts as two to four symbols.
class CharVocab {
 public:
  /// An empty vocabulary.
  CharVocab() = default;
  /// The bytes that occur in `text`; ValueError when the text is empty.
  explicit CharVocab(std::string_view text);

  /// Number of distinct bytes (1..256).
  std::size_t size() const { return chars_.size(); }
  /// The vocabulary's bytes in index order.
  const std::string& chars() const { return chars_; }
  /// Whether byte `c` is in the vocabulary.
  bool contains(char c) const { return index_[static_cast<unsigned char>(c)] >= 0; }
  /// Index of byte `c`; IndexError naming the byte when it is not in the vocabulary.
  std::size_t index_of(char c) const;
  /// Byte at `index`; IndexError when index >= size().
  char char_at(std::size_t index) const;

  /// Indices of the bytes of `text`; IndexError naming the byte and its position when one is not
  /// in the vocabulary.
  std::vector<std::size_t> encode(std::string_view text) const;
  /// The bytes at `indices`; IndexError naming the position of an index >= size().
  std::string decode(std::span<const std::size_t> indices) const;

 private:
  std::string chars_;
  std::array<std::int16_t, 256> index_ = filled_with_minus_one();

  static std::array<std::int16_t, 256> filled_with_minus_one() {
    std::array<std::int16_t, 256> a{};
    a.fill(-1);
    return a;
  }
};

/// Cuts `text` into non-overlapping windows of `seq_len` characters for next-character
/// prediction: sample k has inputs = indices of text[kT, kT+T) and targets = indices of
/// text[kT+1, kT+T+1), T = seq_len. There are (text.size() - 1) / T samples; the tail that does
/// not fill a window is left out. In a DataLoader batch, `inputs` is float [B, T] and `targets`
/// float [B, T], both holding whole-number indices below vocab.size() (stored as uint8, so the
/// data set costs 5 bytes per character). ValueError when seq_len is 0 or the text is shorter
/// than seq_len + 1; IndexError when a byte is not in `vocab`.
Dataset text_sequences(std::string_view text, const CharVocab& vocab, std::size_t seq_len);

/// The targets of a text batch ([B, T] floats) as class indices in row-major order (B*T
/// values), matching logits reshaped to [B*T, V] for cross_entropy. ValueError when the batch
/// has no targets or a target is not a whole number >= 0.
std::vector<std::size_t> target_indices(const Batch& batch);

/// Entropy of the text's byte frequencies in nats per character: -sum_c p(c) log p(c). The
/// cross-entropy of the best model that ignores context, so the baseline a character model must
/// beat. ValueError when the text is empty.
double unigram_cross_entropy(std::string_view text);

}  // namespace axon::datasets
