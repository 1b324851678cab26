// SPDX-License-Identifier: MIT
// Character-level text data: file reading with typed errors, the byte vocabulary, windows of
// (input, next-character target) indices as a Dataset, and the unigram entropy baseline.
#include "axon/datasets/text.hpp"

#include <cmath>
#include <cstring>
#include <filesystem>

#include "axon/autograd/error.hpp"
#include "axon/io/file_access.hpp"

namespace axon::datasets {

namespace {

/// A byte as text for error messages: 'a' for printable ASCII, else 0xNN.
std::string byte_str(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  static const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[u >> 4] + digits[u & 15];
}

}  // namespace

std::string read_text_file(const std::string& path) {
  // A regular file only (a FIFO would block, /dev/zero would never end); memory: its size.
  std::string bytes = io::InputFile(path, "text: ").read_all();
  if (bytes.empty()) throw IOError("text: " + path + ": the file is empty");
  return bytes;
}

std::string austen_text_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "persuasion_vol1.txt").string();
}

CharVocab::CharVocab(std::string_view text) {
  if (text.empty()) throw ValueError("CharVocab: the text is empty");
  std::array<bool, 256> seen{};
  for (char c : text) seen[static_cast<unsigned char>(c)] = true;
  for (std::size_t b = 0; b < 256; ++b) {
    if (!seen[b]) continue;
    index_[b] = static_cast<std::int16_t>(chars_.size());
    chars_.push_back(static_cast<char>(b));
  }
}

std::size_t CharVocab::index_of(char c) const {
  const std::int16_t i = index_[static_cast<unsigned char>(c)];
  if (i < 0) {
    throw IndexError("CharVocab::index_of: byte " + byte_str(c) + " is not in the vocabulary of " +
                     std::to_string(size()) + " characters");
  }
  return static_cast<std::size_t>(i);
}

char CharVocab::char_at(std::size_t index) const {
  if (index >= size()) {
    throw IndexError("CharVocab::char_at: index " + std::to_string(index) +
                     " is out of range for a vocabulary of " + std::to_string(size()));
  }
  return chars_[index];
}

std::vector<std::size_t> CharVocab::encode(std::string_view text) const {
  std::vector<std::size_t> out(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::int16_t k = index_[static_cast<unsigned char>(text[i])];
    if (k < 0) {
      throw IndexError("CharVocab::encode: byte " + byte_str(text[i]) + " at position " +
                       std::to_string(i) + " is not in the vocabulary of " +
                       std::to_string(size()) + " characters");
    }
    out[i] = static_cast<std::size_t>(k);
  }
  return out;
}

std::string CharVocab::decode(std::span<const std::size_t> indices) const {
  std::string out(indices.size(), '\0');
  for (std::size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] >= size()) {
      throw IndexError("CharVocab::decode: index " + std::to_string(indices[i]) + " at position " +
                       std::to_string(i) + " is out of range for a vocabulary of " +
                       std::to_string(size()));
    }
    out[i] = chars_[indices[i]];
  }
  return out;
}

Dataset text_sequences(std::string_view text, const CharVocab& vocab, std::size_t seq_len) {
  if (seq_len == 0) throw ValueError("text_sequences: seq_len must be at least 1");
  if (text.size() <= seq_len) {  // fewer than seq_len + 1 (which wraps for seq_len = SIZE_MAX)
    throw ValueError("text_sequences: a text of " + std::to_string(text.size()) +
                     " characters is too short for one sequence of " + std::to_string(seq_len) +
                     " (it needs seq_len + 1 characters)");
  }
  const std::vector<std::size_t> codes = vocab.encode(text);
  const std::size_t samples = (codes.size() - 1) / seq_len;
  std::vector<std::uint8_t> inputs(samples * seq_len);
  std::vector<float> targets(samples * seq_len);
  // Windows do not overlap, so inputs are codes[0, N*T) and targets codes[1, N*T + 1).
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    inputs[i] = static_cast<std::uint8_t>(codes[i]);
    targets[i] = static_cast<float>(codes[i + 1]);
  }
  return Dataset::regression(std::move(inputs), {seq_len}, std::move(targets), seq_len);
}

std::vector<std::size_t> target_indices(const Batch& batch) {
  if (!batch.targets.defined()) throw ValueError("target_indices: the batch has no targets");
  const std::size_t n = batch.targets.numel();
  const float* t = batch.targets.data_ptr();
  std::vector<std::size_t> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!(t[i] >= 0.0f) || t[i] != std::floor(t[i])) {
      throw ValueError("target_indices: target " + std::to_string(t[i]) + " at position " +
                       std::to_string(i) + " is not a whole number >= 0");
    }
    out[i] = static_cast<std::size_t>(t[i]);
  }
  return out;
}

double unigram_cross_entropy(std::string_view text) {
  if (text.empty()) throw ValueError("unigram_cross_entropy: the text is empty");
  std::array<std::size_t, 256> counts{};
  for (char c : text) ++counts[static_cast<unsigned char>(c)];
  const double n = static_cast<double>(text.size());
  double entropy = 0.0;
  for (std::size_t count : counts) {
    if (count == 0) continue;
    const double p = static_cast<double>(count) / n;
    entropy -= p * std::log(p);
  }
  return entropy;
}

}  // namespace axon::datasets
