// SPDX-License-Identifier: MIT
// Calling a module (nn/module.hpp): the defaults of the two forward forms, one-tensor and
// many-tensor, and the forward hooks that operator() runs around them. The rest of BasicModule
// (registration, traversal, state dicts, printing) is in nn/module.cpp.
#include <string>
#include <utility>
#include <vector>

#include "axon/nn/module.hpp"

namespace axon::nn {

// The defaults of the two forward forms call each other, so that a module overriding either
// one serves both. A module overriding neither would loop: each default records here the
// module and the argument it hands the other, and the other, seeing itself and its own argument
// recorded, knows that it was reached from the first default directly (not from an override)
// and throws. Per thread: shards of a batch-parallel step call one module from several threads
// at once.
namespace {
struct DefaultForwardCall {
  const void* module = nullptr;
  const void* argument = nullptr;
  bool operator==(const DefaultForwardCall&) const = default;
};
thread_local DefaultForwardCall default_forward_call;

/// Records (module, argument) for the lifetime of the object, restoring the previous record
/// after.
class DefaultForwardScope {
 public:
  DefaultForwardScope(const void* module, const void* argument) : previous_(default_forward_call) {
    default_forward_call = {module, argument};
  }
  ~DefaultForwardScope() { default_forward_call = previous_; }
  DefaultForwardScope(const DefaultForwardScope&) = delete;
  DefaultForwardScope& operator=(const DefaultForwardScope&) = delete;

 private:
  DefaultForwardCall previous_;
};
}  // namespace

template <class T>
auto BasicModule<T>::forward(const Tensor& x) -> Tensor {
  if (default_forward_call == DefaultForwardCall{this, &x}) {
    throw ValueError(name() + ": forward is not implemented; override forward(const Tensor&) " +
                     "or forward(const Tensors&) in the module (or call the module's own " +
                     "forward signature)");
  }
  const Tensors inputs{x};
  Tensors outputs;
  {
    DefaultForwardScope scope(this, &inputs);
    outputs = forward(inputs);
  }
  if (outputs.size() != 1) {
    throw ValueError(name() + ": forward returned " + std::to_string(outputs.size()) +
                     " outputs where one tensor was expected (call it with Tensors, module({x}), " +
                     "and give fit a loss taking the outputs as Tensors)");
  }
  return std::move(outputs[0]);
}

template <class T>
auto BasicModule<T>::forward(const Tensors& inputs) -> Tensors {
  if (inputs.size() != 1) {
    throw ValueError(name() + ": forward takes one input, got " + std::to_string(inputs.size()) +
                     " (override forward(const Tensors&) in the module to take several)");
  }
  if (default_forward_call == DefaultForwardCall{this, &inputs}) {
    throw ValueError(name() + ": forward is not implemented; override forward(const Tensor&) " +
                     "or forward(const Tensors&) in the module (or call the module's own " +
                     "forward signature)");
  }
  DefaultForwardScope scope(this, &inputs[0]);
  return {forward(inputs[0])};
}

// ---- forward hooks ----------------------------------------------------------------------------

// The hooks of one module, shared with the handles that can remove them (weakly: a handle that
// outlives its module removes nothing). Ids grow, so a removed hook's id is never reused.
// Each hook is of the one-tensor form (`one`) or the many-tensor form (`many`), the other empty.
template <class T>
struct BasicModule<T>::HookHandle::Registry {
  struct Pre {
    std::size_t id;
    ForwardPreHook one;
    ForwardPreHookMany many;
  };
  struct Post {
    std::size_t id;
    ForwardHook one;
    ForwardHookMany many;
  };
  std::vector<Pre> pre;
  std::vector<Post> post;
  std::size_t next_id = 1;
};

template <class T>
void BasicModule<T>::HookHandle::remove() {
  const auto registry = registry_.lock();
  if (!registry) return;
  std::erase_if(registry->pre, [&](const auto& e) { return e.id == id_; });
  std::erase_if(registry->post, [&](const auto& e) { return e.id == id_; });
  registry_.reset();
}

template <class T>
bool BasicModule<T>::HookHandle::active() const {
  const auto registry = registry_.lock();
  if (!registry) return false;
  const auto has = [&](const auto& list) {
    return std::any_of(list.begin(), list.end(), [&](const auto& e) { return e.id == id_; });
  };
  return has(registry->pre) || has(registry->post);
}

template <class T>
auto BasicModule<T>::add_pre_hook(ForwardPreHook hook) -> HookHandle {
  if (!hook) throw ValueError(name() + ".register_forward_pre_hook: the hook is empty");
  if (!hooks_) hooks_ = std::make_shared<typename HookHandle::Registry>();
  const std::size_t id = hooks_->next_id++;
  hooks_->pre.push_back({id, std::move(hook), {}});
  return HookHandle(hooks_, id);
}

template <class T>
auto BasicModule<T>::add_pre_hook(ForwardPreHookMany hook) -> HookHandle {
  if (!hook) throw ValueError(name() + ".register_forward_pre_hook: the hook is empty");
  if (!hooks_) hooks_ = std::make_shared<typename HookHandle::Registry>();
  const std::size_t id = hooks_->next_id++;
  hooks_->pre.push_back({id, {}, std::move(hook)});
  return HookHandle(hooks_, id);
}

template <class T>
auto BasicModule<T>::add_forward_hook(ForwardHook hook) -> HookHandle {
  if (!hook) throw ValueError(name() + ".register_forward_hook: the hook is empty");
  if (!hooks_) hooks_ = std::make_shared<typename HookHandle::Registry>();
  const std::size_t id = hooks_->next_id++;
  hooks_->post.push_back({id, std::move(hook), {}});
  return HookHandle(hooks_, id);
}

template <class T>
auto BasicModule<T>::add_forward_hook(ForwardHookMany hook) -> HookHandle {
  if (!hook) throw ValueError(name() + ".register_forward_hook: the hook is empty");
  if (!hooks_) hooks_ = std::make_shared<typename HookHandle::Registry>();
  const std::size_t id = hooks_->next_id++;
  hooks_->post.push_back({id, {}, std::move(hook)});
  return HookHandle(hooks_, id);
}

// The hook lists are copied before they run: a hook may register or remove hooks (its own
// included) while it runs; the change applies from the next call, as in PyTorch.

template <class T>
auto BasicModule<T>::run_pre_hooks(Tensors inputs) -> Tensors {
  const auto pre = hooks_->pre;
  for (const auto& hook : pre) {
    if (hook.many) {
      Tensors replaced = hook.many(*this, inputs);
      if (!replaced.empty()) inputs = std::move(replaced);
      continue;
    }
    if (inputs.size() != 1) {
      throw ValueError(name() + ": a forward pre-hook taking one tensor cannot see " +
                       std::to_string(inputs.size()) +
                       " inputs (register a hook taking const Tensors&)");
    }
    Tensor replaced = hook.one(*this, inputs[0]);
    if (replaced.defined()) inputs[0] = std::move(replaced);
  }
  return inputs;
}

template <class T>
auto BasicModule<T>::run_forward_hooks(const Tensors& inputs, Tensors outputs) -> Tensors {
  const auto post = hooks_->post;
  for (const auto& hook : post) {
    if (hook.many) {
      Tensors replaced = hook.many(*this, inputs, outputs);
      if (!replaced.empty()) outputs = std::move(replaced);
      continue;
    }
    if (inputs.size() != 1 || outputs.size() != 1) {
      throw ValueError(name() + ": a forward hook taking one tensor cannot see " +
                       std::to_string(inputs.size()) + " inputs and " +
                       std::to_string(outputs.size()) +
                       " outputs (register a hook taking const Tensors&)");
    }
    Tensor replaced = hook.one(*this, inputs[0], outputs[0]);
    if (replaced.defined()) outputs[0] = std::move(replaced);
  }
  return outputs;
}

template <class T>
auto BasicModule<T>::call_with_hooks(const Tensor& x) -> Tensor {
  const auto registry = hooks_;  // keeps the lists alive whatever the hooks do
  Tensors inputs = run_pre_hooks(Tensors{x});
  if (inputs.size() != 1) {
    throw ValueError(name() + ": a forward pre-hook turned the one input into " +
                     std::to_string(inputs.size()));
  }
  Tensors outputs = run_forward_hooks(inputs, Tensors{forward(inputs[0])});
  if (outputs.size() != 1) {
    throw ValueError(name() + ": a forward hook turned the one output into " +
                     std::to_string(outputs.size()));
  }
  return std::move(outputs[0]);
}

template <class T>
auto BasicModule<T>::call_with_hooks(const Tensors& x) -> Tensors {
  const auto registry = hooks_;
  Tensors inputs = run_pre_hooks(x);
  Tensors outputs = forward(inputs);
  return run_forward_hooks(inputs, std::move(outputs));
}

#define AXON_INSTANTIATE(T)                                                          \
  template auto BasicModule<T>::forward(const Tensor&)->Tensor;                      \
  template auto BasicModule<T>::forward(const Tensors&)->Tensors;                    \
  template void BasicModule<T>::HookHandle::remove();                                \
  template bool BasicModule<T>::HookHandle::active() const;                          \
  template auto BasicModule<T>::add_pre_hook(ForwardPreHook)->HookHandle;            \
  template auto BasicModule<T>::add_pre_hook(ForwardPreHookMany)->HookHandle;        \
  template auto BasicModule<T>::add_forward_hook(ForwardHook)->HookHandle;           \
  template auto BasicModule<T>::add_forward_hook(ForwardHookMany)->HookHandle;       \
  template auto BasicModule<T>::run_pre_hooks(Tensors)->Tensors;                     \
  template auto BasicModule<T>::run_forward_hooks(const Tensors&, Tensors)->Tensors; \
  template auto BasicModule<T>::call_with_hooks(const Tensor&)->Tensor;              \
  template auto BasicModule<T>::call_with_hooks(const Tensors&)->Tensors;
AXON_INSTANTIATE(float)
AXON_INSTANTIATE(double)
#undef AXON_INSTANTIATE

}  // namespace axon::nn
