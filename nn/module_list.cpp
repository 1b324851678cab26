// SPDX-License-Identifier: MIT
#include "axon/nn/module_list.hpp"

namespace axon::nn {

template <class T>
BasicModuleList<T>::BasicModuleList(const std::vector<ModulePtr>& modules) {
  for (const auto& m : modules) push_back(m);
}

template <class T>
auto BasicModuleList<T>::operator[](std::size_t index) const -> const ModulePtr& {
  if (index >= modules_.size()) {
    throw IndexError("ModuleList: index " + std::to_string(index) + " out of range for " +
                     std::to_string(modules_.size()) + " modules");
  }
  return modules_[index];
}

template class BasicModuleList<float>;
template class BasicModuleList<double>;

}  // namespace axon::nn
