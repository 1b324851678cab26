// SPDX-License-Identifier: MIT
// A character-level causal Transformer language model: characters -> Embedding + sinusoidal
// positions -> 2 pre-norm TransformerEncoderLayers with a causal mask (d_model 64, 4 heads,
// feed-forward 256; no dropout, since a few epochs on this text do not overfit) -> LayerNorm ->
// Linear over the vocabulary, trained with train::fit to predict the next character of a
// plain-text file (by default the bundled Austen, Persuasion vol. I) in windows of 64 characters,
// as examples/char_rnn.cpp does with an LSTM of a similar parameter count. The last 10% of the
// text is held out. Prints the loss per epoch, a seeded sample, and the held-out loss in nats and
// in bits per character beside the unigram entropy of the text. With --compare-rnn it then trains
// char_rnn's model (one-hot -> LSTM(128) -> Linear) for as long as the Transformer took (whole
// epochs) and reports its held-out bits per character in the same JSON line.
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
#include "axon/nn/embedding.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/losses.hpp"
#include "axon/nn/positional.hpp"
#include "axon/nn/rnn.hpp"
#include "axon/nn/transformer.hpp"
#include "axon/optim/adam.hpp"
#include "axon/train/callbacks.hpp"
#include "axon/train/fit.hpp"
#include "examples/char_text.hpp"
#include "examples/common.hpp"

using namespace axon;
using autograd::Tensor;

/// Embedding + positions -> causal encoder -> Linear: logits of the next character everywhere.
class CharTransformer : public nn::Module {
 public:
  CharTransformer(std::size_t vocab, std::size_t d_model, std::size_t heads, std::size_t layers,
                  std::size_t max_len, autograd::Generator& gen)
      : vocab_(vocab),
        embed_(register_module(
            "embed", std::make_shared<nn::Embedding>(nn::EmbeddingOptions(vocab, d_model), gen))),
        pos_(register_module(
            "pos", std::make_shared<nn::SinusoidalPositionalEncoding>(
                       nn::PositionalEncodingOptions(d_model, max_len).batch_first(true)))),
        encoder_(register_module(
            "encoder",
            std::make_shared<nn::TransformerEncoder>(
                nn::TransformerEncoderOptions(nn::TransformerEncoderLayerOptions(d_model, heads)
                                                  .dim_feedforward(4 * d_model)
                                                  .dropout(0.0)
                                                  .batch_first(true)
                                                  .norm_first(true),
                                              layers)
                    .norm(true),
                gen))),
        fc_(register_module(
            "fc", std::make_shared<nn::Linear>(nn::LinearOptions(d_model, vocab), gen))) {}

  /// [B, T] indices -> logits [B*T, vocab] (rows in the order of datasets::target_indices).
  Tensor forward(const Tensor& indices) override {
    nn::EncoderMasks<float> masks;
    masks.is_causal = true;  // position t sees characters 0..t only
    const Tensor h = encoder_->forward(pos_->forward(embed_->forward(indices)), masks);
    return autograd::reshape(fc_->forward(h), {-1, static_cast<long>(vocab_)});
  }

 private:
  std::size_t vocab_;
  std::shared_ptr<nn::Embedding> embed_;
  std::shared_ptr<nn::SinusoidalPositionalEncoding> pos_;
  std::shared_ptr<nn::TransformerEncoder> encoder_;
  std::shared_ptr<nn::Linear> fc_;
};

using examples::CharLSTM;

/// Continues `prompt` by `length` characters drawn from softmax(logits / temperature), each step
/// reading the last `context` characters.
std::string sample(CharTransformer& model, const datasets::CharVocab& vocab,
                   const std::string& prompt, std::size_t length, std::size_t context,
                   autograd::Generator& gen, float temperature = 0.8f) {
  autograd::NoGradGuard no_grad;
  std::vector<std::size_t> codes = vocab.encode(prompt);
  std::string text = prompt;
  for (std::size_t i = 0; i < length; ++i) {
    const std::size_t start = codes.size() > context ? codes.size() - context : 0;
    const std::size_t n = codes.size() - start;
    Tensor window = autograd::zeros<float>({1, n});
    for (std::size_t k = 0; k < n; ++k) window.mutable_data_ptr()[k] = float(codes[start + k]);
    const Tensor last = autograd::slice(model.forward(window), 0, long(n) - 1, long(n));
    const std::size_t next = examples::draw_next(last, vocab.size(), temperature, gen);
    codes.push_back(next);
    text += vocab.char_at(next);
  }
  return text;
}

int main(int argc, char** argv) try {
  std::string path = datasets::austen_text_path();
  examples::Args args;
  args.epochs = 5;
  args.batch_size = 64;
  CLI::App app("A character-level causal Transformer language model", "char_transformer");
  examples::add_flags(app, args,
                      examples::kEpochs | examples::kBatchSize | examples::kThreads |
                          examples::kSeed | examples::kSave | examples::kCheckpoint |
                          examples::kResume);
  examples::add_text(app, "--text", path, "PATH", "the text to learn")->capture_default_str();
  bool compare_rnn = false;
  app.add_flag("--compare-rnn", compare_rnn,
               "then train char_rnn's LSTM for the same wall time and report both");
  examples::parse(app, argc, argv, args);
  const std::size_t seq_len = 64, d_model = 64, heads = 4, layers = 2;

  examples::CharText data("char_transformer", path, seq_len, args.batch_size, args.seed);
  const datasets::CharVocab& vocab = data.vocab;
  const double unigram = data.unigram;
  datasets::DataLoader& train_loader = data.train;
  datasets::DataLoader& val_loader = data.val;
  const train::LossFunction loss = [](const Tensor& logits, const datasets::Batch& batch) {
    return nn::cross_entropy(logits, datasets::target_indices(batch));  // mean nats per char
  };

  autograd::Generator gen(args.seed);
  CharTransformer model(vocab.size(), d_model, heads, layers, seq_len, gen);
  std::printf("%s\n", model.repr().c_str());
  optim::Adam optimizer(model.parameters(), optim::AdamOptions(3e-3));
  examples::Stopwatch clock;
  const auto history = train::fit(
      model, optimizer, loss, train_loader,
      examples::with_checkpoints(args, train::FitOptions().epochs(args.epochs).seed(args.seed)),
      &val_loader);
  const double seconds = clock.seconds();
  const double val_loss = history["val_loss"].back();
  const double bits = val_loss / std::log(2.0);
  std::printf("held-out loss %.4f nats/char = %.4f bits/char (unigram %.4f nats); %.1f s\n",
              val_loss, bits, unigram, seconds);

  model.eval();
  autograd::Generator sampler(args.seed);
  const std::string generated = sample(model, vocab, data.prompt, 300, seq_len, sampler);
  std::printf("--- sample ---\n%s\n--------------\n", generated.c_str());

  examples::save_parameters(args, model);
  nlohmann::ordered_json result = {
      {"epochs", args.epochs},    {"train_loss", history["loss"].back()},
      {"val_loss", val_loss},     {"val_bits_per_char", bits},
      {"unigram_loss", unigram},  {"parameters", model.num_parameters()},
      {"train_seconds", seconds}, {"threads", train::num_threads()}};
  if (compare_rnn) {
    // The LSTM of char_rnn (a similar parameter count), trained in whole epochs until it has used
    // the Transformer's training time: the comparison at equal wall time.
    autograd::Generator rnn_gen(args.seed);
    CharLSTM rnn(vocab.size(), 128, rnn_gen);
    optim::Adam rnn_optimizer(rnn.parameters(), optim::AdamOptions(3e-3));
    examples::Stopwatch rnn_clock;
    auto budget = std::make_shared<train::LambdaCallback>(
        [&](std::size_t, const train::EpochLogs&, train::TrainContext& ctx) {
          if (rnn_clock.seconds() >= seconds) ctx.stop_training = true;
        });
    const auto rnn_history =
        train::fit(rnn, rnn_optimizer, loss, train_loader,
                   train::FitOptions().epochs(1000).seed(args.seed).callback(budget), &val_loader);
    const double rnn_loss = rnn_history["val_loss"].back();
    std::printf(
        "char_rnn's LSTM (%zu parameters): held-out %.4f bits/char after %zu epochs, %.1f s\n",
        rnn.num_parameters(), rnn_loss / std::log(2.0), rnn_history["val_loss"].size(),
        rnn_clock.seconds());
    result["rnn_val_bits_per_char"] = rnn_loss / std::log(2.0);
    result["rnn_epochs"] = rnn_history["val_loss"].size();
    result["rnn_parameters"] = rnn.num_parameters();
    result["rnn_train_seconds"] = rnn_clock.seconds();
  }
  examples::print_result("char_transformer", result);
  return 0;
} catch (const std::exception& e) {
  return examples::report_error(e);
}
