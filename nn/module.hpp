// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "axon/autograd/random.hpp"
#include "axon/autograd/tensor.hpp"

/// Modules: the building blocks of models. A module owns named parameters (trainable tensors),
/// named buffers (non-trainable state such as running statistics) and named child modules, so
/// every tensor of a model has a dotted name (`fc1.weight`, `0.bias`, `block.norm.running_mean`)
/// used by state_dict() and checkpoints.
namespace axon::nn {

using autograd::BasicTensor;

/// The inputs or the outputs of a module's many-tensor forward, in order: `{x, mask}` in,
/// `{reconstruction, mu, logvar}` out.
template <class T>
using BasicTensors = std::vector<BasicTensor<T>>;
using Tensors = BasicTensors<float>;  ///< float32 elements

/// An ordered list of (dotted name, tensor): what state_dict() returns and load_state_dict() reads.
template <class T>
using StateDict = std::vector<std::pair<std::string, BasicTensor<T>>>;

/// The base of every layer and model. Templated on the scalar type so that whole layers can be
/// gradient-checked in double; `Module` (float) is the everyday type.
///
/// A user's own module is a plain class deriving from BasicModule<T>: register its parameters
/// and children in the constructor and override forward(). Keep the reference (or a pointer to
/// it) that register_parameter() returns and read the parameter through it in forward(): the
/// registry owns the handle, so tools that rebind parameters (gradcheck_module) reach every use.
///
/// train()/eval() switch layer behaviour only (dropout, batch norm), never gradient recording
/// (use autograd::NoGradGuard for that). Modules are neither copyable nor movable: hold them by
/// value where they are built or by std::shared_ptr.
template <class T>
class BasicModule {
 public:
  using Tensor = BasicTensor<T>;    ///< the tensor type of inputs, outputs and parameters
  using Tensors = BasicTensors<T>;  ///< several inputs or outputs (the many-tensor forward)
  using value_type = T;             ///< element type (float or double)

  BasicModule() = default;
  virtual ~BasicModule() = default;
  BasicModule(const BasicModule&) = delete;
  BasicModule& operator=(const BasicModule&) = delete;

  /// The module's map from one input to one output. A module overrides this one, the
  /// many-tensor forward below, or both. The default runs the many-tensor forward on `{x}` and
  /// returns its only output (ValueError naming the module and the count when it returns
  /// another number); ValueError naming the module when neither form is overridden.
  virtual Tensor forward(const Tensor& x);
  /// The module's map from several inputs to several outputs (`{x, mask}` -> `{reconstruction,
  /// mu, logvar}`), for modules that take or return more than one tensor. The default serves
  /// modules of one input and one output: `{forward(inputs[0])}`, and ValueError naming the
  /// module and the count for any other number of inputs. A module overriding only this form is
  /// still called with one tensor by `module(x)`, Sequential and fit (see forward(x) above).
  /// A derived class that overrides one form hides the other from calls through its own type;
  /// call through operator() (as containers and fit do) or add `using BasicModule<T>::forward;`.
  virtual Tensors forward(const Tensors& inputs);
  /// Calls forward(x), with the forward pre-hooks before it and the forward hooks after it (see
  /// register_forward_pre_hook). Containers (Sequential, Ensemble) and fit() call their modules
  /// this way, so hooks fire wherever a module runs; calling forward(x) directly skips them.
  Tensor operator()(const Tensor& x) {
    if (!hooks_) return forward(x);  // no hook ever registered: one branch
    return call_with_hooks(x);
  }
  /// Calls forward(inputs), with the hooks as operator()(x).
  Tensors operator()(const Tensors& inputs) {
    if (!hooks_) return forward(inputs);
    return call_with_hooks(inputs);
  }
  /// `module(x, mask)`: operator()(Tensors{x, mask, ...}), the outputs in order.
  template <class... More>
  requires(std::is_convertible_v<const More&, const Tensor&>&&...) Tensors operator()(
      const Tensor& first, const Tensor& second, const More&... more) {
    return (*this)(Tensors{first, second, more...});
  }

  // ---- forward hooks (as PyTorch's register_forward_pre_hook / register_forward_hook) -------

  /// A pre-hook sees the module and its input before forward(); returning a defined tensor
  /// replaces the input, an undefined one (`return {};`) keeps it.
  using ForwardPreHook = std::function<Tensor(BasicModule&, const Tensor& input)>;
  /// A forward hook sees the module, its input and its output after forward(); returning a
  /// defined tensor replaces the output, an undefined one keeps it. What it returns is what the
  /// caller gets, so ops it applies are recorded and differentiated as usual.
  using ForwardHook =
      std::function<Tensor(BasicModule&, const Tensor& input, const Tensor& output)>;
  /// A pre-hook of the many-tensor form: it sees every input, and returning a non-empty list
  /// replaces them (an empty one keeps them). It also sees the calls with one tensor, as `{x}`.
  using ForwardPreHookMany = std::function<Tensors(BasicModule&, const Tensors& inputs)>;
  /// A forward hook of the many-tensor form: it sees every input and every output, and
  /// returning a non-empty list replaces the outputs. It also sees the calls with one tensor.
  using ForwardHookMany =
      std::function<Tensors(BasicModule&, const Tensors& inputs, const Tensors& outputs)>;

  /// Removes the hook it was returned for (remove() twice, or after the module is gone, does
  /// nothing). Dropping the handle keeps the hook.
  class HookHandle {
   public:
    HookHandle() = default;
    /// Unregisters the hook.
    void remove();
    /// Whether the hook is still registered.
    bool active() const;

   private:
    friend class BasicModule;
    struct Registry;
    HookHandle(std::weak_ptr<Registry> registry, std::size_t id)
        : registry_(std::move(registry)), id_(id) {}
    std::weak_ptr<Registry> registry_;
    std::size_t id_ = 0;
  };

  /// Registers `hook` to run before every call of this module through operator(), in
  /// registration order. A hook returning void is accepted too (it only observes). A hook
  /// taking `const Tensor&` sees calls with one input (ValueError naming the module and the
  /// count on a call with several); one taking `const Tensors&` sees every call.
  template <class F>
  HookHandle register_forward_pre_hook(F hook) {
    if constexpr (std::is_invocable_v<F&, BasicModule&, const Tensor&>) {
      if constexpr (std::is_void_v<std::invoke_result_t<F&, BasicModule&, const Tensor&>>) {
        return add_pre_hook(ForwardPreHook(
            [h = std::move(hook)](BasicModule& m, const Tensor& x) mutable -> Tensor {
              h(m, x);
              return {};
            }));
      } else {
        return add_pre_hook(ForwardPreHook(std::move(hook)));
      }
    } else {
      static_assert(std::is_invocable_v<F&, BasicModule&, const Tensors&>,
                    "register_forward_pre_hook: the hook takes (BasicModule&, const Tensor&) or "
                    "(BasicModule&, const Tensors&)");
      if constexpr (std::is_void_v<std::invoke_result_t<F&, BasicModule&, const Tensors&>>) {
        return add_pre_hook(ForwardPreHookMany(
            [h = std::move(hook)](BasicModule& m, const Tensors& x) mutable -> Tensors {
              h(m, x);
              return {};
            }));
      } else {
        return add_pre_hook(ForwardPreHookMany(std::move(hook)));
      }
    }
  }
  /// Registers `hook` to run after every call of this module through operator(), in
  /// registration order, each seeing the output the previous one left. A hook returning void
  /// is accepted too. A hook taking `const Tensor&`s sees calls of one input and one output
  /// (ValueError naming the module and the counts on others); one taking `const Tensors&`s
  /// sees every call.
  template <class F>
  HookHandle register_forward_hook(F hook) {
    if constexpr (std::is_invocable_v<F&, BasicModule&, const Tensor&, const Tensor&>) {
      if constexpr (std::is_void_v<
                        std::invoke_result_t<F&, BasicModule&, const Tensor&, const Tensor&>>) {
        return add_forward_hook(
            ForwardHook([h = std::move(hook)](BasicModule& m, const Tensor& x,
                                              const Tensor& y) mutable -> Tensor {
              h(m, x, y);
              return {};
            }));
      } else {
        return add_forward_hook(ForwardHook(std::move(hook)));
      }
    } else {
      static_assert(std::is_invocable_v<F&, BasicModule&, const Tensors&, const Tensors&>,
                    "register_forward_hook: the hook takes (BasicModule&, const Tensor&, const "
                    "Tensor&) or (BasicModule&, const Tensors&, const Tensors&)");
      if constexpr (std::is_void_v<
                        std::invoke_result_t<F&, BasicModule&, const Tensors&, const Tensors&>>) {
        return add_forward_hook(
            ForwardHookMany([h = std::move(hook)](BasicModule& m, const Tensors& x,
                                                  const Tensors& y) mutable -> Tensors {
              h(m, x, y);
              return {};
            }));
      } else {
        return add_forward_hook(ForwardHookMany(std::move(hook)));
      }
    }
  }

  /// The module's type name as printed ("Linear"); the default is the unqualified class name.
  virtual std::string name() const;
  /// The arguments printed inside the parentheses ("in_features=4, out_features=3, bias=true").
  virtual std::string extra_repr() const { return {}; }
  /// The random stream the module draws from outside a batch-parallel step (Dropout's own
  /// generator), or nullptr; training checkpoints save and restore its state.
  virtual autograd::Generator* own_generator() { return nullptr; }

  // ---- registration (called from constructors) ------------------------------------------------

  /// Adds a trainable parameter (marked requires_grad) and returns a reference to the stored
  /// handle, valid for the module's lifetime. ValueError on a bad or duplicate name, an undefined
  /// tensor or a non-leaf.
  Tensor& register_parameter(const std::string& name, Tensor tensor);
  /// Adds a buffer: state saved in state_dict() but not trained (requires_grad is left off).
  Tensor& register_buffer(const std::string& name, Tensor tensor);
  /// Adds a child module under `name` and returns it with its own type.
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    static_assert(std::is_base_of_v<BasicModule<T>, M>,
                  "register_module: the child must derive from BasicModule<T> of the same T");
    add_child(name, module);
    return module;
  }

  // ---- traversal (registration order, children after own tensors, recursively) ---------------

  /// Every parameter of this module and its descendants, each tensor once (a module shared by
  /// two parents is listed under its first name, as in PyTorch; state_dict() names it twice).
  std::vector<Tensor> parameters(bool recurse = true) const;
  /// Parameters with dotted names ("fc1.weight"), in registration order, each tensor once.
  StateDict<T> named_parameters(bool recurse = true) const;
  /// Every buffer of this module and its descendants, each tensor once.
  std::vector<Tensor> buffers(bool recurse = true) const;
  /// Buffers with dotted names, each tensor once.
  StateDict<T> named_buffers(bool recurse = true) const;
  /// The direct children.
  std::vector<std::shared_ptr<BasicModule>> children() const;
  /// The direct children with their names.
  std::vector<std::pair<std::string, std::shared_ptr<BasicModule>>> named_children() const;
  /// This module (name "") and every descendant, depth first, with dotted names.
  std::vector<std::pair<std::string, BasicModule*>> named_modules();
  /// Calls `fn` on every descendant and then on this module (as PyTorch's apply).
  void apply(const std::function<void(BasicModule&)>& fn);

  /// The stored handle of a parameter by dotted name ("0.weight"); ValueError when absent.
  /// Assigning to the reference rebinds the parameter.
  Tensor& parameter(const std::string& dotted_name);
  /// The stored handle of a buffer by dotted name; ValueError when absent.
  Tensor& buffer(const std::string& dotted_name);

  // ---- state ----------------------------------------------------------------------------------

  /// Parameters then buffers of each module, dotted, in registration order (as PyTorch). The
  /// tensors share storage with the module: detach() them for a snapshot.
  StateDict<T> state_dict() const;
  /// Copies values from `state` into the parameters and buffers with the same names.
  /// ShapeError names the key and both shapes; with `strict`, missing and unexpected keys throw
  /// ValueError listing them (without it they are ignored). Nothing is copied when it throws.
  void load_state_dict(const StateDict<T>& state, bool strict = true);
  /// The same from a map (e.g. read from a file).
  void load_state_dict(const std::map<std::string, Tensor>& state, bool strict = true);

  /// Sets training mode on this module and all descendants (recording is not affected).
  virtual void train(bool on = true);
  /// Same as train(false).
  void eval() { train(false); }
  /// Whether the module is in training mode (the default).
  bool is_training() const { return training_; }

  /// Drops the accumulated gradient of every parameter.
  void zero_grad();
  /// Number of scalar parameters (only those requiring gradients when `trainable_only`).
  std::size_t num_parameters(bool trainable_only = false) const;

  /// PyTorch-style multi-line description with parameter counts.
  std::string repr() const;

 private:
  struct Entry {
    std::string name;
    Tensor tensor;
  };
  void check_new_name(const std::string& name, const char* what) const;
  void add_child(const std::string& name, std::shared_ptr<BasicModule> module);
  void collect(const std::string& prefix, bool params, bool recurse, StateDict<T>& out) const;
  Tensor* find_tensor(const std::string& dotted_name, bool params);
  void print(std::ostream& os, int indent) const;
  HookHandle add_pre_hook(ForwardPreHook hook);
  HookHandle add_pre_hook(ForwardPreHookMany hook);
  HookHandle add_forward_hook(ForwardHook hook);
  HookHandle add_forward_hook(ForwardHookMany hook);
  Tensor call_with_hooks(const Tensor& x);
  Tensors call_with_hooks(const Tensors& inputs);
  Tensors run_pre_hooks(Tensors inputs);
  Tensors run_forward_hooks(const Tensors& inputs, Tensors outputs);

  std::deque<Entry> parameters_;  // a deque keeps references stable as entries are added
  std::deque<Entry> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<BasicModule>>> children_;
  bool training_ = true;
  std::shared_ptr<typename HookHandle::Registry> hooks_;  // null until a hook is registered
};

using Module = BasicModule<float>;    ///< float32 elements
using ModuleD = BasicModule<double>;  ///< float64 elements (gradient checks)

namespace detail {
template <class M, class = void>
struct has_options : std::false_type {};
template <class M>
struct has_options<M, std::void_t<typename M::Options>> : std::true_type {};

template <class M, class Tuple, std::size_t... I>
std::shared_ptr<M> make_with_generator(Tuple&& args, std::index_sequence<I...>) {
  return std::make_shared<M>(typename M::Options(std::get<I>(std::move(args))...),
                             std::get<sizeof...(I)>(args));
}
}  // namespace detail

/// Builds a module of type M from its constructor's arguments or, spelled out, from its options'
/// constructor arguments followed by the Generator its parameters are drawn from:
/// `make_module<Linear>(784, 64, gen)` is `std::make_shared<Linear>(LinearOptions(784, 64), gen)`,
/// `make_module<MaxPool2d>(2)` is `std::make_shared<MaxPool2d>(Pool2dOptions(2))`. What
/// Sequential::add, ModuleList::push_back and ModuleDict::insert use to build children in place.
template <class M, class... Args>
std::shared_ptr<M> make_module(Args&&... args) {
  if constexpr (std::is_constructible_v<M, Args&&...>) {
    return std::make_shared<M>(std::forward<Args>(args)...);
  } else if constexpr (sizeof...(Args) >= 1 &&
                       std::is_same_v<std::remove_cvref_t<std::tuple_element_t<
                                          sizeof...(Args) - 1, std::tuple<Args...>>>,
                                      autograd::Generator>) {
    static_assert(detail::has_options<M>::value, "make_module: M has no Options type");
    return detail::make_with_generator<M>(std::forward_as_tuple(std::forward<Args>(args)...),
                                          std::make_index_sequence<sizeof...(Args) - 1>());
  } else {
    static_assert(detail::has_options<M>::value,
                  "make_module: M is not constructible from these arguments");
    return std::make_shared<M>(typename M::Options(std::forward<Args>(args)...));
  }
}

/// Prints module.repr(), e.g.
/// ```
/// Sequential(  # 101770 parameters
///   (0): Linear(in_features=784, out_features=128, bias=true)  # 100480 parameters
///   (1): ReLU()
///   (2): Linear(in_features=128, out_features=10, bias=true)  # 1290 parameters
/// )
/// ```
template <class T>
std::ostream& operator<<(std::ostream& os, const BasicModule<T>& module);

}  // namespace axon::nn
