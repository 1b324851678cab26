// SPDX-License-Identifier: MIT
#include "axon/nn/sequential.hpp"

namespace axon::nn {

template <class T>
BasicSequential<T>::BasicSequential(std::initializer_list<ModulePtr> modules) {
  for (const auto& m : modules) push_back(m);
}

template <class T>
BasicSequential<T>::BasicSequential(const std::vector<ModulePtr>& modules) {
  for (const auto& m : modules) push_back(m);
}

template <class T>
auto BasicSequential<T>::operator[](std::size_t index) const -> const ModulePtr& {
  if (index >= modules_.size()) {
    throw IndexError("Sequential: index " + std::to_string(index) + " out of range for " +
                     std::to_string(modules_.size()) + " modules");
  }
  return modules_[index];
}

template <class T>
auto BasicSequential<T>::forward(const Tensor& x) -> Tensor {
  Tensor y = x;
  for (const auto& m : modules_) y = (*m)(y);
  return y;
}

template class BasicSequential<float>;
template class BasicSequential<double>;

}  // namespace axon::nn
