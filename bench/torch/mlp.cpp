// SPDX-License-Identifier: MIT
// mlp in libtorch: the same model, optimizer, batch size and per-batch uint8 -> float conversion
// as bench/axon/mlp.cpp. The images are read with the same IDX reader (outside the timed loop).
#include <torch/torch.h>

#include <numeric>
#include <vector>

#include "datasets/mnist.hpp"

#include "../harness.hpp"
#include "../mlp.hpp"

namespace bench {
namespace {

Result run(const Options& opt) {
  torch::set_num_threads(opt.threads);
  torch::manual_seed(0);
  const auto arrays =
      axon::datasets::read_mnist(bench::mlp::kDataDir, axon::datasets::Split::Train);
  const auto& images = arrays.images;  // uint8, n x 784
  const auto& labels = arrays.labels;  // uint8, n
  const auto n = static_cast<std::int64_t>(labels.size());
  const auto all_images =
      torch::from_blob(const_cast<std::uint8_t*>(images.data()), {n, 784}, torch::kUInt8);
  const auto all_labels =
      torch::from_blob(const_cast<std::uint8_t*>(labels.data()), {n}, torch::kUInt8)
          .to(torch::kLong);

  torch::nn::Sequential model(torch::nn::Linear(784, 128), torch::nn::ReLU(),
                              torch::nn::Linear(128, 64), torch::nn::ReLU(),
                              torch::nn::Linear(64, 10));
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(mlp::kLearningRate));
  const auto batch = static_cast<std::int64_t>(mlp::kBatch);

  auto epoch = [&] {
    const auto order = torch::randperm(n, torch::kLong);
    for (std::int64_t b = 0; b < n; b += batch) {
      const auto idx = order.slice(0, b, std::min(n, b + batch));
      const auto x = all_images.index_select(0, idx).to(torch::kFloat).div_(255.0);
      const auto y = all_labels.index_select(0, idx);
      adam.zero_grad();
      auto loss = torch::nn::functional::cross_entropy(model->forward(x), y);
      loss.backward();
      adam.step();
    }
  };
  const auto times = repeat(0, opt.reps ? opt.reps : 3, epoch);
  return mlp::result(opt.threads, static_cast<std::size_t>(n), times);
}

const Registration reg("mlp", run);

}  // namespace
}  // namespace bench
