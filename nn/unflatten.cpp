// SPDX-License-Identifier: MIT
// Unflatten: one reshape (autograd::reshape) of the input's shape with one axis split.
#include "axon/nn/unflatten.hpp"

#include "axon/autograd/ops/shape.hpp"

namespace axon::nn {

template <class T>
BasicTensor<T> BasicUnflatten<T>::forward(const BasicTensor<T>& x) {
  const std::string what = name() + "(" + extra_repr() + ")";
  const std::size_t axis = [&] {
    try {
      return autograd::normalize_axis(axis_, x.dim(), "Unflatten");
    } catch (const ValueError& e) {
      throw ValueError(what + ": input " + autograd::shape_str(x.shape()) + ": " + e.what());
    }
  }();
  std::vector<long> shape;
  for (std::size_t d = 0; d < x.dim(); ++d) {
    if (d == axis) {
      shape.insert(shape.end(), shape_.begin(), shape_.end());
    } else {
      shape.push_back(static_cast<long>(x.shape()[d]));
    }
  }
  long known = 1;
  bool inferred = false;
  for (long v : shape_) v == -1 ? void(inferred = true) : void(known *= v);
  const auto extent = static_cast<long>(x.shape()[axis]);
  if (inferred ? (known == 0 || extent % known != 0) : known != extent) {
    throw ShapeError(what + ": input " + autograd::shape_str(x.shape()) + ": axis " +
                     std::to_string(axis) + " of extent " + std::to_string(extent) +
                     " cannot be split into " + autograd::list_str(shape_, ", "));
  }
  return autograd::reshape(x, shape);
}

template <class T>
std::string BasicUnflatten<T>::extra_repr() const {
  return "axis=" + std::to_string(axis_) + ", shape=" + autograd::list_str(shape_, ", ");
}

template class BasicUnflatten<float>;
template class BasicUnflatten<double>;

}  // namespace axon::nn
