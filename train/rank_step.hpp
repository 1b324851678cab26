// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "axon/datasets/dataloader.hpp"
#include "axon/train/communicator.hpp"
#include "axon/train/parallel.hpp"

/// The distributed step (docs/DISTRIBUTED.md): one batch-parallel step shared by the ranks of a
/// Communicator with the bits of one process.
///
/// The batch's shards are cut into one contiguous run per rank (split_leaves). A rank runs its
/// run's shards (run_shards on its cores), reduces each aligned subtree of its run (subtrees()) to
/// one partial sum with its pending weight, and sends those, its shards' losses and outputs, to
/// every rank in one allgather. Every rank then places each partial sum at its subtree's first
/// leaf and plans the whole tree over them: the adds that remain are exactly the upper adds of the
/// one-process tree, in the same order, so the gradient and the update have the same bits. The
/// order of the sums never depends on MPI (no MPI_Allreduce, whose order MPI picks).
namespace axon::train {

/// The shards [begin, end) that rank `rank` of `ranks` runs in a batch of `shards` shards.
LeafRange rank_run(std::size_t shards, std::size_t ranks, std::size_t rank);

/// The rows of a batch of `batch_size` samples that rank `rank` of `ranks` trains, in shards of
/// `shard_size`: those of its run of shards (rank_run over shard_ranges), empty when it has none.
datasets::RowRange rank_rows(std::size_t batch_size, std::size_t shard_size, std::size_t ranks,
                             std::size_t rank);

/// The rows this rank of `world` trains, as a DataLoader row selector:
/// `loader.select_rows(train::rank_rows(shard_size, world))` makes each rank load only the
/// samples it trains (fit does this itself). The selector keeps the rank and the number of ranks,
/// not `world`. ValueError when shard_size is 0.
datasets::RowSelector rank_rows(std::size_t shard_size, const Communicator& world);

/// The distributed body of BasicShardedStep::run and train_step (`optimizer` nullptr: run):
/// runs this rank's shards of `batch` (the whole batch, or a batch of exactly this rank's rows,
/// rank_rows: ValueError otherwise), exchanges the partial sums with `world` and finishes the
/// tree on every rank, then (train_step) updates the parameters. The result has every shard's
/// loss and output, as one process's would (and every shard's labels, targets and indices in
/// `shards`, without inputs for other ranks' shards of a partial batch), and the modules' buffers
/// (BatchNorm's running statistics, kept by shard 0) are copied from rank 0. An exception on this
/// rank ends the job (Communicator::abort).
template <class T>
BasicStepResult<T> run_rank_step(nn::BasicModule<T>& model, const BasicLossFunction<T>& loss,
                                 const datasets::Batch& batch, const std::vector<LeafRange>& shards,
                                 const autograd::Generator& root, std::uint64_t step,
                                 ShardBuffers<T>& buffers, const Communicator& world,
                                 optim::BasicOptimizer<T>* optimizer, const char* who);

/// Copies every parameter and buffer of `model` from rank `root` to every rank (the initial
/// parameters of distributed training). ValueError when the ranks' models differ in size.
template <class T>
void broadcast_model(nn::BasicModule<T>& model, const Communicator& world, std::size_t root = 0);

/// One setting the ranks of a distributed run must agree on: its name and its value as text.
struct SetupField {
  std::string name;   ///< "seed", "batch size", ...
  std::string value;  ///< as text
};

/// The fields fit compares across ranks before training: the library version, the seed, the
/// shard size, the batch size, the number of parameters and of their elements, and their shapes.
template <class T>
std::vector<SetupField> setup_fingerprint(const nn::BasicModule<T>& model, std::uint64_t seed,
                                          std::size_t shard_size, std::size_t batch_size);

/// Compares every rank's fields with rank 0's (one allgather). ValueError on every rank naming
/// the first field that differs, the rank and both values, prefixed with `who`:
/// "fit: the ranks disagree on the seed: rank 1 has 7, rank 0 has 0".
void check_same_setup(const Communicator& world, const std::vector<SetupField>& fields,
                      const std::string& who);

/// The batch's mean loss from each shard's: sum over [run.begin, run.end) of
/// shard_losses[s] * |shard s| / n, in shard order.
double weighted_loss(const std::vector<double>& shard_losses, const std::vector<LeafRange>& shards,
                     LeafRange run);

}  // namespace axon::train
