// SPDX-License-Identifier: MIT
// cnn in libtorch: the same model, optimizer, batch size and per-batch uint8 -> float conversion
// as bench/axon/cnn.cpp (libtorch's own convolution kernels, oneDNN on this build). The images
// are read with the same IDX reader (outside the timed loop).
#include <torch/torch.h>

#include <vector>

#include "fashion_mnist.hpp"

#include "../cnn.hpp"
#include "../harness.hpp"

namespace bench {
namespace {

Result run(const Options& opt) {
  torch::set_num_threads(opt.threads);
  torch::manual_seed(0);
  const torch_side::FashionMnist data(bench::cnn::kDataDir, {28, 28});

  namespace tnn = torch::nn;
  tnn::Sequential model(tnn::Unflatten(tnn::UnflattenOptions(1, {1, 28})),
                        tnn::Conv2d(tnn::Conv2dOptions(1, 8, 3).padding(1)), tnn::ReLU(),
                        tnn::MaxPool2d(tnn::MaxPool2dOptions(2)),
                        tnn::Conv2d(tnn::Conv2dOptions(8, 16, 3).padding(1)), tnn::ReLU(),
                        tnn::MaxPool2d(tnn::MaxPool2dOptions(2)), tnn::Flatten(),
                        tnn::Linear(784, 10));
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(cnn::kLearningRate));
  const auto batch = static_cast<std::int64_t>(batch_or(opt, cnn::kBatch));

  auto epoch = [&] { torch_side::train_epoch(model, adam, data, batch); };
  const auto times = repeat(0, opt.reps ? opt.reps : 2, epoch);
  return training_result(opt.threads, static_cast<std::size_t>(data.n), times,
                         cnn::kFlopsPerSample);
}

const Registration reg("cnn", run);

}  // namespace
}  // namespace bench
