// SPDX-License-Identifier: MIT
// lstm: one pass over 20,000 Fashion-MNIST images of the fashion_mnist_lstm model (LSTM(28, 64)
// over the image rows, Linear(64, 10) on the last hidden state), trained batch-parallel exactly
// as the example does with train::fit (ShardedStep, shards of 32, Adam).
#include <memory>
#include <numeric>
#include <vector>

#include "axon/autograd/ops/shape.hpp"
#include "axon/datasets/mnist.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/rnn.hpp"
#include "axon/train/parallel.hpp"

#include "fashion_mnist.hpp"

#include "../harness.hpp"
#include "../lstm.hpp"

namespace bench {
namespace {

using namespace axon;

/// The example's model: LSTM over the rows, Linear on h_n.
class RowLSTM : public nn::Module {
 public:
  explicit RowLSTM(autograd::Generator& gen)
      : lstm_(register_module(
            "lstm", std::make_shared<nn::LSTM>(
                        nn::LSTMOptions(lstm::kInput, lstm::kHidden).batch_first(true), gen))),
        fc_(register_module(
            "fc", std::make_shared<nn::Linear>(nn::LinearOptions(lstm::kHidden, 10), gen))) {}
  autograd::Tensor forward(const autograd::Tensor& x) override {
    const autograd::Tensor h_n = lstm_->forward_with_state(x, {}).h_n;
    return fc_->forward(autograd::reshape(h_n, {-1, static_cast<long>(lstm::kHidden)}));
  }

 private:
  std::shared_ptr<nn::LSTM> lstm_;
  std::shared_ptr<nn::Linear> fc_;
};

Result run(const Options& opt) {
  train::set_num_threads(static_cast<std::size_t>(opt.threads));
  std::vector<std::size_t> first(lstm::kImages);
  std::iota(first.begin(), first.end(), std::size_t{0});
  const auto data =
      datasets::load_fashion_mnist(datasets::Split::Train, mlp::kDataDir).subset(first);

  autograd::Generator gen(0);
  RowLSTM model(gen);
  // Shards of 32 as the example uses (FitOptions::shard_size): for this model they trained faster
  // than the default 64 at 2 threads (bench/README.md).
  return axon_side::time_training(opt, data, model,
                                  {.batch = lstm::kBatch,
                                   .learning_rate = lstm::kLearningRate,
                                   .shard_size = 32,
                                   .default_reps = 3,
                                   .flops_per_sample = lstm::kFlopsPerSample});
}

const Registration reg("lstm", run);

}  // namespace
}  // namespace bench
