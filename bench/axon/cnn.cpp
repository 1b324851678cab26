// SPDX-License-Identifier: MIT
// cnn: one epoch of the Fashion-MNIST CNN of examples/fashion_mnist_cnn.cpp, trained
// batch-parallel exactly as the example does with train::fit (ShardedStep, shards of 32, Adam).
#include <memory>
#include <vector>

#include "axon/datasets/mnist.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/conv.hpp"
#include "axon/nn/flatten.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/pooling.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/nn/unflatten.hpp"
#include "axon/train/parallel.hpp"

#include "fashion_mnist.hpp"

#include "../cnn.hpp"
#include "../harness.hpp"

namespace bench {
namespace {

using namespace axon;

Result run(const Options& opt) {
  train::set_num_threads(static_cast<std::size_t>(opt.threads));
  const auto data = datasets::load_fashion_mnist(datasets::Split::Train, cnn::kDataDir);

  autograd::Generator gen(0);
  nn::Sequential model{std::make_shared<nn::Unflatten>(1, std::vector<long>{1, 28}),
                       std::make_shared<nn::Conv2d>(nn::Conv2dOptions(1, 8, 3).padding(1), gen),
                       std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::MaxPool2d>(nn::Pool2dOptions(2)),
                       std::make_shared<nn::Conv2d>(nn::Conv2dOptions(8, 16, 3).padding(1), gen),
                       std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::MaxPool2d>(nn::Pool2dOptions(2)),
                       std::make_shared<nn::Flatten>(),
                       std::make_shared<nn::Linear>(nn::LinearOptions(784, 10), gen)};
  // Shards of 32 as the example uses (FitOptions::shard_size): for this model they trained faster
  // than the default 64 at 2 threads (bench/README.md).
  return axon_side::time_training(opt, data, model,
                                  {.batch = cnn::kBatch,
                                   .learning_rate = cnn::kLearningRate,
                                   .shard_size = 32,
                                   .default_reps = 2,
                                   .flops_per_sample = cnn::kFlopsPerSample});
}

const Registration reg("cnn", run);

}  // namespace
}  // namespace bench
