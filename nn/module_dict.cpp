// SPDX-License-Identifier: MIT
#include "axon/nn/module_dict.hpp"

namespace axon::nn {

template <class T>
BasicModuleDict<T>::BasicModuleDict(const std::vector<std::pair<std::string, ModulePtr>>& items) {
  for (const auto& [key, module] : items) insert(key, module);
}

template <class T>
bool BasicModuleDict<T>::contains(const std::string& key) const {
  for (const auto& item : items_) {
    if (item.first == key) return true;
  }
  return false;
}

template <class T>
auto BasicModuleDict<T>::operator[](const std::string& key) const -> const ModulePtr& {
  for (const auto& item : items_) {
    if (item.first == key) return item.second;
  }
  std::string present;
  for (const auto& item : items_) present += (present.empty() ? "" : ", ") + item.first;
  throw ValueError("ModuleDict: no module '" + key + "' (keys: " + present + ")");
}

template <class T>
std::vector<std::string> BasicModuleDict<T>::keys() const {
  std::vector<std::string> out;
  for (const auto& item : items_) out.push_back(item.first);
  return out;
}

template class BasicModuleDict<float>;
template class BasicModuleDict<double>;

}  // namespace axon::nn
