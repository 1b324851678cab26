// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "axon/nn/module.hpp"

namespace axon::nn {

/// A chain of modules applied in order: forward(x) = m_{n-1}(...m_1(m_0(x))). The children are
/// named "0", "1", ... so parameters read "0.weight", "2.bias". An empty Sequential is the
/// identity.
///
/// ```
/// Sequential net;
/// net.add<Linear>(784, 128, gen);   // built in place: Linear(LinearOptions(784, 128), gen)
/// net.add<ReLU>();
/// net.add<Linear>(128, 10, gen);
/// ```
/// A chain of already built modules also works: `Sequential{std::make_shared<ReLU>(), ...}`.
template <class T>
class BasicSequential : public BasicModule<T> {
 public:
  using Tensor = BasicTensor<T>;  ///< the tensor type of inputs, outputs and parameters
  using ModulePtr = std::shared_ptr<BasicModule<T>>;  ///< shared handle to a child module

  /// An empty chain.
  BasicSequential() = default;
  /// The given modules, in order.
  BasicSequential(std::initializer_list<ModulePtr> modules);
  /// The given modules, in order.
  explicit BasicSequential(const std::vector<ModulePtr>& modules);

  /// Appends a module (named by its position) and returns it with its own type.
  template <class M>
  std::shared_ptr<M> push_back(std::shared_ptr<M> module) {
    this->register_module(std::to_string(modules_.size()), module);
    modules_.push_back(module);
    return module;
  }
  /// Same as push_back.
  template <class M>
  std::shared_ptr<M> add(std::shared_ptr<M> module) {
    return push_back(std::move(module));
  }
  /// Builds an M in place from `args` (make_module: the constructor's arguments, or the options'
  /// arguments then the Generator), appends it and returns it: `add<Linear>(784, 64, gen)`.
  template <class M, class... Args>
  std::shared_ptr<M> add(Args&&... args) {
    return push_back(make_module<M>(std::forward<Args>(args)...));
  }

  /// Number of modules in the chain.
  std::size_t size() const { return modules_.size(); }
  /// Whether the chain is empty.
  bool empty() const { return modules_.empty(); }
  /// The module at `index`; IndexError when out of range.
  const ModulePtr& operator[](std::size_t index) const;
  /// The module at `index` with its own type; IndexError when out of range, ValueError when the
  /// module is not an M.
  template <class M>
  std::shared_ptr<M> at(std::size_t index) const {
    auto typed = std::dynamic_pointer_cast<M>((*this)[index]);
    if (!typed) {
      throw ValueError("Sequential: module " + std::to_string(index) + " is a " +
                       (*this)[index]->name() + ", not the requested type");
    }
    return typed;
  }
  /// Iteration over the children in order.
  typename std::vector<ModulePtr>::const_iterator begin() const { return modules_.begin(); }
  /// End of the children.
  typename std::vector<ModulePtr>::const_iterator end() const { return modules_.end(); }

  /// Applies the modules in order.
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "Sequential"; }

 private:
  std::vector<ModulePtr> modules_;
};

using Sequential = BasicSequential<float>;    ///< float32 elements
using SequentialD = BasicSequential<double>;  ///< float64 elements (gradient checks)

}  // namespace axon::nn
