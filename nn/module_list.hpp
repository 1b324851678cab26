// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "axon/nn/module.hpp"

namespace axon::nn {

/// An indexed list of child modules, as torch.nn.ModuleList: the children are registered under
/// "0", "1", ... (parameters read "0.weight"), but the list has no forward of its own; the owning
/// module decides how to call them.
///
/// ```
/// ModuleList blocks;
/// for (int i = 0; i < 3; ++i) blocks.push_back<Linear>(64, 64, gen);
/// for (const auto& block : blocks) x = relu((*block)(x));
/// ```
template <class T>
class BasicModuleList : public BasicModule<T> {
 public:
  using ModulePtr = std::shared_ptr<BasicModule<T>>;  ///< shared handle to a child module

  /// An empty list.
  BasicModuleList() = default;
  /// The given modules, in order.
  explicit BasicModuleList(const std::vector<ModulePtr>& modules);

  /// Appends a module (named by its position) and returns it with its own type.
  template <class M>
  std::shared_ptr<M> push_back(std::shared_ptr<M> module) {
    this->register_module(std::to_string(modules_.size()), module);
    modules_.push_back(module);
    return module;
  }
  /// Builds an M in place (make_module), appends it and returns it:
  /// `push_back<Linear>(64, 64, gen)`.
  template <class M, class... Args>
  std::shared_ptr<M> push_back(Args&&... args) {
    return push_back(make_module<M>(std::forward<Args>(args)...));
  }

  /// Number of modules.
  std::size_t size() const { return modules_.size(); }
  /// Whether the list is empty.
  bool empty() const { return modules_.empty(); }
  /// The module at `index`; IndexError when out of range.
  const ModulePtr& operator[](std::size_t index) const;
  /// The module at `index` with its own type; IndexError when out of range, ValueError when the
  /// module is not an M.
  template <class M>
  std::shared_ptr<M> at(std::size_t index) const {
    auto typed = std::dynamic_pointer_cast<M>((*this)[index]);
    if (!typed) {
      throw ValueError("ModuleList: module " + std::to_string(index) + " is a " +
                       (*this)[index]->name() + ", not the requested type");
    }
    return typed;
  }
  /// Iteration over the modules in order.
  typename std::vector<ModulePtr>::const_iterator begin() const { return modules_.begin(); }
  /// End of the modules.
  typename std::vector<ModulePtr>::const_iterator end() const { return modules_.end(); }

  std::string name() const override { return "ModuleList"; }

 private:
  std::vector<ModulePtr> modules_;
};

using ModuleList = BasicModuleList<float>;    ///< float32 elements
using ModuleListD = BasicModuleList<double>;  ///< float64 elements (gradient checks)

}  // namespace axon::nn
