// SPDX-License-Identifier: MIT
#include "axon/nn/ensemble.hpp"

#include "axon/autograd/ops/elementwise.hpp"
#include "axon/autograd/ops/softmax.hpp"
#include "axon/autograd/shape.hpp"

namespace axon::nn {

template <class T>
BasicEnsemble<T>::BasicEnsemble(std::vector<ModulePtr> members, EnsembleMode mode)
    : members_(std::move(members)), mode_(mode) {
  if (members_.empty()) throw ValueError("Ensemble: needs at least one member");
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (!members_[i]) throw ValueError("Ensemble: member " + std::to_string(i) + " is null");
    this->register_module(std::to_string(i), members_[i]);
  }
}

template <class T>
BasicTensor<T> BasicEnsemble<T>::forward(const Tensor& x) {
  // sum_m f_m(x) (or softmax(f_m(x)) over the classes), then / M.  [B, C] per member
  Tensor sum;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    Tensor out = (*members_[i])(x);
    if (mode_ == EnsembleMode::kProbabilities) out = autograd::softmax(out, -1);
    if (i > 0 && out.shape() != sum.shape()) {
      throw ShapeError("Ensemble: member " + std::to_string(i) + " gives " +
                       autograd::shape_str(out.shape()) + ", member 0 gives " +
                       autograd::shape_str(sum.shape()));
    }
    sum = i == 0 ? out : autograd::add(sum, out);
  }
  Tensor mean = autograd::mul(sum, static_cast<T>(1.0 / static_cast<double>(members_.size())));
  if (mode_ == EnsembleMode::kMean) return mean;
  // A probability that underflowed to 0 would give -inf; adding 1e-30 keeps it finite and
  // leaves every probability above about 1e-23 unchanged in float.
  return autograd::log(autograd::add(mean, static_cast<T>(1e-30)));
}

template class BasicEnsemble<float>;
template class BasicEnsemble<double>;

}  // namespace axon::nn
