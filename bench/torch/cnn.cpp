// SPDX-License-Identifier: MIT
// cnn in libtorch: the same model, optimizer, batch size and per-batch uint8 -> float conversion
// as bench/axon/cnn.cpp (libtorch's own convolution kernels, oneDNN on this build). The images
// are read with the same IDX reader (outside the timed loop).
#include <torch/torch.h>

#include <vector>

#include "datasets/mnist.hpp"

#include "../cnn.hpp"
#include "../harness.hpp"

namespace bench {
namespace {

Result run(const Options& opt) {
  torch::set_num_threads(opt.threads);
  torch::manual_seed(0);
  const auto arrays =
      axon::datasets::read_mnist(bench::cnn::kDataDir, axon::datasets::Split::Train);
  const auto& images = arrays.images;  // uint8, n x 784
  const auto& labels = arrays.labels;  // uint8, n
  const auto n = static_cast<std::int64_t>(labels.size());
  const auto all_images =
      torch::from_blob(const_cast<std::uint8_t*>(images.data()), {n, 28, 28}, torch::kUInt8);
  const auto all_labels =
      torch::from_blob(const_cast<std::uint8_t*>(labels.data()), {n}, torch::kUInt8)
          .to(torch::kLong);

  namespace tnn = torch::nn;
  tnn::Sequential model(tnn::Unflatten(tnn::UnflattenOptions(1, {1, 28})),
                        tnn::Conv2d(tnn::Conv2dOptions(1, 8, 3).padding(1)), tnn::ReLU(),
                        tnn::MaxPool2d(tnn::MaxPool2dOptions(2)),
                        tnn::Conv2d(tnn::Conv2dOptions(8, 16, 3).padding(1)), tnn::ReLU(),
                        tnn::MaxPool2d(tnn::MaxPool2dOptions(2)), tnn::Flatten(),
                        tnn::Linear(784, 10));
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(cnn::kLearningRate));
  const auto batch = static_cast<std::int64_t>(cnn::kBatch);

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
  const auto times = repeat(0, opt.reps ? opt.reps : 2, epoch);
  return cnn::result(opt.threads, static_cast<std::size_t>(n), times);
}

const Registration reg("cnn", run);

}  // namespace
}  // namespace bench
