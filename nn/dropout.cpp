// SPDX-License-Identifier: MIT
#include "axon/nn/dropout.hpp"

#include <sstream>

#include "axon/autograd/ops/elementwise.hpp"

namespace axon::nn {

template <class T>
BasicDropout<T>::BasicDropout(const DropoutOptions& options)
    : options_(options), gen_(options.seed()) {
  if (!(options.p() >= 0.0 && options.p() < 1.0)) {
    std::ostringstream os;
    os << "Dropout: p must be in [0, 1), got " << options.p();
    throw ValueError(os.str());
  }
}

template <class T>
BasicTensor<T> BasicDropout<T>::forward(const BasicTensor<T>& x) {
  const double p = options_.p();
  if (!this->is_training() || p == 0.0) return x;
  // mask = 0 with probability p, else 1 / (1 - p); a constant, so dx = g * mask.
  const T keep_scale = static_cast<T>(1.0 / (1.0 - p));
  // A batch-parallel shard's scoped generator takes precedence over the layer's own.
  autograd::Generator* scoped = autograd::scoped_generator();
  autograd::Generator& gen = scoped ? *scoped : gen_;
  xt::xarray<T> mask = xt::xarray<T>::from_shape(x.shape());
  for (auto& m : mask) m = gen.uniform() < p ? T(0) : keep_scale;
  return autograd::mul(x, BasicTensor<T>(std::move(mask)));
}

template <class T>
std::string BasicDropout<T>::extra_repr() const {
  std::ostringstream os;
  os << "p=" << options_.p();
  return os.str();
}

template class BasicDropout<float>;
template class BasicDropout<double>;

}  // namespace axon::nn
