// SPDX-License-Identifier: MIT
// mlp in libtorch: the same model, optimizer, batch size and per-batch uint8 -> float conversion
// as bench/axon/mlp.cpp. The images are read with the same IDX reader (outside the timed loop).
#include <torch/torch.h>

#include <numeric>
#include <vector>

#include "fashion_mnist.hpp"

#include "../harness.hpp"
#include "../mlp.hpp"

namespace bench {
namespace {

Result run(const Options& opt) {
  torch::set_num_threads(opt.threads);
  torch::manual_seed(0);
  const torch_side::FashionMnist data(bench::mlp::kDataDir, {784});

  torch::nn::Sequential model(torch::nn::Linear(784, 128), torch::nn::ReLU(),
                              torch::nn::Linear(128, 64), torch::nn::ReLU(),
                              torch::nn::Linear(64, 10));
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(mlp::kLearningRate));
  const auto batch = static_cast<std::int64_t>(batch_or(opt, mlp::kBatch));

  auto epoch = [&] { torch_side::train_epoch(model, adam, data, batch); };
  const auto times = repeat(0, opt.reps ? opt.reps : 3, epoch);
  return training_result(opt.threads, static_cast<std::size_t>(data.n), times,
                         mlp::kFlopsPerSample);
}

const Registration reg("mlp", run);

}  // namespace
}  // namespace bench
