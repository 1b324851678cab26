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

/// Rows [begin, end) of a batch.
struct RowRange {
  std::size_t begin = 0;                             ///< first row
  std::size_t end = 0;                               ///< one past the last row
  bool operator==(const RowRange&) const = default;  ///< the same rows
};

/// Given a batch's number of samples, the rows of it to load (DataLoader::select_rows).
using RowSelector = std::function<RowRange(std::size_t batch_size)>;

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

  /// Loads only the rows `select(n)` of each batch of n samples (distributed training: each rank
  /// loads the rows it trains, train::rank_rows). The batches then have those rows, in order, with
  /// `global_size` n and `row_offset` the first row (Batch); the other rows are never read and
  /// the transforms see only the selected rows. The epoch's order and batch boundaries do not
  /// change. An empty selector loads whole batches again. IndexError from make_batch when a
  /// selected range is not within its batch.
  DataLoader& select_rows(RowSelector select);
  /// The selector select_rows() set (empty: whole batches).
  const RowSelector& row_selector() const { return select_rows_; }

  /// Batches per epoch.
  std::size_t num_batches() const;
  /// The data set.
  const Dataset& dataset() const { return dataset_; }
  /// The settings.
  const DataLoaderOptions& options() const { return options_; }
  /// The samples batch `b` holds: [begin, end) of an epoch's `order`. IndexError when there is no
  /// batch b.
  RowRange batch_span(const std::vector<std::size_t>& order, std::size_t b) const;
  /// Sample order of epoch `e` (0..n-1 when not shuffling).
  std::vector<std::size_t> order(std::size_t epoch) const;
  /// Batch `b` of an epoch whose sample order is `order`, transforms applied (only the selected
  /// rows when select_rows() set a selector).
  Batch make_batch(const std::vector<std::size_t>& order, std::size_t b) const;
  /// Rows [rows.begin, rows.end) of batch `b`, whatever the selector: a Batch with those rows,
  /// global_size the batch's size and row_offset rows.begin. IndexError when the rows are not
  /// within the batch.
  Batch make_batch(const std::vector<std::size_t>& order, std::size_t b, RowRange rows) const;

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
  RowSelector select_rows_;
  std::size_t next_epoch_ = 0;
};

}  // namespace axon::datasets
