// SPDX-License-Identifier: MIT
#include "axon/datasets/transforms.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "axon/autograd/error.hpp"
#include "axon/autograd/parallel_for.hpp"

namespace axon::datasets {

void ScaleInputs::operator()(Batch& batch) const {
  float* x = batch.inputs.mutable_data_ptr();
  const std::size_t n = batch.inputs.numel();
  const float f = factor;
  autograd::parallel_chunks(n, autograd::elementwise_grain(), [=](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) x[i] *= f;
  });
}

BatchTransform scale(float factor) {
  return ScaleInputs{factor};
}

BatchTransform scale_to_unit() {
  return scale(1.0f / 255.0f);
}

Tensor one_hot(const std::vector<std::size_t>& labels, std::size_t num_classes) {
  if (num_classes == 0) throw ValueError("one_hot: num_classes must be at least 1 (got 0)");
  xt::xarray<float> out = xt::zeros<float>({labels.size(), num_classes});
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] >= num_classes) {
      throw IndexError("one_hot: label " + std::to_string(labels[i]) + " at position " +
                       std::to_string(i) + " is not below num_classes " +
                       std::to_string(num_classes));
    }
    out(i, labels[i]) = 1.0f;
  }
  return Tensor(std::move(out));
}

BatchTransform one_hot_targets(std::size_t num_classes) {
  return [num_classes](Batch& batch) { batch.targets = one_hot(batch.labels, num_classes); };
}

namespace {

/// Calls fn(row pointer) for every sample's values of `field` as float.
template <class F>
void for_each_row(const Dataset& data, Standardizer::Field field, F&& fn) {
  if (field == Standardizer::Field::Targets) {
    for (std::size_t i = 0; i < data.size(); ++i) fn(data.row_targets(i));
  } else if (data.is_uint8()) {
    std::vector<float> row(data.sample_numel());
    for (std::size_t i = 0; i < data.size(); ++i) {
      const std::uint8_t* src = data.row_uint8(i);
      for (std::size_t k = 0; k < row.size(); ++k) row[k] = static_cast<float>(src[k]);
      fn(row.data());
    }
  } else {
    for (std::size_t i = 0; i < data.size(); ++i) fn(data.row_float(i));
  }
}

}  // namespace

Standardizer& Standardizer::fit(const Dataset& train) {
  if (train.size() == 0) throw ValueError("Standardizer::fit: empty data set");
  if (field_ == Field::Targets && !train.has_targets()) {
    throw ValueError("Standardizer::fit: the data set has no targets");
  }
  const std::size_t features = field_ == Field::Targets ? train.target_dim() : train.sample_numel();
  const std::size_t groups = scope_ == Scope::Global ? 1 : features;
  // A group's count: all values for Global, one per row for PerFeature.
  const double count = static_cast<double>(train.size() * (features / groups));
  auto group = [&](std::size_t k) { return scope_ == Scope::Global ? 0 : k; };

  std::vector<double> mean(groups, 0.0), var(groups, 0.0);
  for_each_row(train, field_, [&](const float* row) {
    for (std::size_t k = 0; k < features; ++k) mean[group(k)] += row[k];
  });
  for (double& m : mean) m /= count;
  // Second pass around the mean: no cancellation for large-valued features.
  for_each_row(train, field_, [&](const float* row) {
    for (std::size_t k = 0; k < features; ++k) {
      const double d = row[k] - mean[group(k)];
      var[group(k)] += d * d;
    }
  });
  stddev_.assign(groups, 1.0);
  for (std::size_t g = 0; g < groups; ++g) {
    const double sd = std::sqrt(var[g] / count);
    if (sd > 1e-12 * std::max(1.0, std::abs(mean[g]))) stddev_[g] = sd;
  }
  mean_ = std::move(mean);
  features_ = features;
  return *this;
}

void Standardizer::check(const Tensor& values, const char* op) const {
  if (!fitted()) throw ValueError(std::string("Standardizer::") + op + ": call fit() first");
  if (!values.defined()) {
    throw ValueError(std::string("Standardizer::") + op +
                     ": no values to standardise (fitted on targets, given a batch without any?)");
  }
  const std::size_t rows = values.dim() == 0 ? 0 : values.shape()[0];
  if (values.dim() == 0 || rows * features_ != values.numel()) {
    throw ShapeError(std::string("Standardizer::") + op + ": values of shape " +
                     autograd::shape_str(values.shape()) + " do not have " +
                     std::to_string(features_) + " features per row");
  }
}

void Standardizer::transform(Tensor& values) const {
  check(values, "transform");
  const std::size_t groups = mean_.size();
  std::vector<float> shift(groups), factor(groups);
  for (std::size_t g = 0; g < groups; ++g) {
    shift[g] = static_cast<float>(mean_[g]);
    factor[g] = static_cast<float>(1.0 / stddev_[g]);
  }
  float* x = values.mutable_data_ptr();
  const std::size_t rows = values.numel() / features_;
  for (std::size_t r = 0; r < rows; ++r, x += features_) {
    for (std::size_t k = 0; k < features_; ++k) {
      const std::size_t g = groups == 1 ? 0 : k;
      x[k] = (x[k] - shift[g]) * factor[g];
    }
  }
}

void Standardizer::inverse_transform(Tensor& values) const {
  check(values, "inverse_transform");
  const std::size_t groups = mean_.size();
  float* x = values.mutable_data_ptr();
  const std::size_t rows = values.numel() / features_;
  for (std::size_t r = 0; r < rows; ++r, x += features_) {
    for (std::size_t k = 0; k < features_; ++k) {
      const std::size_t g = groups == 1 ? 0 : k;
      x[k] = static_cast<float>(x[k] * stddev_[g] + mean_[g]);
    }
  }
}

void Standardizer::operator()(Batch& batch) const {
  transform(field_ == Field::Targets ? batch.targets : batch.inputs);
}

}  // namespace axon::datasets
