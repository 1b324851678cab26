// SPDX-License-Identifier: MIT
// The `transformer` benchmark's model (bench/axon/transformer_model.hpp: Embedding, sinusoidal
// positions, 2 post-norm encoder layers of d_model 128 and 4 heads, mean pooling, Linear) trained
// for a few batch-parallel Adam steps on the benchmark's synthetic sequences: the parameters are
// bitwise the same at 1 and 2 threads.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "axon/autograd/autograd.hpp"
#include "axon/datasets/dataloader.hpp"
#include "axon/datasets/dataset.hpp"
#include "axon/nn/losses.hpp"
#include "axon/optim/adam.hpp"
#include "axon/train/parallel.hpp"
#include "bench/axon/transformer_model.hpp"
#include "bench/transformer.hpp"
#include "tests/train/sharding_helpers.hpp"

namespace axon::test {

namespace {

namespace tf = bench::transformer;

struct Trained {
  std::vector<float> initial, final;
};

/// 3 steps of train::ShardedStep::train_step (batches of tf::kBatch in shards of 8, as the
/// benchmark) over the first 3 batches of the benchmark's data, in a shuffled order.
Trained train_benchmark_model() {
  tf::Data raw = tf::make_data(3 * tf::kBatch);
  const auto data = datasets::Dataset::classification(std::move(raw.tokens), {tf::kSeq},
                                                      std::move(raw.labels), tf::kClasses);
  autograd::Generator gen(0);
  bench::axon_side::TokenClassifier model(gen);
  const auto flat = [&] {
    std::vector<float> out;
    for (const auto& p : model.parameters()) {
      out.insert(out.end(), p.data_ptr(), p.data_ptr() + p.numel());
    }
    return out;
  };
  Trained t;
  t.initial = flat();
  datasets::DataLoader loader(data, datasets::DataLoaderOptions(tf::kBatch).shuffle(true).seed(5));
  optim::Adam adam(model.parameters(), optim::AdamOptions(tf::kLearningRate));
  train::ShardedStep step(8, 1);
  const train::LossFunction loss = [](const autograd::Tensor& out, const datasets::Batch& b) {
    return nn::cross_entropy(out, b.labels);
  };
  for (datasets::Batch& b : loader) {
    adam.zero_grad();
    step.train_step(model, loss, b, adam);
  }
  t.final = flat();
  return t;
}

}  // namespace

TEST_CASE("nn: the transformer benchmark's training is bitwise identical at 1 and 2 threads") {
  const Trained one = in_arena(1, [] { return train_benchmark_model(); });
  const Trained two = in_arena(2, [] { return train_benchmark_model(); });
  train::set_num_threads(0);
  REQUIRE(one.final.size() == two.final.size());
  REQUIRE(one.initial.size() == one.final.size());
  // The same start, and training moved the parameters.
  CHECK(std::memcmp(one.initial.data(), two.initial.data(), one.initial.size() * sizeof(float)) ==
        0);
  CHECK(std::memcmp(one.initial.data(), one.final.data(), one.final.size() * sizeof(float)) != 0);
  CHECK(std::memcmp(one.final.data(), two.final.data(), one.final.size() * sizeof(float)) == 0);
}

}  // namespace axon::test
