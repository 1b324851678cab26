// SPDX-License-Identifier: MIT
#include "axon/datasets/dataloader.hpp"

#include <algorithm>
#include <numeric>
#include <span>
#include <string>

#include "axon/autograd/error.hpp"
#include "axon/autograd/random.hpp"
#include "axon/datasets/split.hpp"
#include "axon/datasets/transforms.hpp"

namespace axon::datasets {

DataLoader::DataLoader(Dataset dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(options) {
  if (options_.batch_size() == 0) throw ValueError("DataLoader: batch_size must be at least 1");
}

DataLoader& DataLoader::transform(BatchTransform fn) {
  if (!fn) throw ValueError("DataLoader::transform: empty transform");
  transforms_.push_back(std::move(fn));
  return *this;
}

std::size_t DataLoader::num_batches() const {
  const std::size_t n = dataset_.size(), b = options_.batch_size();
  // n / b plus one for a partial batch: (n + b - 1) / b would wrap around for b near SIZE_MAX.
  return n / b + (!options_.drop_last() && n % b != 0 ? 1 : 0);
}

std::vector<std::size_t> DataLoader::order(std::size_t epoch) const {
  if (!options_.shuffle()) {
    std::vector<std::size_t> identity(dataset_.size());
    std::iota(identity.begin(), identity.end(), std::size_t{0});
    return identity;
  }
  // One independent stream per epoch: epoch e does not depend on how many epochs ran before.
  autograd::Generator gen = autograd::Generator(options_.seed()).fork(epoch);
  return permutation(dataset_.size(), gen);
}

DataLoader& DataLoader::select_rows(RowSelector select) {
  select_rows_ = std::move(select);
  return *this;
}

RowRange DataLoader::batch_span(const std::vector<std::size_t>& order, std::size_t b) const {
  if (b >= num_batches()) {
    throw IndexError("DataLoader::make_batch: batch " + std::to_string(b) + " of an epoch of " +
                     std::to_string(num_batches()));
  }
  const std::size_t start = b * options_.batch_size();
  if (start >= order.size()) {
    throw IndexError("DataLoader::make_batch: batch " + std::to_string(b) + " starts at sample " +
                     std::to_string(start) + " of an order of " + std::to_string(order.size()));
  }
  return {start, start + std::min(options_.batch_size(), order.size() - start)};
}

Batch DataLoader::make_batch(const std::vector<std::size_t>& order, std::size_t b) const {
  const RowRange span = batch_span(order, b);
  const std::size_t count = span.end - span.begin;
  return make_batch(order, b, select_rows_ ? select_rows_(count) : RowRange{0, count});
}

Batch DataLoader::make_batch(const std::vector<std::size_t>& order, std::size_t b,
                             RowRange rows) const {
  const RowRange span = batch_span(order, b);
  const std::size_t count = span.end - span.begin;
  if (rows.begin > rows.end || rows.end > count) {
    throw IndexError("DataLoader::make_batch: rows [" + std::to_string(rows.begin) + ", " +
                     std::to_string(rows.end) + ") of batch " + std::to_string(b) + ", which has " +
                     std::to_string(count) + " samples");
  }
  // A scale that comes first is done while converting (one pass over the batch, same bits).
  const auto* first_scale = transforms_.empty() ? nullptr : transforms_[0].target<ScaleInputs>();
  Batch batch = dataset_.gather(
      std::span<const std::size_t>(order.data() + span.begin + rows.begin, rows.end - rows.begin),
      first_scale ? first_scale->factor : 1.0f);
  if (rows.end - rows.begin != count) {
    batch.global_size = count;
    batch.row_offset = rows.begin;
  }
  for (std::size_t t = first_scale ? 1 : 0; t < transforms_.size(); ++t) transforms_[t](batch);
  return batch;
}

DataLoader::Iterator::Iterator(const DataLoader* loader,
                               std::shared_ptr<const std::vector<std::size_t>> order)
    : loader_(loader), order_(std::move(order)) {
  if (index_ < loader_->num_batches()) batch_ = loader_->make_batch(*order_, index_);
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  ++index_;
  batch_ = index_ < loader_->num_batches() ? loader_->make_batch(*order_, index_) : Batch{};
  return *this;
}

DataLoader::EpochRange::EpochRange(const DataLoader* loader, std::size_t epoch)
    : loader_(loader),
      order_(std::make_shared<const std::vector<std::size_t>>(loader->order(epoch))) {}

DataLoader::Iterator DataLoader::begin() {
  return epoch(next_epoch_++).begin();
}

}  // namespace axon::datasets
