// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <xtensor/xarray.hpp>

#include "axon/autograd/tape.hpp"
#include "axon/autograd/tensor.hpp"

/// For op implementers: how an op records itself on the tape (make_result), the node it pushes
/// (FunctionNode, with the versions of its inputs), and how gradients are added (accumulate_grad).
/// tensor.hpp includes this header, so every op sees it.
namespace axon::autograd {

/// Adds `g` into `impl`'s gradient (moving it in when there is none yet). In anomaly mode it first
/// checks `g` for NaN/Inf and throws NumericalError naming the running op. ShapeError when the
/// gradient already there has another shape than the value (check_grad_shape).
template <class T>
void accumulate_grad(TensorImpl<T>& impl, xt::xarray<T>&& g);

namespace detail {
[[noreturn]] void throw_grad_shape(const std::string& who, const Shape& grad, const Shape& value);
}

/// Throws ShapeError, naming `who`, when `impl` holds a gradient whose shape is not its value's
/// (one assigned by hand through grad_data()): adding a gradient into it would run past its end.
/// Everything that adds into an existing gradient calls it first.
template <class T>
void check_grad_shape(const TensorImpl<T>& impl, const std::string& who) {
  if (impl.has_grad && impl.grad.shape() != impl.value.shape()) {
    detail::throw_grad_shape(who, impl.grad.shape(), impl.value.shape());
  }
}

/// What retain_grad() and register_hook() keep for one tensor.
template <class T>
struct GradHooks {
  /// Hooks run on the gradient, in registration order.
  std::vector<typename BasicTensor<T>::Hook> hooks;
  bool retain = false;        ///< keep the gradient of this non-leaf after backward()
  bool has_retained = false;  ///< `retained` holds a gradient
  xt::xarray<T> retained = detail::empty_array<T>();  ///< the kept gradient (retain_grad())
  /// A leaf's gradient from backward(create_graph): a recorded tensor grad() returns.
  BasicTensor<T> graph_grad;
};

namespace detail {
/// Whether `G` is a tensor (the gradient type inside a recording pass) rather than an array.
template <class G>
inline constexpr bool is_tensor_v = false;
/// A BasicTensor is a tensor.
template <class T>
inline constexpr bool is_tensor_v<BasicTensor<T>> = true;

/// The gradients of one recording pass (create_graph), keyed by the tensor they belong to.
template <class T>
class RecordingPass final : public GradPass {
 public:
  /// One tensor's gradient, with the tensor (kept alive while the pass holds it).
  struct Entry {
    std::shared_ptr<TensorImpl<T>> impl;  ///< the tensor
    BasicTensor<T> grad;                  ///< its gradient so far
  };
  /// A pass that keeps the gradients of `keep` (the inputs it was asked about) when their node
  /// runs; every other tensor's gradient is dropped once its node has passed it on.
  explicit RecordingPass(std::vector<const TensorImpl<T>*> keep = {})
      : GradPass(sizeof(T)), keep_(std::move(keep)) {}
  /// Adds `g` to the gradient of `impl` (a recorded add when one is there already).
  void add(const std::shared_ptr<TensorImpl<T>>& impl, const BasicTensor<T>& g);
  /// The gradient of `impl`, or nullptr when it received none.
  const BasicTensor<T>* find(const TensorImpl<T>* impl) const {
    auto it = grads_.find(impl);
    return it == grads_.end() ? nullptr : &it->second.grad;
  }
  /// Takes `impl`'s gradient out of the pass (left in place for a kept tensor); undefined when
  /// none.
  BasicTensor<T> take(const TensorImpl<T>* impl);
  /// Every gradient still held (the leaves' after a whole pass).
  const std::unordered_map<const TensorImpl<T>*, Entry>& entries() const { return grads_; }

 private:
  std::unordered_map<const TensorImpl<T>*, Entry> grads_;
  std::vector<const TensorImpl<T>*> keep_;
};

/// The innermost recording pass running on this thread for element type T (nullptr when none).
template <class T>
RecordingPass<T>*& current_recording_pass();

/// Inside an op's recorded backward: adds `g` to the gradient of input `impl`.
template <class T>
void add_grad(const std::shared_ptr<TensorImpl<T>>& impl, const BasicTensor<T>& g);

[[noreturn]] void throw_no_recorded_backward(const char* op);
/// backward(create_graph): a recording pass from `out` seeded with `seed`; leaves get the
/// gradient's values in .grad and the recorded tensor in GradHooks::graph_grad.
template <class T>
void backward_recording(const BasicTensor<T>& out, const BasicTensor<T>& seed);
/// accumulate_grad's last step (after its checks and a leaf's hooks): into the shard's sink or
/// the tensor's own gradient.
template <class T>
void add_into_grad(TensorImpl<T>& impl, xt::xarray<T>&& g);
/// A recorded backward's hooks and retain_grad() on the gradient `g` of `out`.
template <class T>
void recorded_output_hooks(TensorImpl<T>& out, BasicTensor<T>& g);
}  // namespace detail

namespace detail {
/// Runs `impl`'s hooks on its gradient `g` in place (ShapeError when one returns another shape).
template <class T>
void run_hooks(const TensorImpl<T>& impl, xt::xarray<T>& g);
/// A node's output with hooks or retain_grad(): runs the hooks on its gradient and keeps a copy.
template <class T>
void node_output_hooks(TensorImpl<T>& out);
}  // namespace detail

namespace detail {
[[noreturn]] void throw_modified_input(const char* op, std::size_t input, const Shape& shape,
                                       std::uint32_t saved, std::uint32_t now);
[[noreturn]] void throw_modified_output(const char* op, const Shape& shape, std::uint32_t now);

/// The versions of a recorded op's inputs that require a gradient, as the op saw them (the first
/// kMax such inputs; the rest are not checked). The op's backward captures every input that
/// requires a gradient (it adds that input's gradient), so the pointers stay valid while the
/// node exists. PyTorch checks only the tensors an op saves; this checks every input that
/// requires a gradient, which also refuses a write the op would not have minded (writing into a
/// detach()ed copy avoids it). Inputs that require no gradient are not checked.
template <class T>
struct SavedVersions {
  static constexpr std::size_t kMax = 4;  ///< inputs checked
  const TensorImpl<T>* impl[kMax];        ///< the inputs
  std::uint32_t version[kMax];            ///< their versions when the op ran
  std::uint8_t position[kMax];            ///< their positions among the op's inputs
  std::uint8_t count = 0;                 ///< entries used

  /// Notes input `k` when it requires a gradient and there is room.
  void note(const TensorImpl<T>& in, std::size_t k) {
    if (!in.requires_grad || count == kMax || k > 255) return;
    impl[count] = &in;
    version[count] = in.version;
    position[count] = static_cast<std::uint8_t>(k);
    ++count;
  }
  /// GraphError naming `op` when an input, or the output `out`, was written since the op ran.
  void check(const char* op, const TensorImpl<T>& out) const {
    for (std::uint8_t i = 0; i < count; ++i) {
      if (impl[i]->version != version[i]) {
        throw_modified_input(op, position[i], impl[i]->value.shape(), version[i], impl[i]->version);
      }
    }
    if (out.version != 0) throw_modified_output(op, out.value.shape(), out.version);
  }
};
}  // namespace detail

/// The node type ops push: runs `fn(grad_output, output_value)` when the output received a
/// gradient, then frees that gradient (intermediate gradients live only during backward).
///
/// `fn` may also accept the gradient and the output as tensors (a generic lambda taking
/// `const auto& g, const auto& o`, with an `if constexpr (detail::is_tensor_v<...>)` branch): that
/// branch is the op's recorded backward, written in the library's own ops so that a pass with
/// create_graph records it and its result can be differentiated again. It adds each input's
/// gradient with detail::add_grad. An op whose `fn` takes arrays only has no recorded backward.
template <class T, class F>
class FunctionNode final : public Node {
 public:
  /// A node for output `out` that runs `fn` in backward; `name` is the op's; `saved` the
  /// versions of its inputs when it ran.
  FunctionNode(const char* name, std::shared_ptr<TensorImpl<T>> out, F fn,
               const detail::SavedVersions<T>& saved)
      : Node(name), out_(std::move(out)), fn_(std::move(fn)), saved_(saved) {}
  void backward() override {
    if (!out_->has_grad) return;
    saved_.check(name(), *out_);
    if (out_->hooks) detail::node_output_hooks(*out_);
    fn_(static_cast<const xt::xarray<T>&>(out_->grad),
        static_cast<const xt::xarray<T>&>(out_->value));
    free_grad();
  }
  void backward_recorded(GradPass& base) override {
    if (base.scalar_size() != sizeof(T)) return;  // a pass of the other element type
    auto& pass = static_cast<detail::RecordingPass<T>&>(base);
    BasicTensor<T> g = pass.take(out_.get());
    if (!g.defined()) return;
    saved_.check(name(), *out_);
    if constexpr (std::is_invocable_v<F&, const BasicTensor<T>&, const BasicTensor<T>&>) {
      if (out_->hooks) detail::recorded_output_hooks(*out_, g);
      fn_(static_cast<const BasicTensor<T>&>(g), BasicTensor<T>(out_));
    } else {
      detail::throw_no_recorded_backward(name());
    }
  }
  void drop_grad() override {
    if (out_->has_grad) free_grad();
  }

 private:
  // Frees the output's gradient by taking its storage: a few pointer moves, where assigning an
  // empty array copies three shape vectors (bench/README.md, tape_overhead). The shape left
  // behind is stale, which has_grad == false tells every reader to ignore.
  void free_grad() {
    { xt::uvector<T> dead(std::move(out_->grad.storage())); }
    out_->has_grad = false;
  }

  std::shared_ptr<TensorImpl<T>> out_;
  F fn_;
  detail::SavedVersions<T> saved_;
};

namespace detail {
[[noreturn]] void throw_stale_input(const char* op, std::size_t input);
[[noreturn]] void throw_grad_input(const char* op, std::size_t input);
}  // namespace detail

namespace detail {
/// Anomaly mode: notes on `tape` the first recorded op whose forward value holds a NaN or Inf.
template <class T>
void check_forward_value(Tape& tape, const char* op, const xt::xarray<T>& value) {
  const T* p = value.data();
  for (std::size_t i = 0, n = value.size(); i < n; ++i) {
    if (!std::isfinite(p[i])) {
      tape.note_nonfinite_forward(op, tape.size(), i, static_cast<double>(p[i]));
      return;
    }
  }
}

/// make_result's body for any range of inputs; `get(element)` yields the BasicTensor.
template <class T, class Range, class Get, class F>
BasicTensor<T> record_result(const char* op, xt::xarray<T>&& value, const Range& inputs, Get get,
                             F&& backward_fn) {
  bool needs = false;
  bool from_grad = false;
  if (grad_enabled()) {
    for (const auto& in : inputs) {
      const auto& impl = get(in).impl();
      needs = needs || impl.requires_grad;
      from_grad = from_grad || impl.from_grad;
    }
  }
  if (!needs) {
    BasicTensor<T> result(std::move(value));
    result.impl().from_grad = from_grad;
    return result;
  }
  Tape& tape = current_tape();
  tape.release_if_abandoned();
  std::size_t k = 0;
  SavedVersions<T> saved;
  for (const auto& in : inputs) {
    const auto& impl = get(in).impl();
    if (impl.requires_grad && impl.graph_id != 0 && impl.graph_id != tape.id()) {
      throw_stale_input(op, k);
    }
    if (from_grad && impl.from_grad) throw_grad_input(op, k);
    saved.note(impl, k);
    ++k;
  }
  // Default-constructed, then the value moved in: xtensor's move constructor swaps its small
  // shape vectors element by element and costs more than copying the empty placeholder and
  // move-assigning (bench/README.md, tape_overhead).
  auto out = std::make_shared<TensorImpl<T>>();
  out->value = std::move(value);
  out->requires_grad = true;
  out->graph_id = tape.id();
  out->node_index = tape.size();
  out->handle_count = tape.handle_count();
  if (anomaly_enabled()) check_forward_value(tape, op, out->value);
  tape.emplace<FunctionNode<T, std::decay_t<F>>>(op, out, std::forward<F>(backward_fn), saved);
  return BasicTensor<T>(std::move(out));
}
}  // namespace detail

/// Wraps an op's forward result. When recording is on and an input requires a gradient, the
/// result requires one too and `backward_fn(grad_output, output_value)` is recorded on the current
/// tape. `backward_fn` must capture what it needs by value (impl pointers, saved arrays); it
/// calls accumulate_grad for each input that requires a gradient. Every input is checked for a
/// released graph (GraphError).
template <class T, class F>
BasicTensor<T> make_result(const char* op, xt::xarray<T>&& value,
                           std::initializer_list<const BasicTensor<T>*> inputs, F&& backward_fn) {
  return detail::record_result<T>(
      op, std::move(value), inputs,
      [](const BasicTensor<T>* t) -> const BasicTensor<T>& { return *t; },
      std::forward<F>(backward_fn));
}

/// The same for a list of inputs known only at run time (concat, stack, penalties over
/// parameters).
template <class T, class F>
BasicTensor<T> make_result(const char* op, xt::xarray<T>&& value,
                           const std::vector<BasicTensor<T>>& inputs, F&& backward_fn) {
  return detail::record_result<T>(
      op, std::move(value), inputs,
      [](const BasicTensor<T>& t) -> const BasicTensor<T>& { return t; },
      std::forward<F>(backward_fn));
}

}  // namespace axon::autograd
