// SPDX-License-Identifier: MIT
// BatchNorm1d and BatchNorm2d: batch normalisation layers with PyTorch's parameters, buffers and
// state-dict names, and a rule for running statistics under batch-parallel training.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "axon/autograd/arg.hpp"
#include "axon/nn/module.hpp"

namespace axon::nn {

/// Options of BatchNorm1d/2d: `BatchNorm1d(BatchNormOptions(64).momentum(0.01))`.
class BatchNormOptions {
 public:
  /// A layer normalising `num_features` channels (C of [N,C], [N,C,L] or [N,C,H,W]).
  BatchNormOptions(std::size_t num_features) : num_features_(num_features) {}  // NOLINT

  /// Channels (C of [N,C], [N,C,L] or [N,C,H,W]).
  AXON_ARG(std::size_t, num_features);
  /// Added to the variance (default 1e-5).
  AXON_ARG(double, eps) = 1e-5;
  /// Running-stat update weight; nullopt: cumulative.
  AXON_ARG(std::optional<double>, momentum) = 0.1;
  /// Learnt per-channel weight and bias (default yes).
  AXON_ARG(bool, affine) = true;
  /// Keep running statistics for eval (default yes).
  AXON_ARG(bool, track_running_stats) = true;
};

/// Batch normalisation over channel axis 1 (autograd::batch_norm), as torch.nn.BatchNorm1d/2d.
///
/// Parameters "weight" (ones) and "bias" (zeros), [C], when affine. Buffers "running_mean"
/// (zeros), "running_var" (ones), [C], and "num_batches_tracked" (0-d, counts training forwards;
/// stored as T, not int64) when track_running_stats. train(): normalise with the batch's
/// statistics and update the running ones (r = (1 - momentum) r + momentum s, unbiased variance;
/// with momentum nullopt, the cumulative average, momentum = 1 / num_batches_tracked). eval():
/// normalise with the running statistics. Without track_running_stats the batch's statistics are
/// used in both modes.
///
/// Batch-parallel training (train::ShardedStep): each shard normalises with its own shard's
/// statistics, and only the primary shard (autograd::is_primary_shard(), the batch's first
/// shard) updates the buffers; the other shards do not touch them. The buffers thus follow the
/// first shard of each batch, as PyTorch's DataParallel keeps replica 0's, and are bitwise the
/// same for any thread count, with no data race.
template <class T>
class BasicBatchNorm : public BasicModule<T> {
 public:
  using Tensor = BasicTensor<T>;  ///< the tensor type of inputs, outputs and parameters

  Tensor forward(const Tensor& x) override;
  std::string name() const override { return name_; }
  std::string extra_repr() const override;

  /// Running mean to 0, running variance to 1, num_batches_tracked to 0.
  void reset_running_stats();
  /// reset_running_stats(), weight to 1, bias to 0.
  void reset_parameters();

  /// The options the layer was built with.
  const BatchNormOptions& options() const { return options_; }
  /// Weight and bias [C]; undefined without affine.
  const Tensor& weight() const { return weight_ ? *weight_ : none_; }
  /// Bias [C]; undefined without affine.
  const Tensor& bias() const { return bias_ ? *bias_ : none_; }
  /// Running statistics [C] and the count of training forwards; undefined without tracking.
  const Tensor& running_mean() const { return running_mean_ ? *running_mean_ : none_; }
  /// Running variance [C]; undefined without tracking.
  const Tensor& running_var() const { return running_var_ ? *running_var_ : none_; }
  /// Training forwards so far, 0-d; undefined without tracking.
  const Tensor& num_batches_tracked() const { return tracked_ ? *tracked_ : none_; }

 protected:
  /// `rank_ok(rank)` says which input ranks the layer takes; `expected` describes them.
  BasicBatchNorm(const BatchNormOptions& options, std::string name, bool (*rank_ok)(std::size_t),
                 std::string expected);

 private:
  BatchNormOptions options_;
  std::string name_;
  bool (*rank_ok_)(std::size_t);
  std::string expected_;
  Tensor* weight_ = nullptr;  // stored in the module's registry
  Tensor* bias_ = nullptr;
  Tensor* running_mean_ = nullptr;
  Tensor* running_var_ = nullptr;
  Tensor* tracked_ = nullptr;
  Tensor none_;
};

/// Batch normalisation of [N,C] or [N,C,L] inputs (torch.nn.BatchNorm1d).
template <class T>
class BasicBatchNorm1d : public BasicBatchNorm<T> {
 public:
  using Options = BatchNormOptions;  ///< the options class this is built from
  /// Validates `options` (ValueError for 0 features, eps <= 0 or momentum outside [0, 1]).
  explicit BasicBatchNorm1d(const BatchNormOptions& options);
};

/// Batch normalisation of [N,C,H,W] inputs (torch.nn.BatchNorm2d).
template <class T>
class BasicBatchNorm2d : public BasicBatchNorm<T> {
 public:
  using Options = BatchNormOptions;  ///< the options class this is built from
  /// Validates `options` (ValueError for 0 features, eps <= 0 or momentum outside [0, 1]).
  explicit BasicBatchNorm2d(const BatchNormOptions& options);
};

using BatchNorm1d = BasicBatchNorm1d<float>;    ///< float32 elements
using BatchNorm1dD = BasicBatchNorm1d<double>;  ///< float64 elements (gradient checks)
using BatchNorm2d = BasicBatchNorm2d<float>;    ///< float32 elements
using BatchNorm2dD = BasicBatchNorm2d<double>;  ///< float64 elements (gradient checks)

}  // namespace axon::nn
