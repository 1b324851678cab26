// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

#include "autograd/error.hpp"
#include "autograd/random.hpp"
#include "autograd/shape.hpp"
#include "autograd/tape.hpp"

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

/// The state behind a tensor handle. Op implementations use it directly.
///
/// Both arrays start empty (shape [0]) rather than default-constructed: a default xarray is 0-d
/// with one heap element, which every recorded op allocated and freed again for nothing
/// (bench/README.md, tape_overhead).
template <class T>
struct TensorImpl {
  xt::xarray<T> value = detail::empty_array<T>();
  xt::xarray<T> grad = detail::empty_array<T>();  ///< meaningful only when has_grad
  bool has_grad = false;
  bool requires_grad = false;
  std::uint64_t graph_id = 0;  ///< id of the tape recording that produced it; 0 for a leaf
  std::size_t node_index = 0;  ///< position of the producing node on that tape
};

template <class T>
class BasicTensor {
 public:
  using value_type = T;
  using Impl = TensorImpl<T>;

  /// An undefined tensor (no storage); `defined()` is false and using it throws ValueError.
  BasicTensor() = default;
  /// A leaf tensor owning `value`.
  explicit BasicTensor(xt::xarray<T> value, bool requires_grad = false);
  /// Wraps existing state (used by ops).
  explicit BasicTensor(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

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

  /// The values (contiguous, row-major). Writing to them is not recorded.
  xt::xarray<T>& data() { return impl().value; }
  const xt::xarray<T>& data() const { return impl().value; }
  /// Pointer to the first value.
  T* data_ptr() { return impl().value.data(); }
  const T* data_ptr() const { return impl().value.data(); }

  /// The single value of a one-element tensor; ValueError otherwise.
  T item() const;

  /// Whether gradients flow into this tensor.
  bool requires_grad() const { return impl().requires_grad; }
  /// Marks a leaf as requiring (or not) a gradient; returns *this. GraphError on a non-leaf.
  BasicTensor& requires_grad_(bool value = true);
  /// True for tensors not produced by a recorded op (user tensors, parameters).
  bool is_leaf() const { return impl().graph_id == 0; }

  /// Whether a gradient has been accumulated since the last zero_grad().
  bool has_grad() const { return impl().has_grad; }
  /// A copy of the accumulated gradient as a tensor (zeros if none yet).
  BasicTensor grad() const;
  /// The accumulated gradient itself, for in-place use by optimizers (allocated as zeros if none).
  xt::xarray<T>& grad_data();
  /// Drops the accumulated gradient.
  void zero_grad();

  /// A new leaf with a copy of the values, cut from the graph.
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
  void backward(bool retain_graph = false) const;
  /// Backpropagates with an explicit gradient of this tensor's shape.
  void backward(const BasicTensor& grad_output, bool retain_graph = false) const;

  /// The state behind the handle; ValueError when undefined.
  Impl& impl() const {
    if (!impl_) throw ValueError("tensor: use of an undefined (default-constructed) tensor");
    return *impl_;
  }
  /// The shared state pointer (ops capture it in backward closures).
  const std::shared_ptr<Impl>& impl_ptr() const { return impl_; }

 private:
  std::shared_ptr<Impl> impl_;
};

using Tensor = BasicTensor<float>;
using TensorD = BasicTensor<double>;

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

/// The node type ops push: runs `fn(grad_output, output_value)` when the output received a
/// gradient, then frees that gradient (intermediate gradients live only during backward).
template <class T, class F>
class FunctionNode final : public Node {
 public:
  FunctionNode(const char* name, std::shared_ptr<TensorImpl<T>> out, F fn)
      : Node(name), out_(std::move(out)), fn_(std::move(fn)) {}
  void backward() override {
    if (!out_->has_grad) return;
    fn_(static_cast<const xt::xarray<T>&>(out_->grad),
        static_cast<const xt::xarray<T>&>(out_->value));
    out_->grad = xt::xarray<T>(detail::empty_array<T>());
    out_->has_grad = false;
  }

 private:
  std::shared_ptr<TensorImpl<T>> out_;
  F fn_;
};

namespace detail {
[[noreturn]] void throw_stale_input(const char* op, std::size_t input);
}

namespace detail {
/// make_result's body for any range of inputs; `get(element)` yields the BasicTensor.
template <class T, class Range, class Get, class F>
BasicTensor<T> record_result(const char* op, xt::xarray<T>&& value, const Range& inputs, Get get,
                             F&& backward_fn) {
  bool needs = false;
  if (grad_enabled()) {
    for (const auto& in : inputs) needs = needs || get(in).impl().requires_grad;
  }
  if (!needs) return BasicTensor<T>(std::move(value));
  Tape& tape = current_tape();
  std::size_t k = 0;
  for (const auto& in : inputs) {
    const auto& impl = get(in).impl();
    if (impl.requires_grad && impl.graph_id != 0 && impl.graph_id != tape.id()) {
      throw_stale_input(op, k);
    }
    ++k;
  }
  auto out = std::make_shared<TensorImpl<T>>();
  out->value = std::move(value);
  out->requires_grad = true;
  out->graph_id = tape.id();
  out->node_index = tape.size();
  tape.emplace<FunctionNode<T, std::decay_t<F>>>(op, out, std::forward<F>(backward_fn));
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
