// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "axon/datasets/dataloader.hpp"
#include "axon/nn/module.hpp"
#include "axon/optim/optimizer.hpp"
#include "axon/train/callbacks.hpp"
#include "axon/train/communicator.hpp"
#include "axon/train/history.hpp"
#include "axon/train/parallel.hpp"

/// fit / evaluate / predict in the spirit of Keras. fit trains batch-parallel by default
/// (train/parallel.hpp): results are bitwise identical whatever the thread count.
namespace axon::train {

/// A learning-rate scheduler that fit() steps after each epoch (after the callbacks) and whose
/// state its training checkpoints save and restore.
struct SchedulerHook {
  std::function<void(const EpochLogs&)> step;                      ///< advance one epoch
  std::function<std::map<std::string, double>()> state;            ///< its state_dict()
  std::function<void(const std::map<std::string, double>&)> load;  ///< its load_state_dict()
};

/// fit()'s settings, with chained setters: `FitOptions().epochs(10).metrics({"accuracy"})`.
///
/// Every option is used by both overloads of fit() except the four that build the loaders from a
/// Dataset (batch_size, shuffle, validation_split, transform): the DataLoader overload takes those
/// from its loaders and refuses them with a ValueError rather than ignoring them.
///
/// Checkpoints and resuming (io/checkpoint.hpp, docs/CHECKPOINTS.md):
/// ```
/// auto options = FitOptions().epochs(20).scheduler(step_lr).checkpoint("run.safetensors", 5);
/// fit(model, adam, loss, loader, options);                        // writes every 5 epochs
/// fit(model2, adam2, loss, loader, options.resume("run.safetensors"));  // continues exactly
/// ```
/// A resumed run produces the same parameters, bit for bit, as an uninterrupted one: the
/// checkpoint holds the model, the optimizer state, the schedulers given here, the epoch, the
/// step counters, the Dropout layers' own generators and the history so far. Callbacks keep no
/// state across a resume (an EarlyStopping's patience restarts), and schedulers stepped by a
/// callback instead of scheduler() are not saved.
struct FitOptions {
  std::size_t epochs_ = 1;                            ///< passes over the training data
  std::vector<std::string> metrics_;                  ///< e.g. {"accuracy", "top3_accuracy"}
  std::vector<std::shared_ptr<Callback>> callbacks_;  ///< run in order
  int verbose_ = 1;  ///< 0: silent; 1: progress bar on a terminal, else a line per epoch
  std::size_t shard_size_ = kDefaultShardSize;  ///< samples per shard of the batch-parallel step
  bool parallel_ = true;                        ///< false: one tape per batch, no sharding
  std::uint64_t seed_ = 0;  ///< root of the shards' random streams (Dropout); Dataset: shuffling
  bool terminate_on_nan_ = true;  ///< a TerminateOnNaN runs before the callbacks
  std::ostream* out_ = nullptr;   ///< progress output (default std::cout)
  // The Dataset overload's loaders (unset: the defaults in the comments; the DataLoader overload
  // refuses them when set):
  std::optional<std::size_t> batch_size_;   ///< default 32
  std::optional<bool> shuffle_;             ///< default true
  std::optional<double> validation_split_;  ///< last fraction held out, as Keras; default 0
  std::vector<datasets::BatchTransform> transforms_;  ///< applied to every batch
  // Checkpoints:
  std::string checkpoint_path_;            ///< training checkpoint written by fit ("": none)
  std::size_t checkpoint_every_ = 1;       ///< every this many epochs, and after the last one
  std::string resume_path_;                ///< training checkpoint to resume from ("": start fresh)
  std::vector<SchedulerHook> schedulers_;  ///< stepped after each epoch, saved in checkpoints
  const Communicator* world_ = nullptr;    ///< the ranks training together (nullptr: this one)

  /// Number of epochs (default 1).
  FitOptions& epochs(std::size_t v) { return epochs_ = v, *this; }
  /// Metrics reported per epoch besides the loss, by name (train/metrics.hpp; an unknown name is a
  /// ValueError when fit starts).
  FitOptions& metrics(std::vector<std::string> v) { return metrics_ = std::move(v), *this; }
  /// Appends a callback; callbacks run in the order added.
  FitOptions& callback(std::shared_ptr<Callback> c) {
    return callbacks_.push_back(std::move(c)), *this;
  }
  /// 0: silent; 1 (default): a progress bar on a terminal, else one line per epoch.
  FitOptions& verbose(int v) { return verbose_ = v, *this; }
  /// Samples per shard of the batch-parallel step (default kDefaultShardSize).
  FitOptions& shard_size(std::size_t v) { return shard_size_ = v, *this; }
  /// false: one tape per batch, no sharding (default true).
  FitOptions& parallel(bool v) { return parallel_ = v, *this; }
  /// Root seed of the shards' random streams and of the Dataset overload's shuffling.
  FitOptions& seed(std::uint64_t v) { return seed_ = v, *this; }
  /// true (the default): a NaN or infinite batch loss stops fit with a NumericalError naming
  /// the epoch and the step (TerminateOnNaN); false: training goes on.
  FitOptions& terminate_on_nan(bool v) { return terminate_on_nan_ = v, *this; }
  /// Where progress goes (default std::cout); the stream must outlive fit.
  FitOptions& out(std::ostream& os) { return out_ = &os, *this; }
  /// Dataset overload only: samples per batch.
  FitOptions& batch_size(std::size_t v) { return batch_size_ = v, *this; }
  /// Dataset overload only: reshuffle the training samples every epoch (from seed()).
  FitOptions& shuffle(bool v) { return shuffle_ = v, *this; }
  /// Dataset overload only: hold out this last fraction of the data, in [0, 1), for validation.
  FitOptions& validation_split(double v) { return validation_split_ = v, *this; }
  /// Dataset overload only: a transform of every batch, training and validation.
  FitOptions& transform(datasets::BatchTransform t) {
    return transforms_.push_back(std::move(t)), *this;
  }
  /// Writes a training checkpoint to `path` (atomically) every `every_epochs` epochs and after
  /// the last epoch; ValueError when every_epochs is 0.
  FitOptions& checkpoint(std::string path, std::size_t every_epochs = 1);
  /// Resumes from the training checkpoint at `path`: restores everything it holds and trains
  /// the epochs after the one it was written at, up to epochs(). The model, the optimizer and
  /// the schedulers must be built as in the run that wrote it.
  FitOptions& resume(std::string path) { return resume_path_ = std::move(path), *this; }
  /// Steps `s` after each epoch; its state is saved in training checkpoints. `s` must outlive fit.
  FitOptions& scheduler(optim::LRScheduler& s);
  /// Steps `s` with the epoch's value of `monitor` ("val_loss") after each epoch; ValueError
  /// naming `monitor` when an epoch's logs lack it.
  FitOptions& scheduler(optim::ReduceLROnPlateau& s, std::string monitor = "val_loss");
  /// Trains over the ranks of `world` (distributed::World under mpirun; docs/DISTRIBUTED.md),
  /// which must outlive fit. Every rank runs fit with the same model, loaders and options; each
  /// batch's shards are split over the ranks and the result has the bits of one process: the
  /// parameters, the losses, the metrics and the history are the same on every rank and equal to
  /// a single-process run's. Rank 0's initial parameters are copied to every rank. Only rank 0
  /// prints and writes checkpoints; every rank reads --resume's checkpoint. The ranks' seeds,
  /// shard sizes, batch sizes, models and library versions are compared first (ValueError naming
  /// the field). An exception on one rank ends every rank (Communicator::abort). A world of one
  /// changes nothing.
  FitOptions& distributed(const Communicator& world) { return world_ = &world, *this; }
};

/// Trains `model` for options.epochs passes over `train` and returns the per-epoch history
/// ("loss", each metric, and "val_..." with `validation`). `loss` must be a mean over its batch.
/// The loaders decide batching, shuffling and transforms: ValueError when `options` sets
/// batch_size, shuffle, validation_split or transform (the Dataset overload's options).
History fit(nn::Module& model, optim::Optimizer& optimizer, const LossFunction& loss,
            datasets::DataLoader& train, const FitOptions& options = {},
            datasets::DataLoader* validation = nullptr);

/// Keras-style: batches `data` with options.batch_size/shuffle/seed/transforms and holds out the
/// last options.validation_split of it (before shuffling) for validation; the transforms apply to
/// both. ValueError for a validation_split outside [0, 1).
History fit(nn::Module& model, optim::Optimizer& optimizer, const LossFunction& loss,
            const datasets::Dataset& data, const FitOptions& options = {});

/// Loss and metrics of `model` on `data` in eval mode without recording; keys are prefixed with
/// `prefix` ("val_"). The model's train/eval mode is restored afterwards. ValueError when the
/// loader produces no batch. With a `world` of several ranks (every rank calls it with the same
/// model and loader), rank r runs the forward passes of batches r, r + size, ... and the outputs
/// are exchanged, so that every rank gets the logs of one process, bit for bit.
EpochLogs evaluate(nn::Module& model, const LossFunction& loss, datasets::DataLoader& data,
                   const std::vector<std::string>& metrics = {}, const std::string& prefix = "",
                   const Communicator* world = nullptr);

/// The model's outputs for every sample of `data`, in loader order, stacked along axis 0.
/// ValueError naming the model when it returns several outputs (see predict_outputs).
Tensor predict(nn::Module& model, datasets::DataLoader& data);

/// predict() for a model of several outputs: each output stacked along axis 0 over the batches,
/// in the model's order. The batches' extra_inputs go to the model's many-tensor forward.
/// ValueError when the loader produces no batch or the count of outputs changes between batches;
/// ShapeError when an output's trailing shape does.
std::vector<Tensor> predict_outputs(nn::Module& model, datasets::DataLoader& data);

/// Mean softmax cross-entropy of logits against the batch's class labels.
LossFunction cross_entropy_loss(double label_smoothing = 0.0);
/// Mean squared error against the batch's targets.
LossFunction mse_loss();

}  // namespace axon::train
