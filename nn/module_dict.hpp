// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "axon/nn/module.hpp"

namespace axon::nn {

/// Child modules by name, in insertion order, as torch.nn.ModuleDict: each child is registered
/// under its key (parameters read "encoder.weight"); the dict has no forward of its own.
///
/// ```
/// ModuleDict heads;
/// heads.insert<Linear>("digit", 64, 10, gen);
/// heads.insert<Linear>("parity", 64, 2, gen);
/// Tensor logits = (*heads["digit"])(features);
/// ```
template <class T>
class BasicModuleDict : public BasicModule<T> {
 public:
  using ModulePtr = std::shared_ptr<BasicModule<T>>;  ///< shared handle to a child module

  /// An empty dict.
  BasicModuleDict() = default;
  /// The given (key, module) pairs, in order.
  explicit BasicModuleDict(const std::vector<std::pair<std::string, ModulePtr>>& items);

  /// Adds `module` under `key` and returns it with its own type; ValueError when the key is
  /// already present or is not a valid module name (empty, or containing '.').
  template <class M>
  std::shared_ptr<M> insert(const std::string& key, std::shared_ptr<M> module) {
    this->register_module(key, module);
    items_.emplace_back(key, module);
    return module;
  }
  /// Builds an M in place (make_module) under `key`: `insert<Linear>("head", 64, 10, gen)`.
  template <class M, class... Args>
  std::shared_ptr<M> insert(const std::string& key, Args&&... args) {
    return insert(key, make_module<M>(std::forward<Args>(args)...));
  }

  /// Number of modules.
  std::size_t size() const { return items_.size(); }
  /// Whether the dict is empty.
  bool empty() const { return items_.empty(); }
  /// Whether a module is stored under `key`.
  bool contains(const std::string& key) const;
  /// The module under `key`; ValueError naming the key and the keys present when absent.
  const ModulePtr& operator[](const std::string& key) const;
  /// The module under `key` with its own type; ValueError when absent or not an M.
  template <class M>
  std::shared_ptr<M> at(const std::string& key) const {
    auto typed = std::dynamic_pointer_cast<M>((*this)[key]);
    if (!typed) {
      throw ValueError("ModuleDict: module '" + key + "' is a " + (*this)[key]->name() +
                       ", not the requested type");
    }
    return typed;
  }
  /// The keys in insertion order.
  std::vector<std::string> keys() const;
  /// Iteration over (key, module) pairs in insertion order.
  typename std::vector<std::pair<std::string, ModulePtr>>::const_iterator begin() const {
    return items_.begin();
  }
  /// End of the (name, module) pairs.
  typename std::vector<std::pair<std::string, ModulePtr>>::const_iterator end() const {
    return items_.end();
  }

  std::string name() const override { return "ModuleDict"; }

 private:
  std::vector<std::pair<std::string, ModulePtr>> items_;
};

using ModuleDict = BasicModuleDict<float>;    ///< float32 elements
using ModuleDictD = BasicModuleDict<double>;  ///< float64 elements (gradient checks)

}  // namespace axon::nn
