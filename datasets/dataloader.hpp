// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <vector>

#include "axon/autograd/arg.hpp"
#include "axon/datasets/dataset.hpp"

/// Mini-batches from a Dataset: seeded, epoch-indexed shuffling and per-batch transforms.
namespace axon::datasets {

/// A transform applied in place to each batch after assembly (scale, standardise, one-hot...).
using BatchTransform = std::function<void(Batch&)>;

/// DataLoader settings, with chained setters: `DataLoaderOptions(64).shuffle(true).seed(7)`.
class DataLoaderOptions {
 public:
  /// Samples per batch (at least 1); implicit, so `DataLoader(data, 64)` reads naturally.
  DataLoaderOptions(std::size_t batch_size = 32) : batch_size_(batch_size) {}  // NOLINT

  /// Samples per batch.
  AXON_ARG(std::size_t, batch_size);
  /// Whether each epoch visits the samples in a fresh random order (default: no).
  AXON_ARG(bool, shuffle) = false;
  /// Seed of the shuffles: epoch e's order depends only on (seed, e) (default 0).
  AXON_ARG(std::uint64_t, seed) = 0;
  /// Whether a last, smaller batch is dropped (default: no).
  AXON_ARG(bool, drop_last) = false;
};

/// Iterates a data set in batches. `for (Batch& b : loader)` runs the next epoch (0, 1, 2, ... on
/// successive loops); `for (Batch& b : loader.epoch(e))` runs epoch e explicitly. With shuffle on,
/// epoch e's order is a Fisher-Yates permutation drawn from Generator(seed).fork(e), so any epoch
/// can be replayed on its own. Batches are assembled lazily, one at a time.
class DataLoader {
 public:
  /// Batches of `dataset` as `options` say: `DataLoader(data, 64)` or
  /// `DataLoader(data, DataLoaderOptions(64).shuffle(true).seed(7))`. ValueError when batch_size
  /// is 0.
  DataLoader(Dataset dataset, DataLoaderOptions options);

  /// Appends a transform; transforms run in the order they were added. Returns *this. A first
  /// transform made by scale() or scale_to_unit() is applied while the batch is converted to
  /// float (one pass instead of two, with the same bits).
  DataLoader& transform(BatchTransform fn);

  /// Batches per epoch.
  std::size_t num_batches() const;
  /// The data set.
  const Dataset& dataset() const { return dataset_; }
  /// The settings.
  const DataLoaderOptions& options() const { return options_; }
  /// Sample order of epoch `e` (0..n-1 when not shuffling).
  std::vector<std::size_t> order(std::size_t epoch) const;
  /// Batch `b` of an epoch whose sample order is `order`, transforms applied.
  Batch make_batch(const std::vector<std::size_t>& order, std::size_t b) const;

  /// End marker of an epoch's batches: an Iterator equals it after the last batch.
  struct Sentinel {};

  /// Input iterator over one epoch's batches.
  class Iterator {
   public:
    /// Single pass: each batch is built as the iterator advances.
    using iterator_category = std::input_iterator_tag;
    using value_type = Batch;                ///< what dereferencing gives
    using difference_type = std::ptrdiff_t;  ///< signed distance type
    using pointer = Batch*;                  ///< pointer to the current batch
    using reference = Batch&;                ///< reference to the current batch

    /// Positioned on the first batch of `loader`'s epoch with sample order `order`.
    Iterator(const DataLoader* loader, std::shared_ptr<const std::vector<std::size_t>> order);
    /// The current batch.
    Batch& operator*() { return batch_; }
    /// The current batch's members.
    Batch* operator->() { return &batch_; }
    /// Moves to the next batch (building it).
    Iterator& operator++();
    /// Index of the current batch within the epoch.
    std::size_t index() const { return index_; }
    /// Whether the epoch is over (every batch has been visited).
    bool operator==(Sentinel) const { return index_ >= loader_->num_batches(); }

   private:
    const DataLoader* loader_;
    std::shared_ptr<const std::vector<std::size_t>> order_;
    std::size_t index_ = 0;
    Batch batch_;
  };

  /// The batches of one epoch.
  class EpochRange {
   public:
    /// The batches of `loader`'s epoch `epoch` (its sample order is drawn now).
    EpochRange(const DataLoader* loader, std::size_t epoch);
    /// The epoch's first batch.
    Iterator begin() const { return Iterator(loader_, order_); }
    Sentinel end() const { return {}; }                          ///< end marker
    std::size_t size() const { return loader_->num_batches(); }  ///< number of batches

   private:
    const DataLoader* loader_;
    std::shared_ptr<const std::vector<std::size_t>> order_;
  };

  /// Epoch `e`'s batches.
  EpochRange epoch(std::size_t e) const { return EpochRange(this, e); }
  /// Starts the next epoch (see next_epoch()) and returns its first batch.
  Iterator begin();
  Sentinel end() const { return {}; }  ///< end marker of the epoch begin() started
  /// The epoch the next begin() will run.
  std::size_t next_epoch() const { return next_epoch_; }
  /// Sets the epoch the next begin() will run (to resume training).
  void set_next_epoch(std::size_t e) { next_epoch_ = e; }

 private:
  Dataset dataset_;
  DataLoaderOptions options_;
  std::vector<BatchTransform> transforms_;
  std::size_t next_epoch_ = 0;
};

}  // namespace axon::datasets
