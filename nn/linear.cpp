// SPDX-License-Identifier: MIT
#include "axon/nn/linear.hpp"

#include <cmath>
#include <vector>

#include "axon/autograd/ops/linalg.hpp"
#include "axon/autograd/ops/shape.hpp"
#include "axon/nn/init.hpp"

namespace axon::nn {

template <class T>
BasicLinear<T>::BasicLinear(const LinearOptions& options, autograd::Generator& gen)
    : options_(options) {
  if (options_.in_features() == 0 || options_.out_features() == 0) {  // 1/sqrt(0) init bound
    throw ValueError("Linear: in_features and out_features must be at least 1 (got " +
                     std::to_string(options_.in_features()) + " and " +
                     std::to_string(options_.out_features()) + ")");
  }
  weight_ = &this->register_parameter(
      "weight", autograd::zeros<T>({options_.out_features(), options_.in_features()}));
  if (options_.bias()) {
    bias_ = &this->register_parameter("bias", autograd::zeros<T>({options_.out_features()}));
  }
  reset_parameters(gen);
}

template <class T>
void BasicLinear<T>::reset_parameters(autograd::Generator& gen) {
  if (weight_->numel() == 0) return;  // nothing to draw (and no fan to scale by)
  init::kaiming_uniform_(*weight_, gen, std::sqrt(5.0));
  if (bias_) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(options_.in_features()));
    init::uniform_(*bias_, gen, -bound, bound);
  }
}

template <class T>
auto BasicLinear<T>::forward(const Tensor& x) -> Tensor {
  const auto& shape = x.shape();
  if (x.dim() == 0 || shape[x.dim() - 1] != options_.in_features()) {
    throw ShapeError(name() + "(" + extra_repr() + "): input of shape " +
                     autograd::shape_str(shape) + " must end in in_features " +
                     std::to_string(options_.in_features()));
  }
  // The fused op reads [in], [N, in] and [B, T, in] in place (leading axes are rows).
  if (x.dim() <= 3) return autograd::linear(x, *weight_, bias());
  // Higher ranks: [..., in] -> [N, in] -> [N, out] -> [..., out]
  const long in = static_cast<long>(options_.in_features());
  Tensor y = autograd::linear(autograd::reshape(x, {-1, in}), *weight_, bias());
  std::vector<long> out_shape(shape.begin(), shape.end() - 1);
  out_shape.push_back(static_cast<long>(options_.out_features()));
  return autograd::reshape(y, out_shape);
}

template <class T>
std::string BasicLinear<T>::extra_repr() const {
  return "in_features=" + std::to_string(options_.in_features()) +
         ", out_features=" + std::to_string(options_.out_features()) +
         ", bias=" + (options_.bias() ? "true" : "false");
}

template class BasicLinear<float>;
template class BasicLinear<double>;

}  // namespace axon::nn
