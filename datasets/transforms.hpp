// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <vector>

#include "axon/datasets/dataloader.hpp"
#include "axon/datasets/dataset.hpp"

/// Batch transforms: scaling, standardisation with training-set statistics, one-hot labels.
namespace axon::datasets {

/// The transform scale() returns: multiplies the inputs by `factor`. When it is a DataLoader's
/// first transform, the loader fuses it into batch assembly (one pass converting uint8 to float
/// and scaling, same bits as two passes; see DataLoader::transform).
struct ScaleInputs {
  float factor = 1.0f;  ///< multiplier of every input value
  /// Scales `batch.inputs` in place.
  void operator()(Batch& batch) const;
};

/// Multiplies the inputs by `factor` (a ScaleInputs).
BatchTransform scale(float factor);
/// Maps uint8 pixel values 0..255 to [0, 1] (scale by 1/255).
BatchTransform scale_to_unit();

/// A [labels.size(), num_classes] float tensor with a 1 at each label; IndexError when a label
/// is >= num_classes.
Tensor one_hot(const std::vector<std::size_t>& labels, std::size_t num_classes);
/// Sets batch.targets to one_hot(batch.labels, num_classes).
BatchTransform one_hot_targets(std::size_t num_classes);

/// Standardisation x' = (x - mean) / stddev, with statistics fitted on the training set only
/// and then applied unchanged to validation and test batches. The standard deviation is the
/// population one (ddof 0); a constant feature gets stddev 1 so it maps to 0.
class Standardizer {
 public:
  /// One mean/stddev per feature value, or one pair for all values (e.g. for images).
  enum class Scope { PerFeature, Global };
  /// Which part of a batch the statistics describe.
  enum class Field { Inputs, Targets };

  /// A standardizer with `scope` and `field`; fit() it before use.
  explicit Standardizer(Scope scope = Scope::PerFeature, Field field = Field::Inputs)
      : scope_(scope), field_(field) {}

  /// Computes the statistics from every sample of `train` (two passes, in double). Returns *this.
  /// ValueError on an empty data set or, for Field::Targets, one without targets.
  Standardizer& fit(const Dataset& train);
  /// Whether fit() has run.
  bool fitted() const { return !mean_.empty(); }

  /// Standardises `values` of shape [B, features...] in place; ShapeError when a row does not
  /// have the fitted number of features, ValueError before fit().
  void transform(Tensor& values) const;
  /// Undoes transform() in place (e.g. to report predicted targets in their units).
  void inverse_transform(Tensor& values) const;
  /// Standardises the batch's inputs or targets (the fitted field): a BatchTransform.
  void operator()(Batch& batch) const;

  /// Fitted means (one per feature, or one for Scope::Global).
  const std::vector<double>& mean() const { return mean_; }
  /// Fitted standard deviations, constant features reported as 1.
  const std::vector<double>& stddev() const { return stddev_; }

 private:
  void check(const Tensor& values, const char* op) const;

  Scope scope_;
  Field field_;
  std::size_t features_ = 0;  // values per row the statistics were fitted on
  std::vector<double> mean_, stddev_;
};

}  // namespace axon::datasets
