// SPDX-License-Identifier: MIT
// LayerNorm: parameters of shape normalized_shape, the input check naming the layer, and the
// fused autograd::layer_norm.
#include "axon/nn/layernorm.hpp"

#include <sstream>

#include "axon/autograd/error.hpp"
#include "axon/autograd/ops/normalization.hpp"
#include "axon/nn/init.hpp"

namespace axon::nn {

template <class T>
BasicLayerNorm<T>::BasicLayerNorm(const LayerNormOptions& options) : options_(options) {
  const autograd::Shape shape(options_.normalized_shape().begin(),
                              options_.normalized_shape().end());
  if (shape.empty()) throw ValueError("LayerNorm: normalized_shape is empty");
  if (autograd::shape_numel(shape) == 0) {  // the mean over no element divides by zero
    throw ValueError("LayerNorm: normalized_shape " + autograd::shape_str(shape) +
                     " has an extent 0");
  }
  if (!(options_.eps() > 0.0)) throw ValueError("LayerNorm(" + extra_repr() + "): eps must be > 0");
  if (options_.elementwise_affine()) {
    weight_ = &this->register_parameter("weight", autograd::ones<T>(shape));
    bias_ = &this->register_parameter("bias", autograd::zeros<T>(shape));
  }
}

template <class T>
void BasicLayerNorm<T>::reset_parameters() {
  if (!weight_) return;
  init::ones_(*weight_);
  init::zeros_(*bias_);
}

template <class T>
auto BasicLayerNorm<T>::forward(const Tensor& x) -> Tensor {
  const auto& norm = options_.normalized_shape();
  const auto& shape = x.shape();
  bool ends_with = norm.size() <= shape.size();
  for (std::size_t i = 0; ends_with && i < norm.size(); ++i) {
    ends_with = shape[shape.size() - norm.size() + i] == norm[i];
  }
  if (!ends_with) {
    throw ShapeError("LayerNorm(" + extra_repr() + "): input " + autograd::shape_str(shape) +
                     " does not end with normalized_shape");
  }
  return autograd::layer_norm(x, norm, weight(), bias(), options_.eps());
}

template <class T>
std::string BasicLayerNorm<T>::extra_repr() const {
  std::ostringstream os;
  os << "(";
  for (std::size_t i = 0; i < options_.normalized_shape().size(); ++i) {
    os << (i ? ", " : "") << options_.normalized_shape()[i];
  }
  os << (options_.normalized_shape().size() == 1 ? ",)" : ")") << ", eps=" << options_.eps()
     << ", elementwise_affine=" << (options_.elementwise_affine() ? "true" : "false");
  return os.str();
}

template class BasicLayerNorm<float>;
template class BasicLayerNorm<double>;

}  // namespace axon::nn
