// SPDX-License-Identifier: MIT
#pragma once

// What the libtorch side of every Fashion-MNIST workload shares: the training images as torch
// tensors over the IDX reader's buffers (read outside the timed loop, as on the axon side) and
// one epoch of shuffled mini-batch training with per-batch uint8 -> float conversion, softmax
// cross-entropy and an optimizer step.
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "axon/datasets/mnist.hpp"

namespace bench::torch_side {

/// The first `count` training images (all when 0) shaped [n, image_shape...] (uint8) and their
/// labels (int64). Keeps the buffers the tensors point into.
struct FashionMnist {
  FashionMnist(const std::string& dir, std::vector<std::int64_t> image_shape,
               std::int64_t count = 0)
      : arrays(axon::datasets::read_mnist(dir, axon::datasets::Split::Train)) {
    n = static_cast<std::int64_t>(arrays.labels.size());
    if (count > 0) n = std::min(n, count);
    image_shape.insert(image_shape.begin(), n);
    images = torch::from_blob(arrays.images.data(), image_shape, torch::kUInt8);
    labels = torch::from_blob(arrays.labels.data(), {n}, torch::kUInt8).to(torch::kLong);
  }
  FashionMnist(const FashionMnist&) = delete;  // the tensors point into `arrays`
  FashionMnist& operator=(const FashionMnist&) = delete;

  axon::datasets::MnistArrays arrays;
  std::int64_t n = 0;
  torch::Tensor images, labels;
};

/// One pass over `data` in shuffled batches of `batch`.
template <class Model>
void train_epoch(Model& model, torch::optim::Optimizer& optimizer, const FashionMnist& data,
                 std::int64_t batch) {
  const auto order = torch::randperm(data.n, torch::kLong);
  for (std::int64_t b = 0; b < data.n; b += batch) {
    const auto idx = order.slice(0, b, std::min(data.n, b + batch));
    const auto x = data.images.index_select(0, idx).to(torch::kFloat).div_(255.0);
    const auto y = data.labels.index_select(0, idx);
    optimizer.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(model->forward(x), y);
    loss.backward();
    optimizer.step();
  }
}

}  // namespace bench::torch_side
