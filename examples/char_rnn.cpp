// SPDX-License-Identifier: MIT
// A character-level language model: one-hot characters -> LSTM(128) -> Linear over the
// vocabulary, trained with train::fit to predict the next character of a plain-text file (by
// default the bundled Austen, Persuasion vol. I) in windows of 64 characters. The last 10% of the
// text is held out. Prints the loss per epoch, then a seeded sample of generated text, and the
// held-out loss in nats per character beside the unigram entropy of the text: what the best model
// blind to context would reach (tests/examples/ expects the model to beat it).
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "axon/autograd/ops/elementwise.hpp"
#include "axon/autograd/ops/shape.hpp"
#include "axon/autograd/ops/softmax.hpp"
#include "axon/datasets/dataloader.hpp"
#include "axon/datasets/text.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/losses.hpp"
#include "axon/nn/rnn.hpp"
#include "axon/optim/adam.hpp"
#include "axon/train/fit.hpp"
#include "examples/common.hpp"

using namespace axon;
using autograd::Tensor;

/// [B, T] character indices (as floats) -> one-hot [B, T, vocab], a constant input.
Tensor one_hot(const Tensor& indices, std::size_t vocab) {
  Tensor x = autograd::zeros<float>({indices.shape()[0], indices.shape()[1], vocab});
  for (std::size_t k = 0; k < indices.numel(); ++k) {
    x.data_ptr()[k * vocab + static_cast<std::size_t>(indices.data_ptr()[k])] = 1.0f;
  }
  return x;
}

/// One-hot -> LSTM -> Linear: logits of the next character at every position.
class CharLSTM : public nn::Module {
 public:
  CharLSTM(std::size_t vocab, std::size_t hidden, autograd::Generator& gen)
      : vocab_(vocab),
        lstm_(register_module("lstm", std::make_shared<nn::LSTM>(
                                          nn::LSTMOptions(vocab, hidden).batch_first(true), gen))),
        fc_(register_module("fc",
                            std::make_shared<nn::Linear>(nn::LinearOptions(hidden, vocab), gen))) {}

  /// [B, T] indices -> logits [B*T, vocab] (rows in the order of datasets::target_indices).
  Tensor forward(const Tensor& indices) override {
    nn::RecurrentState<float> state;
    return step(indices, state);
  }
  /// The same from `state`, which is replaced by the final state (for sampling).
  Tensor step(const Tensor& indices, nn::RecurrentState<float>& state) {
    const auto r = lstm_->forward_with_state(one_hot(indices, vocab_), state);
    state = {r.h_n, r.c_n};
    return autograd::reshape(fc_->forward(r.output), {-1, static_cast<long>(vocab_)});
  }

 private:
  std::size_t vocab_;
  std::shared_ptr<nn::LSTM> lstm_;
  std::shared_ptr<nn::Linear> fc_;
};

/// Continues `prompt` by `length` characters drawn from softmax(logits / temperature).
std::string sample(CharLSTM& model, const datasets::CharVocab& vocab, const std::string& prompt,
                   std::size_t length, autograd::Generator& gen, float temperature = 0.8f) {
  autograd::NoGradGuard no_grad;
  nn::RecurrentState<float> state;
  std::string text = prompt;
  const auto codes = vocab.encode(prompt);
  Tensor logits;
  for (std::size_t c : codes) logits = model.step(autograd::full<float>({1, 1}, float(c)), state);
  for (std::size_t i = 0; i < length; ++i) {
    const Tensor p = autograd::softmax(autograd::mul(logits, 1.0f / temperature), -1);
    double u = gen.uniform(), cumulative = 0;
    std::size_t next = vocab.size() - 1;
    for (std::size_t k = 0; k < vocab.size(); ++k) {
      cumulative += p.data_ptr()[k];
      if (u < cumulative) {
        next = k;
        break;
      }
    }
    text += vocab.char_at(next);
    logits = model.step(autograd::full<float>({1, 1}, float(next)), state);
  }
  return text;
}

int main(int argc, char** argv) try {
  std::string path = datasets::austen_text_path();
  examples::Args args;
  args.epochs = 5;
  args.batch_size = 64;
  CLI::App app("A character-level LSTM language model", "char_rnn");
  examples::add_flags(app, args,
                      examples::kEpochs | examples::kBatchSize | examples::kThreads |
                          examples::kSeed | examples::kSave | examples::kCheckpoint |
                          examples::kResume);
  examples::add_text(app, "--text", path, "PATH", "the text to learn")->capture_default_str();
  examples::parse(app, argc, argv, args);
  const std::size_t seq_len = 64, hidden = 128;

  const std::string text = datasets::read_text_file(path);
  // The held-out last 10% must hold one window of seq_len + 1 characters.
  if (text.size() / 10 < seq_len + 1) {
    throw ValueError("char_rnn: " + path + ": " + std::to_string(text.size()) +
                     " bytes; at least " + std::to_string(10 * (seq_len + 1)) +
                     " are needed, so that the held-out last 10% holds one window of " +
                     std::to_string(seq_len + 1));
  }
  const datasets::CharVocab vocab(text);
  const std::size_t split = text.size() - text.size() / 10;  // the last 10% is held out
  const std::string train_text = text.substr(0, split), val_text = text.substr(split);
  const double unigram = datasets::unigram_cross_entropy(text);
  std::printf("%s: %zu characters, %zu distinct; unigram entropy %.4f nats/char\n", path.c_str(),
              text.size(), vocab.size(), unigram);

  datasets::DataLoader train_loader(
      datasets::text_sequences(train_text, vocab, seq_len),
      datasets::DataLoaderOptions(args.batch_size).shuffle(true).seed(args.seed));
  datasets::DataLoader val_loader(datasets::text_sequences(val_text, vocab, seq_len),
                                  datasets::DataLoaderOptions(256));
  const train::LossFunction loss = [](const Tensor& logits, const datasets::Batch& batch) {
    return nn::cross_entropy(logits, datasets::target_indices(batch));  // mean nats per char
  };

  autograd::Generator gen(args.seed);
  CharLSTM model(vocab.size(), hidden, gen);
  std::printf("%s\n", model.repr().c_str());
  optim::Adam optimizer(model.parameters(), optim::AdamOptions(3e-3));
  examples::Stopwatch clock;
  const auto history = train::fit(
      model, optimizer, loss, train_loader,
      examples::with_checkpoints(args, train::FitOptions().epochs(args.epochs).seed(args.seed)),
      &val_loader);
  const double seconds = clock.seconds();
  const double val_loss = history["val_loss"].back();
  std::printf("held-out loss %.4f nats/char (unigram %.4f); %.1f s\n", val_loss, unigram, seconds);

  autograd::Generator sampler(args.seed);
  const std::string generated = sample(model, vocab, val_text.substr(0, 16), 300, sampler);
  std::printf("--- sample ---\n%s\n--------------\n", generated.c_str());

  examples::save_parameters(args, model);
  examples::print_result("char_rnn", {{"epochs", args.epochs},
                                      {"train_loss", history["loss"].back()},
                                      {"val_loss", val_loss},
                                      {"unigram_loss", unigram},
                                      {"train_seconds", seconds},
                                      {"threads", train::num_threads()}});
  return 0;
} catch (const std::exception& e) {
  return examples::report_error(e);
}
