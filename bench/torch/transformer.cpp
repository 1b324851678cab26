// SPDX-License-Identifier: MIT
// transformer in libtorch: the same model (Embedding, sinusoidal positions,
// torch::nn::TransformerEncoder of 2 post-norm ReLU layers with dropout 0, mean over the
// positions, Linear), optimizer, batch size and synthetic sequences as bench/axon/transformer.cpp.
// libtorch 1.13's C++ encoder takes [T, B, E], so the embedded batch is transposed (a view).
#include <torch/torch.h>

#include <cmath>
#include <cstdint>

#include "../harness.hpp"
#include "../transformer.hpp"

namespace bench {
namespace {

namespace tf = transformer;

struct TokenClassifierImpl : torch::nn::Module {
  TokenClassifierImpl()
      : embed(register_module("embed", torch::nn::Embedding(tf::kVocab, tf::kModel))),
        encoder(register_module(
            "encoder", torch::nn::TransformerEncoder(torch::nn::TransformerEncoderOptions(
                           torch::nn::TransformerEncoderLayerOptions(tf::kModel, tf::kHeads)
                               .dim_feedforward(tf::kFeedForward)
                               .dropout(0.0),
                           tf::kLayers)))),
        fc(register_module("fc", torch::nn::Linear(tf::kModel, tf::kClasses))) {
    // pe[t, 2i] = sin(t / 10000^(2i/D)), pe[t, 2i+1] = cos(...), as axon's positional encoding.
    auto table =
        torch::zeros({static_cast<std::int64_t>(tf::kSeq), static_cast<std::int64_t>(tf::kModel)});
    auto a = table.accessor<float, 2>();
    for (std::size_t t = 0; t < tf::kSeq; ++t) {
      for (std::size_t i = 0; i < tf::kModel; i += 2) {
        const double angle =
            static_cast<double>(t) / std::pow(10000.0, static_cast<double>(i) / tf::kModel);
        a[t][i] = static_cast<float>(std::sin(angle));
        a[t][i + 1] = static_cast<float>(std::cos(angle));
      }
    }
    pe = register_buffer("pe", table);
  }
  /// tokens [B, T] (int64) -> logits [B, classes]
  torch::Tensor forward(const torch::Tensor& tokens) {
    const auto x = (embed->forward(tokens) + pe).transpose(0, 1);  // [T, B, E]
    return fc->forward(encoder->forward(x).mean(0));
  }
  torch::nn::Embedding embed;
  torch::nn::TransformerEncoder encoder;
  torch::nn::Linear fc;
  torch::Tensor pe;
};
TORCH_MODULE(TokenClassifier);

Result run(const Options& opt) {
  torch::set_num_threads(opt.threads);
  torch::manual_seed(0);
  tf::Data raw = tf::make_data(tf::kSequences);
  const auto n = static_cast<std::int64_t>(tf::kSequences);
  const auto tokens =
      torch::from_blob(raw.tokens.data(), {n, static_cast<std::int64_t>(tf::kSeq)}, torch::kUInt8)
          .to(torch::kLong);
  const auto labels =
      torch::from_blob(raw.labels.data(), {n}, torch::kInt64).to(torch::kLong).clone();

  TokenClassifier model;
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(tf::kLearningRate));
  const auto batch = static_cast<std::int64_t>(batch_or(opt, tf::kBatch));

  auto pass = [&] {
    const auto order = torch::randperm(n, torch::kLong);
    for (std::int64_t b = 0; b < n; b += batch) {
      const auto idx = order.slice(0, b, std::min(n, b + batch));
      adam.zero_grad();
      auto loss = torch::nn::functional::cross_entropy(model->forward(tokens.index_select(0, idx)),
                                                       labels.index_select(0, idx));
      loss.backward();
      adam.step();
    }
  };
  const auto times = repeat(0, opt.reps ? opt.reps : 3, pass);
  return training_result(opt.threads, tf::kSequences, times, tf::kFlopsPerSample);
}

const Registration reg("transformer", run);

}  // namespace
}  // namespace bench
