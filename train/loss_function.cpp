// SPDX-License-Identifier: MIT
#include "axon/train/loss_function.hpp"

#include <string>

#include "axon/autograd/error.hpp"

namespace axon::train {

namespace {

template <class T>
autograd::BasicTensor<T> as_model_type(const autograd::Tensor& x) {
  if constexpr (std::is_same_v<T, float>) {
    return x;
  } else {
    return x.template to<T>();
  }
}

}  // namespace

template <class T>
auto BasicLossFunction<T>::operator()(const Tensor& output, const datasets::Batch& shard) const
    -> Tensor {
  if (of_output_) return of_output_(output, shard);
  if (of_outputs_) return of_outputs_(Tensors{output}, shard);
  throw ValueError("LossFunction: called without a loss (the function is empty)");
}

template <class T>
auto BasicLossFunction<T>::operator()(const Tensors& outputs, const datasets::Batch& shard) const
    -> Tensor {
  if (of_outputs_) return of_outputs_(outputs, shard);
  if (!of_output_) throw ValueError("LossFunction: called without a loss (the function is empty)");
  if (outputs.size() != 1) {
    throw ValueError("LossFunction: the loss takes one output, but the model returned " +
                     std::to_string(outputs.size()) +
                     " (write it as a function of (const Tensors& outputs, const Batch&))");
  }
  return of_output_(outputs[0], shard);
}

template <class T>
BasicForwardResult<T> forward_with_loss(nn::BasicModule<T>& model, const BasicLossFunction<T>& loss,
                                        const datasets::Batch& batch, const char* who) {
  BasicForwardResult<T> result;
  if (batch.extra_inputs.empty() && loss && !loss.takes_outputs()) {
    // One input and a loss of one output: the one-tensor call, as before there were two forms.
    result.outputs.push_back(model(as_model_type<T>(batch.inputs)));
    if (loss) result.loss = loss(result.outputs[0], batch);
    return result;
  }
  nn::BasicTensors<T> inputs;
  inputs.reserve(1 + batch.extra_inputs.size());
  inputs.push_back(as_model_type<T>(batch.inputs));
  for (const auto& extra : batch.extra_inputs) inputs.push_back(as_model_type<T>(extra));
  result.outputs = model(inputs);
  if (result.outputs.empty()) {
    throw ValueError(std::string(who) + ": " + model.name() + " returned no output for " +
                     std::to_string(inputs.size()) + " input(s)");
  }
  if (loss) result.loss = loss(result.outputs, batch);
  return result;
}

template class BasicLossFunction<float>;
template class BasicLossFunction<double>;
template BasicForwardResult<float> forward_with_loss(nn::BasicModule<float>&,
                                                     const BasicLossFunction<float>&,
                                                     const datasets::Batch&, const char*);
template BasicForwardResult<double> forward_with_loss(nn::BasicModule<double>&,
                                                      const BasicLossFunction<double>&,
                                                      const datasets::Batch&, const char*);

}  // namespace axon::train
