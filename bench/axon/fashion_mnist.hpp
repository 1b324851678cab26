// SPDX-License-Identifier: MIT
#pragma once

// What the axon side of every Fashion-MNIST workload shares (the counterpart of
// bench/torch/fashion_mnist.hpp): a shuffled, scaled loader over the data set, and timed passes
// of batch-parallel training exactly as train::fit runs them (ShardedStep, Adam, softmax
// cross-entropy).
#include <cstddef>

#include "axon/datasets/dataloader.hpp"
#include "axon/datasets/transforms.hpp"
#include "axon/nn/losses.hpp"
#include "axon/nn/module.hpp"
#include "axon/optim/adam.hpp"
#include "axon/train/parallel.hpp"
#include "axon/train/rank_step.hpp"

#include "world.hpp"

#include "../harness.hpp"

namespace bench::axon_side {

/// What changes between the workloads.
struct TrainingSetup {
  std::size_t batch = 128;
  double learning_rate = 1e-3;
  std::size_t shard_size = axon::train::kDefaultShardSize;
  int default_reps = 3;  ///< timed passes when --reps is not given
  double flops_per_sample = 0;
};

/// Times opt.reps (or setup.default_reps) passes over `data` training `model`, and returns the
/// training metrics (bench::training_result) plus the batch and shard size it ran with.
/// opt.batch and opt.shard_size, when given, replace the setup's. The thread count must already
/// be set (train::set_num_threads).
inline Result time_training(const Options& opt, const axon::datasets::Dataset& data,
                            axon::nn::Module& model, const TrainingSetup& setup) {
  using namespace axon;
  const std::size_t batch = batch_or(opt, setup.batch);
  const std::size_t shard_size = opt.shard_size ? opt.shard_size : setup.shard_size;
  datasets::DataLoader loader(data, datasets::DataLoaderOptions(batch).shuffle(true).seed(0));
  loader.transform(datasets::scale_to_unit());
  optim::Adam adam(model.parameters(), optim::AdamOptions(setup.learning_rate));
  // Under mpirun every rank loads and runs only its run of each batch's shards (ranks x threads).
  if (world()) {
    train::broadcast_model(model, *world());
    loader.select_rows(train::rank_rows(shard_size, *world()));
  }
  train::ShardedStep step(shard_size, 0, world());
  std::size_t steps = 0;
  const train::LossFunction loss = [](const autograd::Tensor& out, const datasets::Batch& b) {
    return nn::cross_entropy(out, b.labels);
  };
  auto pass = [&] {
    for (datasets::Batch& batch : loader) {
      adam.zero_grad();
      step.train_step(model, loss, batch, adam);
      ++steps;
    }
  };
  const double mpi0 = mpi_seconds();
  const auto times = repeat(0, opt.reps ? opt.reps : setup.default_reps, pass);
  const double mpi_per_step = steps ? (mpi_seconds() - mpi0) / static_cast<double>(steps) : 0;
  Result r = training_result(static_cast<int>(train::workers()), data.size(), times,
                             setup.flops_per_sample);
  r.metrics.emplace_back("batch", static_cast<double>(batch));
  r.metrics.emplace_back("shard_size", static_cast<double>(shard_size));
  // Processes, and the wall time per step each spent inside MPI (waiting for the slowest rank
  // included).
  r.metrics.emplace_back("ranks", static_cast<double>(ranks()));
  r.metrics.emplace_back("mpi_ms_per_step", 1e3 * mpi_per_step);
  return r;
}

}  // namespace bench::axon_side
