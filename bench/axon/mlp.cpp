// SPDX-License-Identifier: MIT
// mlp: one epoch of the 784-128-64-10 Fashion-MNIST MLP, trained batch-parallel exactly as
// train::fit does (ShardedStep with its default shard size, Adam).
#include <memory>

#include "axon/datasets/mnist.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/train/parallel.hpp"

#include "fashion_mnist.hpp"

#include "../harness.hpp"
#include "../mlp.hpp"

namespace bench {
namespace {

using namespace axon;

Result run(const Options& opt) {
  train::set_num_threads(static_cast<std::size_t>(opt.threads));
  const auto data =
      datasets::load_fashion_mnist(datasets::Split::Train, mlp::kDataDir).reshaped({784});

  autograd::Generator gen(0);
  nn::Sequential model{
      std::make_shared<nn::Linear>(nn::LinearOptions(784, 128), gen), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(nn::LinearOptions(128, 64), gen), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(nn::LinearOptions(64, 10), gen)};
  return axon_side::time_training(opt, data, model,
                                  {.batch = mlp::kBatch,
                                   .learning_rate = mlp::kLearningRate,
                                   .default_reps = 3,
                                   .flops_per_sample = mlp::kFlopsPerSample});
}

const Registration reg("mlp", run);

}  // namespace
}  // namespace bench
