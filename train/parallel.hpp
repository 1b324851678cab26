// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "autograd/grad_sink.hpp"
#include "autograd/tape.hpp"
#include "autograd/tensor.hpp"
#include "datasets/dataset.hpp"
#include "nn/module.hpp"
#include "optim/optimizer.hpp"

/// Batch-parallel training (DESIGN.md properties 7-9).
///
/// A mini-batch is cut into shards of a fixed number of samples, chosen independently of the
/// thread count. Each shard runs forward and backward on its own tape in its own oneTBB task, with
/// its parameter gradients routed into its own buffer (autograd::GradSinkScope) and its random
/// draws (Dropout) taken from its own generator, derived from the seed, the step and the shard
/// index. The buffers are then reduced over shard indices in a fixed pairwise tree, each weighted
/// by its share of the batch, and added to the parameters' gradients: the gradient of the whole
/// batch's mean loss. Because nothing depends on which thread ran which shard, training is
/// bitwise reproducible with 1, 2 or 16 threads.
namespace axon::train {

using autograd::Tensor;

/// Samples per shard unless told otherwise. 64 keeps each shard's GEMMs large enough to run near
/// BLAS's peak on one core (32-row shards trained 10-35% slower single-threaded here) while a
/// batch of 128 still splits over 2 cores. The shard count bounds the cores a step's GEMMs use:
/// on many cores use a larger batch or smaller shards (FitOptions::shard_size; on 16 cores a batch
/// of 128 in shards of 16 trained 1.3x faster than in shards of 64, bench/README.md). The value
/// changes the arithmetic, so fix it for a given experiment, but it never depends on the thread
/// count.
inline constexpr std::size_t kDefaultShardSize = 64;

/// The most threads set_num_threads and AXON_NUM_THREADS take: far more than any machine's cores,
/// few enough that oneTBB's per-thread state stays cheap (2^31 hung in oneTBB, 10^9 ran out of
/// memory).
inline constexpr std::size_t kMaxThreads = 4096;

/// Sets the number of threads used for batch-parallel training. 0 means the default, which is
/// also what training uses when this was never called: the AXON_NUM_THREADS environment variable
/// when set, else all cores. ValueError for more than kMaxThreads, or for an AXON_NUM_THREADS
/// that is not an integer from 1 to kMaxThreads. The first call also prints a one-line warning
/// when OpenBLAS runs kernels older than the CPU (autograd/blas_check.hpp).
void set_num_threads(std::size_t threads);
/// The number of threads in use.
std::size_t num_threads();

/// The loss of one shard: a 0-d tensor that must be the MEAN over the shard's samples (weighting
/// shards by their sample counts then gives the batch's mean loss). `output` is the model's
/// output for `shard.inputs`.
template <class T>
using BasicLossFunction = std::function<autograd::BasicTensor<T>(
    const autograd::BasicTensor<T>& output, const datasets::Batch& shard)>;
using LossFunction = BasicLossFunction<float>;

/// Rows [begin, end) of a batch (inputs, labels, targets and indices). IndexError when the range
/// is not within the batch; ShapeError when the inputs, targets or labels do not have one row
/// per sample (batch.size(), the number of indices).
datasets::Batch slice_batch(const datasets::Batch& batch, std::size_t begin, std::size_t end);

/// What one sharded step computed.
template <class T>
struct BasicStepResult {
  double loss = 0;                                ///< mean loss over the batch
  std::vector<autograd::BasicTensor<T>> outputs;  ///< the model's output per shard, in order
  std::vector<datasets::Batch> shards;            ///< the shards themselves (for metrics)
};
using StepResult = BasicStepResult<float>;

/// One batch-parallel forward and backward. Reuses its tapes and buffers across steps. The scalar
/// type T is the model's (float for training; double to compare gradients exactly); the batch's
/// float inputs are converted to T per shard when T is not float.
///
/// ```
/// train::ShardedStep sharded(/*shard_size=*/64, /*seed=*/0);
/// for (auto& batch : loader) {
///   optimizer.zero_grad();
///   auto result = sharded.train_step(model, loss, batch, optimizer);  // forward, backward, update
/// }
/// ```
///
/// train_step() is run() followed by optimizer.step(), bit for bit, in fewer passes over memory.
/// Call run() and step() separately to look at or change the gradients in between (clipping).
template <class T>
class BasicShardedStep {
 public:
  /// `shard_size`: samples per shard (ValueError when 0). `seed`: the root of the shards' random
  /// streams.
  explicit BasicShardedStep(std::size_t shard_size = kDefaultShardSize, std::uint64_t seed = 0);

  /// Runs forward and backward of every shard (shards of shard_size() samples; a last shard of
  /// one sample is merged into the one before it) and adds the gradient of the batch's mean loss to
  /// the model's parameters. Parameters must not be modified while it runs.
  BasicStepResult<T> run(nn::BasicModule<T>& model, const BasicLossFunction<T>& loss,
                         const datasets::Batch& batch);

  /// run(), then the optimizer's step, with the same bits as `run(...); optimizer.step();`.
  /// Each piece of each parameter's gradient is updated by the optimizer right after the shards'
  /// gradients are summed into it, while it is still in cache, and the whole reduction and update
  /// take one parallel region instead of one for the reduction and one for the step. The
  /// parameters' gradients hold the batch's gradient afterwards, as after run().
  BasicStepResult<T> train_step(nn::BasicModule<T>& model, const BasicLossFunction<T>& loss,
                                const datasets::Batch& batch, optim::BasicOptimizer<T>& optimizer);

  /// Number of run() and train_step() calls so far (the step index used to derive random streams).
  std::uint64_t steps() const { return step_; }
  /// Restores the step counter (when resuming training from a checkpoint).
  void set_steps(std::uint64_t step) { step_ = step; }
  std::size_t shard_size() const { return shard_size_; }

 private:
  BasicStepResult<T> step(nn::BasicModule<T>& model, const BasicLossFunction<T>& loss,
                          const datasets::Batch& batch, optim::BasicOptimizer<T>* optimizer);

  std::size_t shard_size_;
  autograd::Generator root_;
  std::uint64_t step_ = 0;
  std::vector<std::unique_ptr<autograd::Tape>> tapes_;
  std::vector<autograd::LeafGradients<T>> sinks_;
};

using ShardedStep = BasicShardedStep<float>;

}  // namespace axon::train
