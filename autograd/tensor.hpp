// SPDX-License-Identifier: MIT
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <xtensor/xarray.hpp>

#include "axon/autograd/error.hpp"
#include "axon/autograd/random.hpp"
#include "axon/autograd/shape.hpp"
#include "axon/autograd/tape.hpp"

/// The tensor type: a cheap handle to a row-major xtensor array with its gradient and its place
/// on the tape. Copying a tensor copies the handle (like PyTorch), not the data.
namespace axon::autograd {

namespace detail {
/// An array of shape [0] to copy from. A copy of it owns no heap memory and costs about a third
/// of a new `from_shape({0})`; a default-constructed xarray instead allocates one element.
/// Never destroyed, so it can be copied at any point of program exit.
template <class T>
const xt::xarray<T>& empty_array() {
  static const auto* empty = new xt::xarray<T>(xt::xarray<T>::from_shape({0}));
  return *empty;
}
}  // namespace detail

template <class T>
struct GradHooks;

/// The state behind a tensor handle. Op implementations use it directly.
///
/// Both arrays start empty (shape [0]) rather than default-constructed: a default xarray is 0-d
/// with one heap element, which every recorded op allocated and freed again for nothing
/// (bench/README.md, tape_overhead).
template <class T>
struct TensorImpl {
  xt::xarray<T> value = detail::empty_array<T>();  ///< the tensor's values
  xt::xarray<T> grad = detail::empty_array<T>();   ///< meaningful only when has_grad
  bool has_grad = false;                           ///< whether `grad` holds a gradient
  bool requires_grad = false;  ///< whether backward() computes a gradient for it
  std::uint64_t graph_id = 0;  ///< id of the tape recording that produced it; 0 for a leaf
  std::size_t node_index = 0;  ///< position of the producing node on that tape
  /// Live-handle count of the producing tape (nullptr for a leaf); see detail::HandleCount.
  detail::HandleCount* handle_count = nullptr;
  /// Holds values read from a gradient (grad(), and ops of such values run while recording
  /// with no input requiring a gradient): a recorded op refuses it (see make_result).
  bool from_grad = false;
  /// Counts in-place writes through BasicTensor::mutable_data()/mutable_data_ptr(): a recorded
  /// op notes the versions of its inputs and backward() refuses values written since
  /// (detail::SavedVersions).
  std::uint32_t version = 0;
  /// retain_grad() and register_hook() state; null for almost every tensor.
  std::shared_ptr<GradHooks<T>> hooks;
};

template <class T>
/// A tensor of T (float or double): a shared handle to values, gradient and tape position; ops on
/// it are recorded for backward() while a gradient is required.
class BasicTensor {
 public:
  using value_type = T;        ///< element type (float or double)
  using Impl = TensorImpl<T>;  ///< the shared state a handle points to

  /// An undefined tensor (no storage); `defined()` is false and using it throws ValueError.
  BasicTensor() = default;
  /// A leaf tensor owning `value`.
  explicit BasicTensor(xt::xarray<T> value, bool requires_grad = false);
  /// Wraps existing state (used by ops).
  explicit BasicTensor(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) { acquire(); }
  /// Another handle to the same tensor.
  BasicTensor(const BasicTensor& other) : impl_(other.impl_) { acquire(); }
  /// Takes over `other`'s handle; `other` becomes undefined.
  BasicTensor(BasicTensor&& other) noexcept : impl_(std::move(other.impl_)) {}
  /// Makes this a handle to `other`'s tensor.
  BasicTensor& operator=(const BasicTensor& other) {
    if (impl_ != other.impl_) {
      BasicTensor copy(other);
      swap(copy);
    }
    return *this;
  }
  /// Takes over `other`'s handle; `other` becomes undefined.
  BasicTensor& operator=(BasicTensor&& other) noexcept {
    if (this != &other) {
      BasicTensor moved(std::move(other));
      swap(moved);
    }
    return *this;
  }
  /// Drops the handle; the last handle to a recording lets the tape release it (tape.hpp).
  ~BasicTensor() { drop(); }

  /// Whether this handle refers to a tensor.
  bool defined() const { return static_cast<bool>(impl_); }

  /// Extents of each axis.
  const Shape& shape() const { return impl().value.shape(); }
  /// Extent of one axis (negative counts from the end).
  std::size_t size(int axis) const;
  /// Number of axes (0 for a scalar).
  std::size_t dim() const { return impl().value.dimension(); }
  /// Number of elements.
  std::size_t numel() const { return impl().value.size(); }

  /// The values (contiguous, row-major), read-only. Write through mutable_data().
  const xt::xarray<T>& data() const { return impl().value; }
  /// Pointer to the first value, read-only.
  const T* data_ptr() const { return impl().value.data(); }
  /// The values, for writing in place (as PyTorch's in-place ops). The write is not recorded; it
  /// counts as a new version of the tensor, so a recorded op that used the old values refuses to
  /// run its backward (GraphError naming the op) instead of silently using the new ones. To
  /// change a tensor a graph still needs, write into a copy (detach()) instead.
  xt::xarray<T>& mutable_data() {
    Impl& s = impl();
    ++s.version;
    return s.value;
  }
  /// Pointer to the first value, for writing in place (a new version, as mutable_data()).
  T* mutable_data_ptr() { return mutable_data().data(); }
  /// How many times the values were written in place through mutable_data()/mutable_data_ptr().
  std::uint32_t version() const { return impl().version; }

  /// The single value of a one-element tensor; ValueError otherwise.
  T item() const;

  /// Whether gradients flow into this tensor.
  bool requires_grad() const { return impl().requires_grad; }
  /// Marks a leaf as requiring (or not) a gradient; returns *this. GraphError on a non-leaf.
  BasicTensor& requires_grad_(bool value = true);
  /// True for tensors not produced by a recorded op (user tensors, parameters).
  bool is_leaf() const { return impl().graph_id == 0; }

  /// Whether a gradient has been accumulated since the last zero_grad() (for a non-leaf: kept by
  /// retain_grad()).
  bool has_grad() const;
  /// A copy of the accumulated gradient as a tensor (zeros if none yet). A non-leaf's gradient is
  /// freed during backward(), so reading it is a GraphError unless retain_grad() was called. The
  /// copy is a constant: a recorded op that takes it (or a value computed from it) is a
  /// GraphError, since no gradient flows through it (detach() it if a constant is meant).
  BasicTensor grad() const;
  /// Keeps this non-leaf's gradient through backward() so grad() can read it (a no-op on a
  /// leaf); returns *this. GraphError on a tensor that does not require a gradient.
  BasicTensor& retain_grad();
  /// Whether grad() can be read: a leaf, or a non-leaf after retain_grad().
  bool retains_grad() const;
  /// A function that sees the gradient flowing into this tensor during backward(); it returns
  /// a replacement of the same shape, or an undefined tensor to keep it.
  using Hook = std::function<BasicTensor(const BasicTensor&)>;
  /// Registers `hook`. On a non-leaf it runs once per backward() on the whole gradient, before
  /// the op that made the tensor passes it on; on a leaf it runs on each contribution before it
  /// is added (concurrently from the shards of the batch-parallel trainer: keep it thread-safe).
  /// Hooks run in registration order, each on the previous one's result.
  void register_hook(Hook hook);
  /// The accumulated gradient itself, for in-place use by optimizers (allocated as zeros if none).
  xt::xarray<T>& grad_data();
  /// Drops the accumulated gradient (and a non-leaf's kept one).
  void zero_grad();

  /// A new leaf with a copy of the values, cut from the graph (and a plain constant, even when
  /// read from a gradient).
  BasicTensor detach() const;
  /// A copy of the values in another scalar type (a new leaf).
  template <class U>
  BasicTensor<U> to() const {
    xt::xarray<U> v = xt::xarray<U>::from_shape(shape());
    const T* src = data_ptr();
    for (std::size_t i = 0; i < numel(); ++i) v.data()[i] = static_cast<U>(src[i]);
    return BasicTensor<U>(std::move(v), requires_grad() && is_leaf());
  }

  /// Backpropagates from a one-element tensor (seed 1). Releases the graph unless retain_graph.
  /// With create_graph the backward pass records its own ops (the graph is then kept): each
  /// leaf's grad() is a tensor on the tape that can be differentiated again, as in PyTorch.
  void backward(bool retain_graph = false, bool create_graph = false) const;
  /// Backpropagates with an explicit gradient of this tensor's shape.
  void backward(const BasicTensor& grad_output, bool retain_graph = false,
                bool create_graph = false) const;

  /// The state behind the handle; ValueError when undefined.
  Impl& impl() const {
    if (!impl_) throw ValueError("tensor: use of an undefined (default-constructed) tensor");
    return *impl_;
  }
  /// The shared state pointer (ops capture it in backward closures). Closures hold this, not a
  /// BasicTensor: a handle inside the tape would count as a user's and keep the recording alive.
  const std::shared_ptr<Impl>& impl_ptr() const { return impl_; }

 private:
  // Only tensors recorded on a tape are counted (see detail::HandleCount); leaves cost nothing.
  void acquire() const {
    if (impl_ && impl_->handle_count) impl_->handle_count->acquire(impl_->graph_id);
  }
  void drop() const noexcept {
    if (impl_ && impl_->handle_count) impl_->handle_count->drop(impl_->graph_id);
  }
  void swap(BasicTensor& other) noexcept { impl_.swap(other.impl_); }

  std::shared_ptr<Impl> impl_;
};

using Tensor = BasicTensor<float>;    ///< float32 elements
using TensorD = BasicTensor<double>;  ///< float64 elements (gradient checks)

/// Prints `tensor([[1, 2], [3, 4]], shape=[2,2], requires_grad)` (long axes are elided).
template <class T>
std::ostream& operator<<(std::ostream& os, const BasicTensor<T>& t);

// ---- factories -------------------------------------------------------------------------------

/// A tensor of zeros.
template <class T = float>
BasicTensor<T> zeros(const Shape& shape, bool requires_grad = false);
/// A tensor of ones.
template <class T = float>
BasicTensor<T> ones(const Shape& shape, bool requires_grad = false);
/// A tensor filled with `value`.
template <class T = float>
BasicTensor<T> full(const Shape& shape, T value, bool requires_grad = false);
/// A 0-d tensor holding `value`.
template <class T = float>
BasicTensor<T> scalar(T value, bool requires_grad = false);
/// 1-D tensor start, start+step, ... (< stop), as numpy.arange.
template <class T = float>
BasicTensor<T> arange(T start, T stop, T step = T(1));
/// A tensor of `shape` from row-major `values`; ShapeError when the counts differ.
template <class T = float>
BasicTensor<T> from_vector(const std::vector<T>& values, const Shape& shape,
                           bool requires_grad = false);
/// Uniform draws in [low, high) from `gen`.
template <class T = float>
BasicTensor<T> rand(const Shape& shape, Generator& gen, T low = T(0), T high = T(1),
                    bool requires_grad = false);
/// Normal draws with the given mean and standard deviation from `gen`.
template <class T = float>
BasicTensor<T> randn(const Shape& shape, Generator& gen, T mean = T(0), T stddev = T(1),
                     bool requires_grad = false);

// ---- for op implementers ---------------------------------------------------------------------

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
