// SPDX-License-Identifier: MIT
// The public API at its bounds: zero sizes, empty ranges and zero divisors are each a ValueError
// that names the function and the value, never a division by zero, a hang or a crash.
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "axon/autograd/autograd.hpp"
#include "axon/datasets/datasets.hpp"
#include "axon/nn/batchnorm.hpp"
#include "axon/nn/conv.hpp"
#include "axon/nn/embedding.hpp"
#include "axon/nn/layernorm.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/pooling.hpp"
#include "axon/nn/rnn.hpp"
#include "axon/nn/rnn_cell.hpp"
#include "axon/optim/optim.hpp"
#include "axon/train/callbacks.hpp"
#include "axon/train/fit.hpp"
#include "axon/train/metrics.hpp"
#include "axon/train/parallel.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;

/// One call at a bound, the ValueError it must raise, and words its message must contain.
struct BoundCase {
  const char* name;
  std::function<void()> call;
  std::vector<std::string> words;  // the function and the offending value
};

datasets::Dataset tiny_data() {
  return datasets::make_xor();
}

/// The generator the layers below are built with (never drawn from: they throw first).
Generator& test_gen() {
  static Generator gen(0);
  return gen;
}

std::vector<BoundCase> bound_cases() {
  using train::TrainContext;
  return {
      {"Generator::below(0)", [] { Generator(1).below(0); }, {"Generator::below", "0"}},
      {"arange with step 0", [] { arange<float>(0.0f, 1.0f, 0.0f); }, {"arange", "step"}},
      {"slice with step 0", [] { slice(zeros<float>({4}), 0, 0, 4, 0); }, {"slice", "got 0"}},
      {"nn::Linear with 0 inputs",
       [] { nn::Linear(nn::LinearOptions(0, 3), test_gen()); },
       {"Linear", "in_features", "got 0"}},
      {"nn::Linear with 0 outputs",
       [] { nn::Linear(nn::LinearOptions(3, 0), test_gen()); },
       {"Linear", "out_features", "and 0"}},
      {"nn::Embedding with 0 rows",
       [] { nn::Embedding(nn::EmbeddingOptions(0, 4), test_gen()); },
       {"Embedding", "num_embeddings", "got 0"}},
      {"nn::Embedding with dimension 0",
       [] { nn::Embedding(nn::EmbeddingOptions(4, 0), test_gen()); },
       {"Embedding", "embedding_dim", "and 0"}},
      {"nn::BatchNorm1d with 0 features",
       [] { nn::BatchNorm1d(nn::BatchNormOptions(0)); },
       {"BatchNorm1d", "num_features"}},
      {"nn::LayerNorm over an extent 0",
       [] {
         nn::LayerNorm(nn::LayerNormOptions({4, 0}));
       },
       {"LayerNorm", "[4,0]"}},
      {"nn::Conv2d with 0 groups",
       [] { nn::Conv2d(nn::Conv2dOptions(2, 2, 3).groups(0), test_gen()); },
       {"Conv2d", "groups", "got 0"}},
      {"nn::Conv1d with stride 0",
       [] { nn::Conv1d(nn::Conv1dOptions(2, 2, 3).stride(0), test_gen()); },
       {"Conv1d", "stride must be >= 1"}},
      {"nn::MaxPool2d with kernel 0",
       [] {
         nn::MaxPool2d(nn::Pool2dOptions(0)).forward(zeros<float>({1, 1, 4, 4}));
       },
       {"max_pool2d", "kernel size must be >= 1"}},
      {"nn::AvgPool1d with stride 0",
       [] {
         nn::AvgPool1d(nn::Pool1dOptions(2).stride(0)).forward(zeros<float>({1, 1, 4}));
       },
       {"avg_pool1d", "stride must be >= 1"}},
      {"nn::RNN with hidden size 0",
       [] { nn::RNN(nn::RNNOptions(3, 0), test_gen()); },
       {"RNN", "hidden_size", "got 0"}},
      {"nn::RNN with input size 0",
       [] { nn::RNN(nn::RNNOptions(0, 3), test_gen()); },
       {"RNN", "input_size", "got 0"}},
      {"nn::LSTM with 0 layers",
       [] { nn::LSTM(nn::LSTMOptions(3, 4).num_layers(0), test_gen()); },
       {"LSTM", "num_layers", "and 0"}},
      {"nn::GRUCell with input size 0",
       [] { nn::GRUCell(nn::GRUCellOptions(0, 4), test_gen()); },
       {"GRUCell", "input_size", "got 0"}},
      {"nn::LSTMCell with hidden size 0",
       [] { nn::LSTMCell(nn::LSTMCellOptions(4, 0), test_gen()); },
       {"LSTMCell", "hidden_size", "and 0"}},
      {"DataLoader with batch size 0",
       [] { datasets::DataLoader(tiny_data(), 0); },
       {"DataLoader", "batch_size"}},
      {"text_sequences with seq_len 0",
       [] {
         const datasets::CharVocab vocab("abc");
         datasets::text_sequences("abcabc", vocab, 0);
       },
       {"text_sequences", "seq_len"}},
      {"one_hot with 0 classes",
       [] { datasets::one_hot({}, 0); },
       {"one_hot", "num_classes", "got 0"}},
      {"random_split with no fraction",
       [] { datasets::random_split_indices(4, {}, 0); },
       {"random_split", "no fractions"}},
      {"Dataset with samples of no value",
       [] {
         datasets::DatasetParts parts;
         parts.features = std::vector<float>{};
         parts.sample_shape = {0};
         datasets::Dataset d(std::move(parts));
       },
       {"Dataset", "[0]"}},
      {"accuracy of no sample",
       [] {
         train::accuracy(zeros<float>({0, 3}), {});
       },
       {"accuracy", "empty"}},
      {"mean_squared_error of no element",
       [] { train::mean_squared_error(zeros<float>({0}), zeros<float>({0})); },
       {"mean_squared_error", "empty"}},
      {"ShardedStep with shard size 0", [] { train::ShardedStep(0); }, {"shard"}},
      {"top_k_accuracy with k = 0",
       [] {
         train::top_k_accuracy(zeros<float>({2, 3}), {0, 1}, 0);
       },
       {"top_k_accuracy", "k must"}},
      {"ConfusionMatrix with 0 classes",
       [] { train::ConfusionMatrix(0); },
       {"ConfusionMatrix", "class"}},
      {"CheckpointCallback every 0 epochs",
       [] { train::CheckpointCallback(0, [](std::size_t, TrainContext&) {}); },
       {"CheckpointCallback", "every_epochs"}},
      {"FitOptions::checkpoint every 0 epochs",
       [] { train::FitOptions().checkpoint("unused.safetensors", 0); },
       {"checkpoint", "every_epochs"}},
      {"StepLR with step size 0",
       [] {
         auto w = zeros<float>({2}, true);
         optim::SGD sgd({w}, optim::SGDOptions(0.1));
         optim::StepLR(sgd, 0);
       },
       {"StepLR", "step_size"}},
      {"CosineAnnealingLR with t_max 0",
       [] {
         auto w = zeros<float>({2}, true);
         optim::SGD sgd({w}, optim::SGDOptions(0.1));
         optim::CosineAnnealingLR(sgd, 0);
       },
       {"CosineAnnealingLR", "t_max"}},
      {"LinearLR over 0 iterations",
       [] {
         auto w = zeros<float>({2}, true);
         optim::SGD sgd({w}, optim::SGDOptions(0.1));
         optim::LinearLR(sgd, 0.5, 1.0, 0);
       },
       {"LinearLR", "total_iters"}},
  };
}

}  // namespace

TEST_CASE("api bounds: zero sizes, empty ranges and zero divisors are ValueErrors") {
  for (const BoundCase& c : bound_cases()) {
    CAPTURE(c.name);
    std::string message;
    try {
      c.call();
    } catch (const ValueError& e) {
      message = e.what();
    } catch (const std::exception& e) {
      FAIL_CHECK("not a ValueError: " << e.what());
      continue;
    }
    CHECK_MESSAGE(!message.empty(), "no error");
    for (const std::string& word : c.words) {
      CHECK_MESSAGE(message.find(word) != std::string::npos,
                    "'" << word << "' not in: " << message);
    }
  }
}

}  // namespace axon::test
