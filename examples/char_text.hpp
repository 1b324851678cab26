// SPDX-License-Identifier: MIT
#pragma once

// What the two character-level language models (char_rnn, char_transformer) share: the text
// split into training and held-out windows, and char_rnn's LSTM model, which char_transformer
// --compare-rnn trains beside its Transformer.
#include <cstdio>
#include <memory>
#include <string>

#include "axon/autograd/error.hpp"
#include "axon/autograd/ops/elementwise.hpp"
#include "axon/autograd/ops/shape.hpp"
#include "axon/autograd/ops/softmax.hpp"
#include "axon/autograd/random.hpp"
#include "axon/datasets/dataloader.hpp"
#include "axon/datasets/text.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/rnn.hpp"

namespace axon::examples {

/// A text file read for next-character prediction: its vocabulary, the unigram entropy (the loss
/// of the best model blind to context), shuffled training windows from the first 90% and
/// held-out windows from the last 10%.
struct CharText {
  /// Reads `path`; ValueError naming `example` and the file when the held-out 10% cannot hold
  /// one window of seq_len + 1 characters. Prints one line about the text.
  CharText(const std::string& example, const std::string& path, std::size_t seq_len,
           std::size_t batch_size, std::uint64_t seed)
      : CharText(example, path, datasets::read_text_file(path), seq_len, batch_size, seed) {}

  datasets::CharVocab vocab;   ///< the bytes of the text
  double unigram = 0;          ///< unigram entropy of the whole text, nats per character
  datasets::DataLoader train;  ///< windows of the first 90%, shuffled with the seed
  datasets::DataLoader val;    ///< windows of the last 10%, in order, batches of 256
  std::string prompt;          ///< the first 16 held-out characters (to start a sample)

 private:
  CharText(const std::string& example, const std::string& path, const std::string& text,
           std::size_t seq_len, std::size_t batch_size, std::uint64_t seed)
      : vocab(checked(example, path, text, seq_len)),
        unigram(datasets::unigram_cross_entropy(text)),
        train(datasets::text_sequences(text.substr(0, split(text)), vocab, seq_len),
              datasets::DataLoaderOptions(batch_size).shuffle(true).seed(seed)),
        val(datasets::text_sequences(text.substr(split(text)), vocab, seq_len),
            datasets::DataLoaderOptions(256)),
        prompt(text.substr(split(text), 16)) {
    std::printf("%s: %zu characters, %zu distinct; unigram entropy %.4f nats/char\n", path.c_str(),
                text.size(), vocab.size(), unigram);
  }
  static std::size_t split(const std::string& text) { return text.size() - text.size() / 10; }
  /// The text itself once it is long enough for a held-out window.
  static const std::string& checked(const std::string& example, const std::string& path,
                                    const std::string& text, std::size_t seq_len) {
    if (text.size() / 10 < seq_len + 1) {
      throw ValueError(example + ": " + path + ": " + std::to_string(text.size()) +
                       " bytes; at least " + std::to_string(10 * (seq_len + 1)) +
                       " are needed, so that the held-out last 10% holds one window of " +
                       std::to_string(seq_len + 1));
    }
    return text;
  }
};

/// [B, T] character indices (as floats) -> one-hot [B, T, vocab], a constant input.
inline autograd::Tensor one_hot(const autograd::Tensor& indices, std::size_t vocab) {
  autograd::Tensor x = autograd::zeros<float>({indices.shape()[0], indices.shape()[1], vocab});
  float* px = x.mutable_data_ptr();
  for (std::size_t k = 0; k < indices.numel(); ++k) {
    px[k * vocab + static_cast<std::size_t>(indices.data_ptr()[k])] = 1.0f;
  }
  return x;
}

/// The index of the next character, drawn from softmax(logits / temperature) over a row of
/// `vocab` logits with one uniform draw of `gen` (the last index if rounding leaves the sum short).
inline std::size_t draw_next(const autograd::Tensor& logits, std::size_t vocab, float temperature,
                             autograd::Generator& gen) {
  const autograd::Tensor p = autograd::softmax(autograd::mul(logits, 1.0f / temperature), -1);
  const double u = gen.uniform();
  double cumulative = 0;
  for (std::size_t k = 0; k < vocab; ++k) {
    cumulative += p.data_ptr()[k];
    if (u < cumulative) return k;
  }
  return vocab - 1;
}

/// char_rnn's model. One-hot -> LSTM -> Linear: logits of the next character at every position.
class CharLSTM : public nn::Module {
 public:
  /// An LSTM of `hidden` units over a vocabulary of `vocab` characters.
  CharLSTM(std::size_t vocab, std::size_t hidden, autograd::Generator& gen)
      : vocab_(vocab),
        lstm_(register_module("lstm", std::make_shared<nn::LSTM>(
                                          nn::LSTMOptions(vocab, hidden).batch_first(true), gen))),
        fc_(register_module("fc",
                            std::make_shared<nn::Linear>(nn::LinearOptions(hidden, vocab), gen))) {}

  /// [B, T] indices -> logits [B*T, vocab] (rows in the order of datasets::target_indices).
  autograd::Tensor forward(const autograd::Tensor& indices) override {
    nn::RecurrentState<float> state;
    return step(indices, state);
  }
  /// The same from `state`, which is replaced by the final state (for sampling).
  autograd::Tensor step(const autograd::Tensor& indices, nn::RecurrentState<float>& state) {
    const auto r = lstm_->forward_with_state(one_hot(indices, vocab_), state);
    state = {r.h_n, r.c_n};
    return autograd::reshape(fc_->forward(r.output), {-1, static_cast<long>(vocab_)});
  }

 private:
  std::size_t vocab_;
  std::shared_ptr<nn::LSTM> lstm_;
  std::shared_ptr<nn::Linear> fc_;
};

}  // namespace axon::examples
