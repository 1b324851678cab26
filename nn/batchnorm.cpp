// SPDX-License-Identifier: MIT
// BatchNorm1d/2d: checks the input, picks batch or running statistics by mode, and lets only the
// primary shard of a batch-parallel step update the running buffers.
#include "axon/nn/batchnorm.hpp"

#include <algorithm>
#include <sstream>

#include "axon/autograd/error.hpp"
#include "axon/autograd/ops/normalization.hpp"
#include "axon/autograd/shard.hpp"
#include "axon/nn/init.hpp"

namespace axon::nn {

template <class T>
BasicBatchNorm<T>::BasicBatchNorm(const BatchNormOptions& options, std::string name,
                                  bool (*rank_ok)(std::size_t), std::string expected)
    : options_(options), name_(std::move(name)), rank_ok_(rank_ok), expected_(std::move(expected)) {
  if (options_.num_features() == 0) throw ValueError(name_ + ": num_features must be at least 1");
  if (!(options_.eps() > 0.0)) throw ValueError(name_ + "(" + extra_repr() + "): eps must be > 0");
  if (options_.momentum() && !(*options_.momentum() >= 0.0 && *options_.momentum() <= 1.0)) {
    throw ValueError(name_ + "(" + extra_repr() + "): momentum must be in [0, 1]");
  }
  const std::size_t c = options_.num_features();
  if (options_.affine()) {
    weight_ = &this->register_parameter("weight", autograd::ones<T>({c}));
    bias_ = &this->register_parameter("bias", autograd::zeros<T>({c}));
  }
  if (options_.track_running_stats()) {
    running_mean_ = &this->register_buffer("running_mean", autograd::zeros<T>({c}));
    running_var_ = &this->register_buffer("running_var", autograd::ones<T>({c}));
    tracked_ = &this->register_buffer("num_batches_tracked", autograd::scalar<T>(T(0)));
  }
}

template <class T>
void BasicBatchNorm<T>::reset_running_stats() {
  if (!running_mean_) return;
  init::zeros_(*running_mean_);
  init::ones_(*running_var_);
  init::zeros_(*tracked_);
}

template <class T>
void BasicBatchNorm<T>::reset_parameters() {
  reset_running_stats();
  if (weight_) {
    init::ones_(*weight_);
    init::zeros_(*bias_);
  }
}

template <class T>
auto BasicBatchNorm<T>::forward(const Tensor& x) -> Tensor {
  if (!rank_ok_(x.dim()) || x.shape()[1] != options_.num_features()) {
    throw ShapeError(name_ + "(" + extra_repr() + "): input " + autograd::shape_str(x.shape()) +
                     ": expected " + expected_ +
                     " with C = " + std::to_string(options_.num_features()));
  }
  const double eps = options_.eps();
  const bool batch_stats = this->is_training() || !running_mean_;
  if (batch_stats && x.numel() / std::max<std::size_t>(x.shape()[1], 1) <= 1) {
    // Under batch-parallel training, say which shard: a batch of k * shard_size + 1 samples
    // leaves one sample for its last shard.
    const autograd::ShardInfo* shard = autograd::current_shard();
    throw ValueError(
        name_ + "(" + extra_repr() + "): input " + autograd::shape_str(x.shape()) +
        ": expected more than 1 value per channel when training" +
        (shard ? " (shard " + std::to_string(shard->index) + " of " + std::to_string(shard->count) +
                     " of a batch-parallel step holds one sample: drop the last batch or pick a "
                     "batch size that is not 1 more than a multiple of the shard size)"
               : std::string()));
  }
  if (!running_mean_) {  // no running statistics: the batch's, in both modes
    return autograd::batch_norm(x, weight(), bias(), none_, none_, true, 0.0, eps);
  }
  if (!this->is_training()) {
    return autograd::batch_norm(x, weight(), bias(), *running_mean_, *running_var_, false, 0.0,
                                eps);
  }
  if (!autograd::is_primary_shard()) {
    // Another shard of a batch-parallel step: its own statistics, buffers untouched.
    return autograd::batch_norm(x, weight(), bias(), none_, none_, true, 0.0, eps);
  }
  T& count = tracked_->mutable_data_ptr()[0];
  const double momentum = options_.momentum() ? *options_.momentum() : 1.0 / (double(count) + 1.0);
  Tensor y =
      autograd::batch_norm(x, weight(), bias(), *running_mean_, *running_var_, true, momentum, eps);
  count += T(1);  // after the op: a forward that throws counts nothing
  return y;
}

template <class T>
std::string BasicBatchNorm<T>::extra_repr() const {
  std::ostringstream os;
  os << options_.num_features() << ", eps=" << options_.eps() << ", momentum=";
  if (options_.momentum()) {
    os << *options_.momentum();
  } else {
    os << "None";
  }
  os << ", affine=" << (options_.affine() ? "true" : "false")
     << ", track_running_stats=" << (options_.track_running_stats() ? "true" : "false");
  return os.str();
}

namespace {
bool rank_1d(std::size_t rank) {
  return rank == 2 || rank == 3;
}
bool rank_2d(std::size_t rank) {
  return rank == 4;
}
}  // namespace

template <class T>
BasicBatchNorm1d<T>::BasicBatchNorm1d(const BatchNormOptions& options)
    : BasicBatchNorm<T>(options, "BatchNorm1d", rank_1d, "[N,C] or [N,C,L]") {}

template <class T>
BasicBatchNorm2d<T>::BasicBatchNorm2d(const BatchNormOptions& options)
    : BasicBatchNorm<T>(options, "BatchNorm2d", rank_2d, "[N,C,H,W]") {}

template class BasicBatchNorm<float>;
template class BasicBatchNorm<double>;
template class BasicBatchNorm1d<float>;
template class BasicBatchNorm1d<double>;
template class BasicBatchNorm2d<float>;
template class BasicBatchNorm2d<double>;

}  // namespace axon::nn
