// SPDX-License-Identifier: MIT
// lstm in libtorch: the same model (torch::nn::LSTM(28, 64) batch-first, Linear(64, 10) on h_n),
// optimizer, batch size, image subset and per-batch uint8 -> float conversion as
// bench/axon/lstm.cpp. The images are read with the same IDX reader (outside the timed loop).
#include <torch/torch.h>

#include <vector>

#include "fashion_mnist.hpp"

#include "../harness.hpp"
#include "../lstm.hpp"

namespace bench {
namespace {

struct RowLSTMImpl : torch::nn::Module {
  RowLSTMImpl()
      : lstm(register_module(
            "lstm", torch::nn::LSTM(
                        torch::nn::LSTMOptions(lstm::kInput, lstm::kHidden).batch_first(true)))),
        fc(register_module("fc", torch::nn::Linear(lstm::kHidden, 10))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    // h_n [1, B, 64] -> [B, 64]
    const auto h_n = std::get<0>(std::get<1>(lstm->forward(x)));
    return fc->forward(h_n.squeeze(0));
  }
  torch::nn::LSTM lstm;
  torch::nn::Linear fc;
};
TORCH_MODULE(RowLSTM);

Result run(const Options& opt) {
  torch::set_num_threads(opt.threads);
  torch::manual_seed(0);
  const torch_side::FashionMnist data(bench::mlp::kDataDir, {28, 28},
                                      static_cast<std::int64_t>(lstm::kImages));

  RowLSTM model;
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(lstm::kLearningRate));
  const auto batch = static_cast<std::int64_t>(batch_or(opt, lstm::kBatch));

  auto epoch = [&] { torch_side::train_epoch(model, adam, data, batch); };
  const auto times = repeat(0, opt.reps ? opt.reps : 3, epoch);
  return training_result(opt.threads, static_cast<std::size_t>(data.n), times,
                         lstm::kFlopsPerSample);
}

const Registration reg("lstm", run);

}  // namespace
}  // namespace bench
