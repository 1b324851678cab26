// SPDX-License-Identifier: MIT
// transformer: one pass over 1,024 synthetic token sequences of a 2-layer Transformer encoder
// classifier (bench/transformer.hpp), trained batch-parallel as train::fit does (ShardedStep,
// Adam, softmax cross-entropy).
#include "axon/datasets/dataloader.hpp"
#include "axon/datasets/dataset.hpp"
#include "axon/nn/losses.hpp"
#include "axon/optim/adam.hpp"
#include "axon/train/parallel.hpp"

#include "transformer_model.hpp"

#include "../harness.hpp"
#include "../transformer.hpp"

namespace bench {
namespace {

using namespace axon;
namespace tf = transformer;
using axon_side::TokenClassifier;

Result run(const Options& opt) {
  train::set_num_threads(static_cast<std::size_t>(opt.threads));
  tf::Data raw = tf::make_data(tf::kSequences);
  const auto data = datasets::Dataset::classification(std::move(raw.tokens), {tf::kSeq},
                                                      std::move(raw.labels), tf::kClasses);
  const std::size_t batch = batch_or(opt, tf::kBatch);
  // Shards of 8: four per batch of 32, so both cores stay busy through the step.
  const std::size_t shard_size = opt.shard_size ? opt.shard_size : 8;

  autograd::Generator gen(0);
  TokenClassifier model(gen);
  datasets::DataLoader loader(data, datasets::DataLoaderOptions(batch).shuffle(true).seed(0));
  optim::Adam adam(model.parameters(), optim::AdamOptions(tf::kLearningRate));
  train::ShardedStep step(shard_size, 0);
  const train::LossFunction loss = [](const autograd::Tensor& out, const datasets::Batch& b) {
    return nn::cross_entropy(out, b.labels);
  };
  auto pass = [&] {
    for (datasets::Batch& b : loader) {
      adam.zero_grad();
      step.train_step(model, loss, b, adam);
    }
  };
  const auto times = repeat(0, opt.reps ? opt.reps : 3, pass);
  Result r =
      training_result(static_cast<int>(train::workers()), data.size(), times, tf::kFlopsPerSample);
  r.metrics.emplace_back("batch", static_cast<double>(batch));
  r.metrics.emplace_back("shard_size", static_cast<double>(shard_size));
  return r;
}

const Registration reg("transformer", run);

}  // namespace
}  // namespace bench
