// SPDX-License-Identifier: MIT
// mlp: one epoch of the 784-128-64-10 Fashion-MNIST MLP, trained batch-parallel exactly as
// train::fit does (ShardedStep with its default shard size, Adam).
#include <memory>

#include "datasets/dataloader.hpp"
#include "datasets/mnist.hpp"
#include "datasets/transforms.hpp"
#include "nn/activation.hpp"
#include "nn/linear.hpp"
#include "nn/losses.hpp"
#include "nn/sequential.hpp"
#include "optim/adam.hpp"
#include "train/parallel.hpp"

#include "../harness.hpp"
#include "../mlp.hpp"

namespace bench {
namespace {

using namespace axon;

Result run(const Options& opt) {
  train::set_num_threads(static_cast<std::size_t>(opt.threads));
  const auto data =
      datasets::load_fashion_mnist(datasets::Split::Train, mlp::kDataDir).reshaped({784});
  datasets::DataLoader loader(data, mlp::kBatch, /*shuffle=*/true, /*seed=*/0);
  loader.transform(datasets::scale_to_unit());

  autograd::Generator gen(0);
  nn::Sequential model{
      std::make_shared<nn::Linear>(nn::LinearOptions(784, 128), gen), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(nn::LinearOptions(128, 64), gen), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(nn::LinearOptions(64, 10), gen)};
  optim::Adam adam(model.parameters(), optim::AdamOptions(mlp::kLearningRate));
  train::ShardedStep step;
  const train::LossFunction loss = [](const autograd::Tensor& out, const datasets::Batch& b) {
    return nn::cross_entropy(out, b.labels);
  };

  auto epoch = [&] {
    for (datasets::Batch& batch : loader) {
      adam.zero_grad();
      step.run(model, loss, batch);
      adam.step();
    }
  };
  const auto times = repeat(0, opt.reps ? opt.reps : 3, epoch);
  return training_result(static_cast<int>(train::num_threads()), data.size(), times,
                         mlp::kFlopsPerSample);
}

const Registration reg("mlp", run);

}  // namespace
}  // namespace bench
