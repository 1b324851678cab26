// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <functional>
#include <type_traits>
#include <utility>

#include "axon/autograd/tensor.hpp"
#include "axon/datasets/dataset.hpp"
#include "axon/nn/module.hpp"

/// The loss that fit, evaluate and the batch-parallel step take, and the model call they share.
namespace axon::train {

/// The loss of one shard: a 0-d tensor that must be the MEAN over the shard's samples (weighting
/// shards by their sample counts then gives the batch's mean loss). It is written in one of two
/// forms, and converts implicitly from either:
/// - of one output, `(const Tensor& output, const Batch& shard)`: the model's output for the
///   shard's inputs (the everyday case: classification, regression);
/// - of several outputs, `(const Tensors& outputs, const Batch& shard)`: everything the model's
///   many-tensor forward returned (nn::BasicModule::forward(const Tensors&)), e.g. a VAE's
///   `{reconstruction, mu, logvar}`.
///
/// ```
/// train::LossFunction elbo = [](const Tensors& out, const datasets::Batch& b) {
///   return reconstruction(out[0], b.inputs) + kl(out[1], out[2]);
/// };
/// ```
/// A callable that accepts both (a generic lambda) is taken as the one-output form.
template <class T>
class BasicLossFunction {
 public:
  using Tensor = autograd::BasicTensor<T>;  ///< the model's tensor type
  using Tensors = nn::BasicTensors<T>;      ///< the model's outputs, in order
  /// The one-output form.
  using OfOutput = std::function<Tensor(const Tensor& output, const datasets::Batch& shard)>;
  /// The several-outputs form.
  using OfOutputs = std::function<Tensor(const Tensors& outputs, const datasets::Batch& shard)>;

  /// No loss (evaluate then reports the metrics only).
  BasicLossFunction() = default;
  /// No loss.
  BasicLossFunction(std::nullptr_t) {}  // NOLINT: implicit, as std::function's
  /// A loss of either form (see the class comment); an empty std::function gives no loss.
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, BasicLossFunction> &&
           (std::is_invocable_r_v<Tensor, F&, const Tensor&, const datasets::Batch&> ||
            std::is_invocable_r_v<Tensor, F&, const Tensors&, const datasets::Batch&>))
      BasicLossFunction(F f) {  // NOLINT: implicit, so that a lambda is a loss
    if constexpr (std::is_invocable_r_v<Tensor, F&, const Tensor&, const datasets::Batch&>) {
      of_output_ = OfOutput(std::move(f));
    } else {
      of_outputs_ = OfOutputs(std::move(f));
    }
  }

  /// Whether there is a loss.
  explicit operator bool() const { return of_output_ || of_outputs_; }
  /// Whether the loss takes every output of the model (the several-outputs form).
  bool takes_outputs() const { return static_cast<bool>(of_outputs_); }

  /// The loss of one output (a several-outputs loss gets `{output}`). ValueError when empty.
  Tensor operator()(const Tensor& output, const datasets::Batch& shard) const;
  /// The loss of the model's outputs. ValueError when empty, or when the loss is of the
  /// one-output form and there is not exactly one output (the message names the count).
  Tensor operator()(const Tensors& outputs, const datasets::Batch& shard) const;

 private:
  OfOutput of_output_;
  OfOutputs of_outputs_;
};
using LossFunction = BasicLossFunction<float>;  ///< float32 elements

/// The model's outputs on a batch and the loss of them.
template <class T>
struct BasicForwardResult {
  /// Every output, in order; for a one-output call, that one.
  nn::BasicTensors<T> outputs;
  /// The loss (0-d); undefined when there is no loss.
  autograd::BasicTensor<T> loss;
  /// The first output: what metrics and predict read.
  const autograd::BasicTensor<T>& output() const { return outputs.front(); }
};
using ForwardResult = BasicForwardResult<float>;  ///< float32 elements

/// Runs `model` on `batch` (its inputs converted to T) through operator(), so hooks fire, and
/// then `loss` when it is not empty. The one-tensor call `model(batch.inputs)` is used when the
/// batch carries no extra_inputs and the loss takes one output; otherwise (and without a loss:
/// predict_outputs, evaluate of metrics only) the many-tensor call
/// `model({batch.inputs, batch.extra_inputs...})`, which gives every output. ValueError (naming
/// `who`, the model and the count) when the model returns no output.
template <class T>
BasicForwardResult<T> forward_with_loss(nn::BasicModule<T>& model, const BasicLossFunction<T>& loss,
                                        const datasets::Batch& batch, const char* who);

}  // namespace axon::train
