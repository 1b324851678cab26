// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "axon/autograd/grad_sink.hpp"
#include "axon/autograd/tape.hpp"
#include "axon/autograd/tensor.hpp"
#include "axon/datasets/dataset.hpp"
#include "axon/nn/module.hpp"
#include "axon/optim/optimizer.hpp"
#include "axon/train/communicator.hpp"
#include "axon/train/loss_function.hpp"
#include "axon/train/reduction_tree.hpp"

/// Batch-parallel training (docs/ARCHITECTURE.md, properties 7-9).
///
/// A mini-batch is cut into shards of a fixed number of samples, chosen independently of the
/// thread count. Each shard runs forward and backward on its own tape in its own oneTBB task, with
/// its parameter gradients routed into its own buffer (autograd::GradSinkScope) and its random
/// draws (Dropout) taken from its own generator, derived from the seed, the step and the shard
/// index. The buffers are then reduced over shard indices in a fixed pairwise tree, each weighted
/// by its share of the batch, and added to the parameters' gradients: the gradient of the whole
/// batch's mean loss. Because nothing depends on which thread ran which shard, training is
/// bitwise reproducible with 1, 2 or 16 threads.
///
/// A step is three named parts, each usable and testable on its own: run_shards (forward and
/// backward of every shard, under ShardScopes), plan_parameter_reductions (the fixed tree of
/// train/reduction_tree.hpp, per parameter) and reduce_into_gradients or reduce_and_update (the
/// sums, with the optimizer's update fused in).
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
/// The workers training can run on here: num_threads(), but no more than the current oneTBB
/// arena has (the implicit arena has one per core, so asking for 16 threads on 2 cores runs 2;
/// a tbb::task_arena of 16 runs 16, oversubscribed). Examples and benchmarks report this.
std::size_t workers();

/// Rows [begin, end) of a batch (inputs, extra inputs, labels, targets and indices), a whole batch
/// of its own (global_size 0); all of the rows share the batch's tensors. IndexError
/// when the range is not within the batch; ShapeError when the inputs, extra inputs, targets or
/// labels do not have one row per sample (batch.size(), the number of indices).
datasets::Batch slice_batch(const datasets::Batch& batch, std::size_t begin, std::size_t end);

/// What one sharded step computed.
template <class T>
struct BasicStepResult {
  double loss = 0;                   ///< mean loss over the batch
  std::vector<double> shard_losses;  ///< each shard's mean loss, in order
  /// The model's output per shard, in order (its first output when it returns several).
  std::vector<autograd::BasicTensor<T>> outputs;
  std::vector<datasets::Batch> shards;  ///< the shards themselves (for metrics)
};
using StepResult = BasicStepResult<float>;  ///< float32 elements

/// The shards of a batch of n samples (n >= 1) in shards of `shard_size`: [0, s), [s, 2s), ...,
/// the last one shorter; a last shard of one sample joins the one before it (one-sample shards
/// would make layers with batch statistics, BatchNorm, fail). Depends on n and shard_size only.
std::vector<LeafRange> shard_ranges(std::size_t n, std::size_t shard_size);

/// The tapes and gradient buffers of a step's shards, kept across steps (one each per shard).
template <class T>
struct ShardBuffers {
  std::vector<std::unique_ptr<autograd::Tape>> tapes;  ///< tapes[s]: shard s records here
  std::vector<autograd::LeafGradients<T>> sinks;       ///< sinks[s]: shard s's parameter gradients
  /// The distributed step's outgoing message when the Communicator cannot gather in place
  /// (allgather_filled), kept across steps (MPI is much slower on fresh large buffers).
  std::vector<std::byte> sent;
  std::vector<std::byte> received;   ///< every rank's message, in rank order (kept, as `sent`)
  std::vector<std::size_t> offsets;  ///< rank r's message: received[offsets[r], offsets[r + 1])
  /// Makes room for `shards` shards.
  void reserve(std::size_t shards);
  /// Forgets every shard's gradients.
  void clear();
};

/// Part 1 of a step, running the shards: forward and backward of each shard of `batch` on its own
/// tape, into its own sink, with its own random stream (ShardScopes), in parallel over shards when
/// more than one thread is allowed. Returns each shard's rows and output, and the batch's mean loss
/// (the shards' mean losses weighted by their sizes, summed in shard order). The parameters'
/// gradients are untouched: they are in `buffers.sinks[s]`.
template <class T>
BasicStepResult<T> run_shards(nn::BasicModule<T>& model, const BasicLossFunction<T>& loss,
                              const datasets::Batch& batch, const std::vector<LeafRange>& shards,
                              const autograd::Generator& root, std::uint64_t step,
                              ShardBuffers<T>& buffers);

/// run_shards() on the shards [run.begin, run.end) of `shards` only, the run of one rank of a
/// distributed step: each keeps its index in the whole batch (its random stream, ShardScope).
/// The result's outputs, shards and shard_losses are filled at those indices only, and its loss
/// sums those shards' terms only. IndexError when the run is not within `shards`.
template <class T>
BasicStepResult<T> run_shards(nn::BasicModule<T>& model, const BasicLossFunction<T>& loss,
                              const datasets::Batch& batch, const std::vector<LeafRange>& shards,
                              LeafRange run, const autograd::Generator& root, std::uint64_t step,
                              ShardBuffers<T>& buffers);

/// One parameter's reduction over the shards (part 2 of a step).
template <class T>
struct ParameterReduction {
  autograd::TensorImpl<T>* param = nullptr;  ///< the parameter
  ReductionPlan<T> plan;  ///< the fixed tree over the shards' buffers for this parameter
  std::vector<xt::xarray<T>*> arrays;  ///< arrays[s]: shard s's gradient (nullptr: none)
  std::vector<T*> buffers;             ///< buffers[s]: arrays[s]'s data (nullptr: none)
  std::size_t size = 0;                ///< elements of the parameter
  /// The gradient the sum is added to, elementwise after the tree (nullptr: none).
  T* add_into = nullptr;
  /// Where the root leaf's values come from when they are not in its buffer yet (nullptr: they
  /// are): each piece is copied into the root's buffer right before its adds (the distributed
  /// step, for a partial sum another rank sent, which then becomes the gradient's array).
  const T* root_source = nullptr;
  /// The optimizer's update of the parameter, run on each piece after its sum (nullptr: none).
  const optim::RangeUpdate* update = nullptr;
};

/// Part 2 of a step, the fixed reduction tree: plans every parameter that some shard gave a
/// gradient, in parameters() order, weighting shard s by its share of the batch (`shards` cover
/// the batch, [0, n)). ShapeError (naming `who`) when a gradient already in a parameter has
/// another shape; nothing is changed then.
template <class T>
std::vector<ParameterReduction<T>> plan_parameter_reductions(
    nn::BasicModule<T>& model, std::vector<autograd::LeafGradients<T>>& sinks,
    const std::vector<LeafRange>& shards, const char* who);

/// Part 3 for run(): runs the trees (in parallel over pieces of parameters) and adds each sum to
/// its parameter's gradient, as backward's accumulate_grad would.
template <class T>
void reduce_into_gradients(std::vector<ParameterReduction<T>>& reductions);

/// Part 3 for train_step(), the fused update: makes each sum its parameter's gradient (or adds it
/// to the gradient already there), then lets the optimizer update every piece right after its sum
/// is complete, while it is in cache; one parallel region for the whole reduction and update.
/// Parameters the optimizer holds whose gradient came from no shard are updated after it. The
/// bits are those of reduce_into_gradients() followed by optimizer.step(). When the optimizer
/// refuses to step (prepare_step throws), the gradients are left as reduce_into_gradients() leaves
/// them and the exception propagates.
template <class T>
void reduce_and_update(std::vector<ParameterReduction<T>>& reductions,
                       optim::BasicOptimizer<T>& optimizer);

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
///
/// The distributed step: given a Communicator of several ranks (distributed::World under
/// mpirun), every rank is handed the same global batch and runs only its contiguous run of
/// shards (split_leaves, aligned to the reduction tree); each rank reduces its own subtrees, the
/// partial sums are exchanged (train/rank_step.hpp) and every rank finishes the same tree, so the
/// gradients, the update and the result are bitwise those of one process with the same shard
/// size, whatever the ranks and threads. An exception on one rank ends the whole job
/// (Communicator::abort) rather than leave the others waiting.
template <class T>
class BasicShardedStep {
 public:
  /// `shard_size`: samples per shard (ValueError when 0). `seed`: the root of the shards' random
  /// streams. `world`: the ranks sharing each batch (nullptr or a world of one: this process
  /// runs every shard); it must outlive the step.
  explicit BasicShardedStep(std::size_t shard_size = kDefaultShardSize, std::uint64_t seed = 0,
                            const Communicator* world = nullptr);

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
  /// Samples per shard.
  std::size_t shard_size() const { return shard_size_; }
  /// The ranks sharing each batch (nullptr: none).
  const Communicator* world() const { return world_; }

 private:
  BasicStepResult<T> step(nn::BasicModule<T>& model, const BasicLossFunction<T>& loss,
                          const datasets::Batch& batch, optim::BasicOptimizer<T>* optimizer);

  std::size_t shard_size_;
  autograd::Generator root_;
  std::uint64_t step_ = 0;
  ShardBuffers<T> buffers_;
  const Communicator* world_ = nullptr;
};

using ShardedStep = BasicShardedStep<float>;  ///< float32 elements

}  // namespace axon::train
