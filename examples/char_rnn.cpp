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
#include "examples/char_text.hpp"
#include "examples/common.hpp"

using namespace axon;
using autograd::Tensor;

using examples::CharLSTM;

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
    const std::size_t next = examples::draw_next(logits, vocab.size(), temperature, gen);
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

  examples::CharText data("char_rnn", path, seq_len, args.batch_size, args.seed);
  const datasets::CharVocab& vocab = data.vocab;
  const double unigram = data.unigram;
  datasets::DataLoader& train_loader = data.train;
  datasets::DataLoader& val_loader = data.val;
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
  const std::string generated = sample(model, vocab, data.prompt, 300, sampler);
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
