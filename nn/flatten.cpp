// SPDX-License-Identifier: MIT
#include "axon/nn/flatten.hpp"

#include "axon/autograd/ops/shape.hpp"

namespace axon::nn {

template <class T>
BasicTensor<T> BasicFlatten<T>::forward(const BasicTensor<T>& x) {
  return autograd::flatten(x, start_axis_, end_axis_);
}

template class BasicFlatten<float>;
template class BasicFlatten<double>;

}  // namespace axon::nn
