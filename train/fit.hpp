// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "datasets/dataloader.hpp"
#include "nn/module.hpp"
#include "optim/optimizer.hpp"
#include "train/callbacks.hpp"
#include "train/history.hpp"
#include "train/parallel.hpp"

/// fit / evaluate / predict in the spirit of Keras. fit trains batch-parallel by default
/// (train/parallel.hpp): results are bitwise identical whatever the thread count.
namespace axon::train {

/// fit()'s settings, with chained setters: `FitOptions().epochs(10).metrics({"accuracy"})`.
struct FitOptions {
  std::size_t epochs_ = 1;
  std::vector<std::string> metrics_;                  ///< e.g. {"accuracy", "top3_accuracy"}
  std::vector<std::shared_ptr<Callback>> callbacks_;  ///< run in order
  int verbose_ = 1;             ///< 0: silent; 1: progress bar on a terminal, else a line per epoch
  std::size_t shard_size_ = 32;  ///< samples per shard of the batch-parallel step
  bool parallel_ = true;         ///< false: one tape per batch, no sharding
  std::uint64_t seed_ = 0;       ///< root of the shards' random streams (Dropout)
  std::ostream* out_ = nullptr;  ///< progress output (default std::cout)
  // For the Dataset overload only:
  std::size_t batch_size_ = 32;
  bool shuffle_ = true;
  double validation_split_ = 0.0;  ///< last fraction of the data held out, as Keras
  std::vector<datasets::BatchTransform> transforms_;

  FitOptions& epochs(std::size_t v) { return epochs_ = v, *this; }
  FitOptions& metrics(std::vector<std::string> v) { return metrics_ = std::move(v), *this; }
  FitOptions& callback(std::shared_ptr<Callback> c) {
    return callbacks_.push_back(std::move(c)), *this;
  }
  FitOptions& verbose(int v) { return verbose_ = v, *this; }
  FitOptions& shard_size(std::size_t v) { return shard_size_ = v, *this; }
  FitOptions& parallel(bool v) { return parallel_ = v, *this; }
  FitOptions& seed(std::uint64_t v) { return seed_ = v, *this; }
  FitOptions& out(std::ostream& os) { return out_ = &os, *this; }
  FitOptions& batch_size(std::size_t v) { return batch_size_ = v, *this; }
  FitOptions& shuffle(bool v) { return shuffle_ = v, *this; }
  FitOptions& validation_split(double v) { return validation_split_ = v, *this; }
  FitOptions& transform(datasets::BatchTransform t) {
    return transforms_.push_back(std::move(t)), *this;
  }
};

/// Trains `model` for options.epochs passes over `train` and returns the per-epoch history
/// ("loss", each metric, and "val_..." with `validation`). `loss` must be a mean over its batch.
History fit(nn::Module& model, optim::Optimizer& optimizer, const LossFunction& loss,
            datasets::DataLoader& train, const FitOptions& options = {},
            datasets::DataLoader* validation = nullptr);

/// Keras-style: batches `data` with options.batch_size/shuffle/seed/transforms and holds out the
/// last options.validation_split of it (before shuffling) for validation.
History fit(nn::Module& model, optim::Optimizer& optimizer, const LossFunction& loss,
            const datasets::Dataset& data, const FitOptions& options = {});

/// Loss and metrics of `model` on `data` in eval mode without recording; keys are prefixed with
/// `prefix` ("val_"). The model's train/eval mode is restored afterwards.
EpochLogs evaluate(nn::Module& model, const LossFunction& loss, datasets::DataLoader& data,
                   const std::vector<std::string>& metrics = {}, const std::string& prefix = "");

/// The model's outputs for every sample of `data`, in loader order, stacked along axis 0.
Tensor predict(nn::Module& model, datasets::DataLoader& data);

/// Mean softmax cross-entropy of logits against the batch's class labels.
LossFunction cross_entropy_loss(double label_smoothing = 0.0);
/// Mean squared error against the batch's targets.
LossFunction mse_loss();

}  // namespace axon::train
