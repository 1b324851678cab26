// SPDX-License-Identifier: MIT
#include "axon/datasets/dataset.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "axon/autograd/error.hpp"
#include "axon/autograd/parallel_for.hpp"
#include "axon/autograd/target_clones.hpp"

namespace axon::datasets {

using autograd::shape_numel;
using autograd::shape_str;

Dataset::Dataset(DatasetParts parts) : sample_shape_(parts.sample_shape) {
  auto storage = std::make_shared<Storage>();
  const std::size_t row_numel = shape_numel(parts.sample_shape);
  const std::size_t values = std::visit([](const auto& v) { return v.size(); }, parts.features);
  if (row_numel == 0) {
    throw ValueError("Dataset: sample shape " + shape_str(parts.sample_shape) + " has no values");
  }
  if (values % row_numel != 0) {
    throw ValueError("Dataset: " + std::to_string(values) +
                     " feature values do not divide into samples of shape " +
                     shape_str(parts.sample_shape));
  }
  const std::size_t rows = values / row_numel;
  if (!parts.labels.empty()) {
    if (parts.labels.size() != rows) {
      throw ValueError("Dataset: " + std::to_string(parts.labels.size()) + " labels for " +
                       std::to_string(rows) + " samples");
    }
    for (std::size_t i = 0; i < rows; ++i) {
      if (parts.labels[i] >= parts.num_classes) {
        throw ValueError("Dataset: label " + std::to_string(parts.labels[i]) + " of sample " +
                         std::to_string(i) + " is not below num_classes " +
                         std::to_string(parts.num_classes));
      }
    }
  }
  if (!parts.targets.empty()) {
    if (parts.target_dim == 0 || parts.targets.size() != rows * parts.target_dim) {
      throw ValueError("Dataset: " + std::to_string(parts.targets.size()) + " targets for " +
                       std::to_string(rows) + " samples of target_dim " +
                       std::to_string(parts.target_dim));
    }
  }
  storage->features = std::move(parts.features);
  storage->labels = std::move(parts.labels);
  storage->num_classes = storage->labels.empty() ? 0 : parts.num_classes;
  storage->targets = std::move(parts.targets);
  storage->target_dim = storage->targets.empty() ? 0 : parts.target_dim;
  storage->rows = rows;
  storage->row_numel = row_numel;
  storage_ = std::move(storage);
}

Dataset Dataset::classification(FeatureStorage features, Shape sample_shape,
                                std::vector<std::size_t> labels, std::size_t num_classes) {
  DatasetParts parts;
  parts.features = std::move(features);
  parts.sample_shape = std::move(sample_shape);
  parts.labels = std::move(labels);
  parts.num_classes = num_classes;
  return Dataset(std::move(parts));
}

Dataset Dataset::regression(FeatureStorage features, Shape sample_shape, std::vector<float> targets,
                            std::size_t target_dim) {
  DatasetParts parts;
  parts.features = std::move(features);
  parts.sample_shape = std::move(sample_shape);
  parts.targets = std::move(targets);
  parts.target_dim = target_dim;
  return Dataset(std::move(parts));
}

std::size_t Dataset::sample_numel() const {
  return storage_ ? storage_->row_numel : 0;
}

bool Dataset::is_uint8() const {
  return storage_ && std::holds_alternative<std::vector<std::uint8_t>>(storage_->features);
}

std::size_t Dataset::row_of(std::size_t i, const char* what) const {
  if (i >= size()) {
    throw IndexError(std::string("Dataset::") + what + ": index " + std::to_string(i) +
                     " out of range for " + std::to_string(size()) + " samples");
  }
  return is_view_ ? indices_[i] : i;
}

std::size_t Dataset::label(std::size_t i) const {
  if (!has_labels()) throw ValueError("Dataset::label: the data set has no labels");
  return storage_->labels[row_of(i, "label")];
}

std::vector<std::size_t> Dataset::labels() const {
  std::vector<std::size_t> out;
  if (!has_labels()) return out;
  out.reserve(size());
  for (std::size_t i = 0; i < size(); ++i) out.push_back(storage_->labels[row_of(i, "labels")]);
  return out;
}

const std::uint8_t* Dataset::row_uint8(std::size_t i) const {
  const std::size_t row = row_of(i, "row_uint8");
  const auto* v = std::get_if<std::vector<std::uint8_t>>(&storage_->features);
  if (!v) throw ValueError("Dataset::row_uint8: the features are stored as float");
  return v->data() + row * storage_->row_numel;
}

const float* Dataset::row_float(std::size_t i) const {
  const std::size_t row = row_of(i, "row_float");
  const auto* v = std::get_if<std::vector<float>>(&storage_->features);
  if (!v) throw ValueError("Dataset::row_float: the features are stored as uint8");
  return v->data() + row * storage_->row_numel;
}

const float* Dataset::row_targets(std::size_t i) const {
  if (!has_targets()) throw ValueError("Dataset::row_targets: the data set has no targets");
  return storage_->targets.data() + row_of(i, "row_targets") * storage_->target_dim;
}

Dataset Dataset::subset(std::span<const std::size_t> indices) const {
  Dataset out;
  out.storage_ = storage_;
  out.sample_shape_ = sample_shape_;
  out.is_view_ = true;
  out.indices_.reserve(indices.size());
  for (std::size_t i : indices) out.indices_.push_back(row_of(i, "subset"));
  return out;
}

Dataset Dataset::reshaped(const Shape& sample_shape) const {
  if (shape_numel(sample_shape) != sample_numel()) {
    throw ShapeError("Dataset::reshaped: sample shape " + shape_str(sample_shape_) +
                     " cannot be viewed as " + shape_str(sample_shape));
  }
  Dataset out = *this;
  out.sample_shape_ = sample_shape;
  return out;
}

namespace {

/// uint8 to float, times `scale`: the bulk of batch assembly for image data. Multiplying an
/// integer-valued float by 1 is exact, so scale 1 needs no separate loop.
AXON_TARGET_CLONES void bytes_to_floats(const std::uint8_t* __restrict src, float* __restrict out,
                                        std::size_t n, float scale) {
  for (std::size_t k = 0; k < n; ++k) out[k] = static_cast<float>(src[k]) * scale;
}

/// float rows, times `scale`; copied unchanged when it is 1 (so NaN payloads survive too).
AXON_TARGET_CLONES void copy_floats(const float* __restrict src, float* __restrict out,
                                    std::size_t n, float scale) {
  if (scale == 1.0f) {
    std::memcpy(out, src, n * sizeof(float));
  } else {
    for (std::size_t k = 0; k < n; ++k) out[k] = src[k] * scale;
  }
}

/// Rows converted ahead of the one being read (prefetch distance).
constexpr std::size_t kPrefetchRows = 2;

void prefetch_row(const std::uint8_t* p, std::size_t n) {
  for (std::size_t k = 0; k < n; k += 64) __builtin_prefetch(p + k, /*rw=*/0, /*locality=*/0);
}

}  // namespace

Batch Dataset::gather(std::span<const std::size_t> indices, float input_scale) const {
  if (!storage_) throw ValueError("Dataset::gather: the data set is empty");
  const std::size_t count = indices.size();
  const std::size_t row_numel = storage_->row_numel;
  Shape shape{count};
  shape.insert(shape.end(), sample_shape_.begin(), sample_shape_.end());
  xt::xarray<float> inputs = xt::xarray<float>::from_shape(shape);
  float* dst = inputs.data();

  Batch batch;
  batch.indices.assign(indices.begin(), indices.end());
  std::vector<std::size_t> rows(count);
  for (std::size_t b = 0; b < count; ++b) rows[b] = row_of(indices[b], "gather");

  // One contiguous copy (or conversion) per sample row; rows are independent, so large batches
  // are assembled on several threads with the same result.
  const std::size_t rows_per_chunk =
      std::max<std::size_t>(1, autograd::elementwise_grain() / std::max<std::size_t>(1, row_numel));
  const std::size_t* row = rows.data();
  if (const auto* u8 = std::get_if<std::vector<std::uint8_t>>(&storage_->features)) {
    const std::uint8_t* bytes = u8->data();
    autograd::parallel_chunks(count, rows_per_chunk, [=](std::size_t first, std::size_t last) {
      for (std::size_t b = first; b < last; ++b) {
        // Rows are scattered over the whole data set (a shuffled order), so each one starts
        // with cache misses the hardware prefetcher cannot foresee: ask for the rows ahead.
        if (b + kPrefetchRows < last)
          prefetch_row(bytes + row[b + kPrefetchRows] * row_numel, row_numel);
        bytes_to_floats(bytes + row[b] * row_numel, dst + b * row_numel, row_numel, input_scale);
      }
    });
  } else {
    const float* floats = std::get<std::vector<float>>(storage_->features).data();
    autograd::parallel_chunks(count, rows_per_chunk, [=](std::size_t first, std::size_t last) {
      for (std::size_t b = first; b < last; ++b) {
        copy_floats(floats + row[b] * row_numel, dst + b * row_numel, row_numel, input_scale);
      }
    });
  }
  batch.inputs = Tensor(std::move(inputs));

  if (has_labels()) {
    batch.labels.resize(count);
    for (std::size_t b = 0; b < count; ++b) batch.labels[b] = storage_->labels[rows[b]];
  }
  if (has_targets()) {
    const std::size_t dim = storage_->target_dim;
    xt::xarray<float> targets = xt::xarray<float>::from_shape({count, dim});
    for (std::size_t b = 0; b < count; ++b) {
      std::memcpy(targets.data() + b * dim, storage_->targets.data() + rows[b] * dim,
                  dim * sizeof(float));
    }
    batch.targets = Tensor(std::move(targets));
  }
  return batch;
}

}  // namespace axon::datasets
