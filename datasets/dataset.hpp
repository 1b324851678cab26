// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <variant>
#include <vector>

#include "axon/autograd/shape.hpp"
#include "axon/autograd/tensor.hpp"

/// In-memory data sets and the mini-batches cut from them.
namespace axon::datasets {

using autograd::Shape;
using autograd::Tensor;

/// One mini-batch, as the DataLoader hands it out.
struct Batch {
  Tensor inputs;  ///< float [B, sample_shape...]
  /// Further model inputs, float [B, ...] each (a mask, a second modality), which a
  /// BatchTransform may add: fit, evaluate and predict then call the model's many-tensor forward
  /// with {inputs, extra_inputs...}. Empty for most data.
  std::vector<Tensor> extra_inputs;
  std::vector<std::size_t> labels;   ///< class labels (classification data), else empty
  Tensor targets;                    ///< float [B, target_dim] (regression data), else undefined
  std::vector<std::size_t> indices;  ///< the samples' positions in the data set, in batch order
                                     ///< (may be left empty in a batch built by hand)
  /// A rank's part of a larger batch (distributed training, DataLoader::select_rows): these
  /// samples are rows [row_offset, row_offset + size()) of a batch of global_size samples that
  /// several ranks share. 0: the batch is whole.
  std::size_t global_size = 0;
  std::size_t row_offset = 0;  ///< where these rows start in the shared batch (with global_size)

  /// Number of samples: the indices' count, or for a batch built by hand without indices, the
  /// inputs' rows (the labels' count when there are no inputs either).
  std::size_t size() const {
    if (!indices.empty()) return indices.size();
    if (inputs.defined() && inputs.dim() > 0) return inputs.shape()[0];
    return labels.size();
  }
  /// Samples in the whole batch: global_size for a rank's part of a shared batch, else size().
  std::size_t whole_size() const { return global_size ? global_size : size(); }
};

/// Sample features: uint8 (images: converted to float one batch at a time) or float.
using FeatureStorage = std::variant<std::vector<std::uint8_t>, std::vector<float>>;

/// Everything a data set holds; the factories below fill the common cases.
struct DatasetParts {
  FeatureStorage features;          ///< rows x prod(sample_shape), row-major
  Shape sample_shape;               ///< shape of one sample's features
  std::vector<std::size_t> labels;  ///< one class per row, or empty
  std::size_t num_classes = 0;      ///< labels are < num_classes
  std::vector<float> targets;       ///< rows x target_dim, or empty
  std::size_t target_dim = 0;       ///< values per row in targets
};

/// An in-memory data set. Copies and subsets share the storage (immutable once built); a subset
/// is a list of row indices into it, so a train/validation split of Fashion-MNIST costs no copy
/// of the images.
class Dataset {
 public:
  /// An empty data set.
  Dataset() = default;
  /// Builds from parts; ValueError when sizes disagree or a label is >= num_classes.
  explicit Dataset(DatasetParts parts);

  /// Features with class labels in [0, num_classes).
  static Dataset classification(FeatureStorage features, Shape sample_shape,
                                std::vector<std::size_t> labels, std::size_t num_classes);
  /// Features with `target_dim` float targets per sample.
  static Dataset regression(FeatureStorage features, Shape sample_shape, std::vector<float> targets,
                            std::size_t target_dim = 1);

  /// Number of samples.
  std::size_t size() const { return is_view_ ? indices_.size() : rows(); }
  /// Shape of one sample's features (a batch's inputs are [B, sample_shape...]).
  const Shape& sample_shape() const { return sample_shape_; }
  /// Number of feature values per sample.
  std::size_t sample_numel() const;
  /// Whether the features are stored as uint8.
  bool is_uint8() const;

  /// Whether samples carry class labels.
  bool has_labels() const { return storage_ && !storage_->labels.empty(); }
  /// Labels are < num_classes (0 without labels).
  std::size_t num_classes() const { return storage_ ? storage_->num_classes : 0; }
  /// Whether samples carry float targets.
  bool has_targets() const { return storage_ && !storage_->targets.empty(); }
  /// Float targets per sample (0 without targets).
  std::size_t target_dim() const { return storage_ ? storage_->target_dim : 0; }

  /// Label of sample `i`; IndexError when out of range, ValueError without labels.
  std::size_t label(std::size_t i) const;
  /// All labels in sample order.
  std::vector<std::size_t> labels() const;
  /// Sample `i`'s uint8 features (sample_numel values); ValueError when stored as float.
  const std::uint8_t* row_uint8(std::size_t i) const;
  /// Sample `i`'s float features (sample_numel values); ValueError when stored as uint8.
  const float* row_float(std::size_t i) const;
  /// Sample `i`'s targets (target_dim values); ValueError without targets.
  const float* row_targets(std::size_t i) const;

  /// The samples at `indices` (positions in this data set), sharing the storage; IndexError when
  /// one is out of range.
  Dataset subset(std::span<const std::size_t> indices) const;
  /// The same samples seen with another sample shape of equal size (e.g. [28,28] -> [784]);
  /// ShapeError when the sizes differ.
  Dataset reshaped(const Shape& sample_shape) const;

  /// Assembles the samples at `indices` into a batch: inputs become float, one contiguous copy
  /// per sample row, each value multiplied by `input_scale` when it is not 1 (uint8 values are
  /// converted, then scaled: the same bits as scaling the float batch afterwards). IndexError
  /// when an index is out of range.
  Batch gather(std::span<const std::size_t> indices, float input_scale = 1.0f) const;

 private:
  struct Storage {
    FeatureStorage features;
    std::vector<std::size_t> labels;
    std::size_t num_classes = 0;
    std::vector<float> targets;
    std::size_t target_dim = 0;
    std::size_t rows = 0;
    std::size_t row_numel = 0;
  };

  std::size_t rows() const { return storage_ ? storage_->rows : 0; }
  /// Storage row of sample `i`, bounds-checked.
  std::size_t row_of(std::size_t i, const char* what) const;

  std::shared_ptr<const Storage> storage_;
  Shape sample_shape_;
  std::vector<std::size_t> indices_;  // storage rows of a subset
  bool is_view_ = false;
};

}  // namespace axon::datasets
